package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code quadrant devices} and the provider on the stub libraries (two fake H100s, real NVRTC): every line of the
 * report is produced by real calls through the wrappers. Run with {@code -Pfakes -Dquadrant.fakes=DIR}.
 */
@Tag("fakes")
class CudaInfoFakesTest {

    @Test
    void reportAndProviderSeeTheFakeDevices() {
        String dir = System.getProperty("quadrant.fakes");
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "nvrtc", "libnvrtc.so.13")),
                "stubs and NVRTC not set up (native-bindings/src/test/fakes/setup-fakes.sh)");
        List<String> lines = CudaInfo.describe();
        lines.forEach(System.out::println);
        assertTrue(lines.get(0).startsWith("CUDA: usable -- 2 CUDA devices"), lines.get(0));
        assertTrue(lines.stream().anyMatch(l -> l.contains("NVRTC 13.") && l.contains("NCCL 2.")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("  cuda:1  Fake H100 #1  compute 9.0 (sm_90)  132 SMs  81920 MiB")),
                String.join("\n", lines));
        BackendProvider p = BackendProvider.of(Device.Kind.CUDA);
        assertTrue(p.availability().usable());
        assertEquals(List.of(Device.cuda(0), Device.cuda(1)), p.devices());
    }
}
