package dev.quadrant.trainer.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13 item 6: a resumed run's metrics file is cut back to the checkpoint's last complete record. */
class MetricsRepairTest {
    @TempDir
    Path dir;

    private static final String ONE = "{\"epoch\":1,\"step\":10,\"train_loss\":0.5}\n";
    private static final String TWO = "{\"epoch\":2,\"step\":20,\"train_loss\":0.4}\n";
    private static final String THREE = "{\"epoch\":3,\"step\":30,\"train_loss\":0.3}\n";

    @Test
    void recordsAfterTheCheckpointAndACutOffLineAreDropped() throws IOException {
        Path f = Files.writeString(dir.resolve("m.jsonl"), ONE + TWO + THREE + "{\"epoch\":4,\"st");
        MetricsRepair.Result r = MetricsRepair.keepUpTo(f, 20);
        assertEquals(ONE + TWO, Files.readString(f));
        assertEquals(2, r.kept());
        assertTrue(r.changed());
        assertTrue(r.reason().contains("from line 3 on, records of step 30 and later"), r.reason());
    }

    @Test
    void aCutOffLastLineIsDroppedEvenAtTheCheckpointsStep() throws IOException {
        Path f = Files.writeString(dir.resolve("m.jsonl"), ONE + TWO + "{\"epoch\":3");
        MetricsRepair.Result r = MetricsRepair.keepUpTo(f, 1000);
        assertEquals(ONE + TWO, Files.readString(f));
        assertTrue(r.reason().contains("cut off"), r.reason());
        // appending now starts on a fresh line: the next record is not glued to the cut one
        try (MetricsWriter w = MetricsWriter.append(f)) {
            w.write(java.util.Map.of("step", 30L));
        }
        assertEquals(3, MetricsReader.read(f).size());
    }

    @Test
    void aGarbledLineEndsWhatIsKeptAndACleanFileIsLeftAlone() throws IOException {
        Path f = Files.writeString(dir.resolve("m.jsonl"), ONE + "{not json\n" + TWO);
        String m = org.junit.jupiter.api.Assertions.assertThrows(dev.quadrant.device.UserInputException.class,
                () -> MetricsRepair.keepUpTo(f, 100)).getMessage();
        assertTrue(m.contains("line 2") && m.contains("appends only to a metrics file"), m);
        assertEquals(ONE + "{not json\n" + TWO, Files.readString(f), "left as it is");
        Path model = Files.write(dir.resolve("model.safetensors"), new byte[] {8, 0, 0, 0, '\n', 1, 2, '\n', 3});
        org.junit.jupiter.api.Assertions.assertThrows(dev.quadrant.device.UserInputException.class,
                () -> MetricsRepair.keepUpTo(model, 100));
        assertEquals(9, Files.size(model));
        Path binary = Files.write(dir.resolve("one.safetensors"), new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
        org.junit.jupiter.api.Assertions.assertThrows(dev.quadrant.device.UserInputException.class,
                () -> MetricsRepair.keepUpTo(binary, 100), "one unterminated line that is not a record cut short");
        assertEquals(10, Files.size(binary));
        Path clean = Files.writeString(dir.resolve("c.jsonl"), ONE + TWO);
        assertFalse(MetricsRepair.keepUpTo(clean, 20).changed());
        assertEquals(ONE + TWO, Files.readString(clean));
        assertFalse(MetricsRepair.keepUpTo(dir.resolve("missing.jsonl"), 5).changed());
        assertFalse(Files.exists(dir.resolve("missing.jsonl")));
    }
}
