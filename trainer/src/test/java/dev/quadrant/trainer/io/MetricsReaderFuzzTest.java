package dev.quadrant.trainer.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Coverage-guided fuzzing of {@link MetricsReader} with Jazzer; see {@link SafeTensorsFuzzTest} for how to run it
 * ({@code -Dtest=MetricsReaderFuzzTest}). Seeds: {@code MetricsReaderFuzzTestInputs/readMetrics/}.
 *
 * <p>Property: on any bytes the reader either returns or throws {@link MetricsFormatException}, and what it accepts
 * survives {@link MetricsWriter} and a re-read (with non-finite numbers turned into null, as the writer does).
 */
class MetricsReaderFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void readMetrics(byte[] data) throws IOException {
        List<Map<String, Object>> rows;
        try {
            rows = MetricsReader.read(new ByteArrayInputStream(data), "fuzz-input");
        } catch (MetricsFormatException expected) {
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MetricsWriter w = MetricsWriter.to(out)) {
            for (Map<String, Object> row : rows) {
                w.write(row);
            }
        }
        List<Map<String, Object>> again = MetricsReader.read(new ByteArrayInputStream(out.toByteArray()), "rewritten");
        assertEquals(rows.size(), again.size());
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> expected = new LinkedHashMap<>();
            rows.get(i).forEach((k, v) -> expected.put(k,
                    v instanceof Double && !Double.isFinite((Double) v) ? null : v));
            assertEquals(expected, again.get(i), "record " + i);
        }
    }
}
