package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.quadrant.device.UserInputException;

/**
 * Coverage-guided fuzzing of {@link CsvReader} with Jazzer, on text held in memory; see {@link IdxReaderFuzzTest} for
 * how to run it ({@code -Dtest='CsvReaderFuzzTest#readCsv'}). Seeds: {@code CsvReaderFuzzTestInputs/readCsv/}. The
 * first input byte picks the label column (-4..3), the rest is the file.
 *
 * <p>Property: on any bytes the reader returns a dataset or throws a {@link UserInputException} (in practice a
 * {@link DataFormatException}, or the label column out of range); what it accepts, written back as plain CSV
 * (features with {@link Float#toString}, label last), reads back bit for bit equal.
 */
class CsvReaderFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void readCsv(byte[] data) {
        if (data.length == 0) {
            return;
        }
        int labelColumn = Math.floorMod(data[0], 8) - 4;
        Dataset d;
        try {
            d = CsvReader.read(new ByteArrayInputStream(data, 1, data.length - 1), "fuzz-input", "fuzz", labelColumn);
        } catch (UserInputException expected) {
            return;
        }
        StringBuilder csv = new StringBuilder();
        int f = d.features();
        for (int r = 0; r < d.size(); r++) {
            for (int j = 0; j < f; j++) {
                csv.append(Float.toString(d.x()[r * f + j])).append(',');
            }
            csv.append(d.y()[r]).append('\n');
        }
        Dataset again = CsvReader.read(new ByteArrayInputStream(csv.toString().getBytes(StandardCharsets.UTF_8)),
                "rewritten", "fuzz", CsvReader.LAST_COLUMN);
        assertEquals(d.features(), again.features());
        assertEquals(d.classes(), again.classes());
        assertArrayEquals(d.x(), again.x());
        assertArrayEquals(d.y(), again.y());
    }
}
