package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.quadrant.device.UserInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSpecTest {
    @TempDir
    Path dir;

    @Test
    void parsesEveryForm() {
        DataSpec plain = DataSpec.parse("synthetic");
        assertEquals(DataSpec.Kind.SYNTHETIC, plain.kind());
        assertEquals(784, plain.features());
        assertEquals(10, plain.classes());
        assertEquals(10_000, plain.samples());
        assertEquals(2_000, plain.testSamples());
        assertEquals(plain, DataSpec.parse(DataSpec.DEFAULT));

        DataSpec sized = DataSpec.parse("synthetic:64x4x5000");
        assertEquals(64, sized.features());
        assertEquals(4, sized.classes());
        assertEquals(5000, sized.samples());
        assertEquals(1000, sized.testSamples());
        assertEquals(1, DataSpec.parse("synthetic:3x2x4").testSamples(), "test samples are at least 1");
        assertEquals(2, DataSpec.parse("synthetic:3x2x14").testSamples(), "14 / 5 rounds down");

        DataSpec idx = DataSpec.parse("idx:/data/mnist");
        assertEquals(DataSpec.Kind.IDX, idx.kind());
        assertEquals(Path.of("/data/mnist"), idx.path());
        DataSpec csv = DataSpec.parse("csv:rel/iris.csv");
        assertEquals(DataSpec.Kind.CSV, csv.kind());
        assertEquals(Path.of("rel/iris.csv"), csv.path());
    }

    @Test
    void toStringIsCanonicalAndParsesBack() {
        for (String text : new String[] {"synthetic:784x10x10000", "synthetic:1x2x1", "idx:/data/mnist",
                "csv:a b/c.csv"}) {
            DataSpec spec = DataSpec.parse(text);
            assertEquals(text, spec.toString());
            assertEquals(spec, DataSpec.parse(spec.toString()));
            assertEquals(spec.hashCode(), DataSpec.parse(spec.toString()).hashCode());
        }
        assertEquals("synthetic:784x10x10000", DataSpec.parse("synthetic").toString());
    }

    @Test
    void badTextNamesTheOptionTheTextAndTheForms() {
        String[] bad = {"", "Synthetic", "synthetic:", "synthetic:784x10", "synthetic:784x10x", "synthetic:ax10x5",
            "synthetic:784X10X5", "synthetic:-1x10x5", "synthetic:0x10x5", "synthetic:5x1x5", "synthetic:5x10001x5",
            "synthetic:5x2x0", "synthetic:5x2x99999999999", "synthetic:100000x2x100000", " synthetic", "idx:",
            "csv:", "mnist", "file.csv", "idx", "csv:\u0000"};
        for (String text : bad) {
            UserInputException e = assertThrows(UserInputException.class, () -> DataSpec.parse(text), text);
            String m = e.getMessage();
            assertTrue(m.startsWith("--data: saw \"" + text + "\""), m);
            assertTrue(m.contains("synthetic:FEATURESxCLASSESxSAMPLES") && m.contains("idx:DIR")
                    && m.contains("csv:FILE"), m);
            assertFalse(m.contains("\n"), m);
        }
        assertTrue(assertThrows(UserInputException.class, () -> DataSpec.parse("synthetic:5x1x5")).getMessage()
                .contains("CLASSES is 1, expected 2..10000"));
        assertTrue(assertThrows(UserInputException.class, () -> DataSpec.parse("synthetic:100000x2x100000"))
                .getMessage().contains("largest Java array"));
    }

    @Test
    void loadsSyntheticData() {
        DataSplit s = DataSpec.parse("synthetic:12x3x50").load(7, CsvReader.LAST_COLUMN, 0.1);
        DataSplit direct = SyntheticData.generate(12, 3, 50, 10, 7);
        assertEquals(SyntheticDataTest.checksum(((Dataset) direct.train())), SyntheticDataTest.checksum(((Dataset) s.train())));
        assertEquals(SyntheticDataTest.checksum(((Dataset) direct.test())), SyntheticDataTest.checksum(((Dataset) s.test())));
    }

    @Test
    void loadsCsvWithLabelColumnAndFraction() throws IOException {
        Path file = dir.resolve("d.csv");
        Files.writeString(file, "label,a,b\n0,1,2\n1,3,4\n2,5,6\n1,7,8\n");
        DataSplit s = DataSpec.parse("csv:" + file).load(99, 0, 0.5);
        assertEquals(2, ((Dataset) s.train()).size());
        assertEquals(2, ((Dataset) s.test()).size());
        assertArrayEquals(new int[] {2, 1}, ((Dataset) s.test()).y());
        assertEquals(3, s.classes());
    }

    @Test
    void loadsIdxAndReportsMissingDirectory() {
        IdxTestFiles.writeValid(dir, true);
        DataSplit s = DataSpec.parse("idx:" + dir).load(0, CsvReader.LAST_COLUMN, 0.1);
        assertEquals(5, ((Dataset) s.train()).size());
        UserInputException e = assertThrows(UserInputException.class,
                () -> DataSpec.parse("idx:" + dir.resolve("none")).load(0, -1, 0.1));
        assertTrue(e.getMessage().contains("no such directory"), e.getMessage());
    }
}
