package dev.quadrant.trainer.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.device.UserInputException;

class HardwareProfileTest {
    @TempDir
    Path dir;

    @Test
    void readsYamlAndJson() throws Exception {
        Path yaml = dir.resolve("mine.yaml");
        Files.writeString(yaml, "name: mine\nalpha_seconds: 2.0e-6\nbandwidth_bytes_per_second: 1.0e10\n"
                + "device_flops: 1.0e13\nutilisation: 0.5\nsource: our measurement\n");
        HardwareProfile p = HardwareProfile.read(yaml);
        assertEquals("mine", p.name());
        assertEquals(2e-6, p.alphaSeconds());
        assertEquals(1e10, p.bandwidthBytesPerSecond());
        // 6e9 FLOP per sample, 8 samples, at 5e12 effective FLOP/s: 9.6 ms
        assertEquals(9.6e-3, p.compute(6e9, (b, n) -> 99).seconds(8, 4), 1e-15);
        Path json = dir.resolve("j.json");
        Files.writeString(json, "{\"alpha_seconds\": 1e-6, \"bandwidth_bytes_per_second\": 5e10}");
        HardwareProfile q = HardwareProfile.read(json);
        assertEquals("j.json", q.name());
        assertEquals(1.0, q.utilisation());
        // no device_flops: this machine's measured compute, as for one replica alone
        assertEquals(7.0, q.compute(1, (b, n) -> n == 1 ? 7.0 : -1).seconds(16, 8));
        // the profile's links follow the textbook formula
        assertEquals(Collective.RING_ALL_REDUCE.seconds(8, 4e6, 1e-6, 5e10),
                q.comm().seconds(Collective.RING_ALL_REDUCE, 8, 4e6));
    }

    @Test
    void errorsNameTheFileAndTheKey() throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "alpha_seconds: 1e-6\nbandwith_bytes_per_second: 5e10\n");
        UserInputException e = assertThrows(UserInputException.class, () -> HardwareProfile.read(f));
        assertTrue(e.getMessage().contains("bad.yaml") && e.getMessage().contains("unknown key 'bandwith_bytes_per_second'")
                && e.getMessage().contains("bandwidth_bytes_per_second"), e.getMessage());
        Files.writeString(f, "alpha_seconds: fast\nbandwidth_bytes_per_second: 5e10\n");
        e = assertThrows(UserInputException.class, () -> HardwareProfile.read(f));
        assertTrue(e.getMessage().contains("alpha_seconds: saw 'fast', expected a number"), e.getMessage());
        Files.writeString(f, "alpha_seconds: 1e-6\n");
        e = assertThrows(UserInputException.class, () -> HardwareProfile.read(f));
        assertTrue(e.getMessage().contains("missing key 'bandwidth_bytes_per_second'"), e.getMessage());
        Files.writeString(f, "alpha_seconds: 1e-6\nbandwidth_bytes_per_second: 0\n");
        e = assertThrows(UserInputException.class, () -> HardwareProfile.read(f));
        assertTrue(e.getMessage().contains("bandwidth_bytes_per_second > 0"), e.getMessage());
    }

    @Test
    void namedProfilesHaveSourcesAndOrderedLinks() {
        assertEquals(7, HardwareProfile.named().size());
        for (HardwareProfile p : HardwareProfile.named()) {
            assertTrue(!p.source().isBlank(), p.name());
        }
        // NVLink is the fastest link, 25 Gb/s Ethernet the slowest
        double nvlink = HardwareProfile.named().get(0).bandwidthBytesPerSecond();
        double eth25 = HardwareProfile.named().get(3).bandwidthBytesPerSecond();
        assertEquals(450e9, nvlink);
        assertEquals(25e9 / 8, eth25);
        for (HardwareProfile p : HardwareProfile.named()) {
            assertTrue(p.bandwidthBytesPerSecond() <= nvlink && p.bandwidthBytesPerSecond() >= eth25, p.name());
        }
    }
}
