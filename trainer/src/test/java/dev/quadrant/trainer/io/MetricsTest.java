package dev.quadrant.trainer.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsTest {
    @TempDir
    Path dir;

    private static Map<String, Object> row(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void writesOneObjectPerLineInInsertionOrder() {
        assertEquals("{\"zeta\":1,\"alpha\":0.5,\"f\":0.1,\"s\":\"a\\\"b\\nc\",\"ok\":true,\"none\":null,"
                        + "\"nan\":null,\"inf\":null,\"finf\":null,\"big\":1.25,\"mode\":\"SECONDS\"}",
                MetricsWriter.toLine(row("zeta", 1, "alpha", 0.5, "f", 0.1f, "s", "a\"b\nc", "ok", true, "none", null,
                        "nan", Double.NaN, "inf", Double.NEGATIVE_INFINITY, "finf", Float.POSITIVE_INFINITY,
                        "big", new BigDecimal("1.25"), "mode", java.util.concurrent.TimeUnit.SECONDS)));
        assertThrows(IllegalArgumentException.class, () -> MetricsWriter.toLine(row("x", List.of(1))));
    }

    @Test
    void roundTripsAndFlushesEachLine() throws IOException {
        Path f = dir.resolve("m.jsonl");
        try (MetricsWriter w = MetricsWriter.create(f)) {
            w.write(row("epoch", 1, "train_loss", 0.6931471805599453, "strategy", "allreduce"));
            // flushed: readable while the writer is still open
            assertEquals(1, MetricsReader.read(f).size());
            w.write(row("epoch", 2L, "train_loss", Double.NaN, "test_accuracy", 0.9f));
        }
        List<Map<String, Object>> rows = MetricsReader.read(f);
        assertEquals(row("epoch", 1L, "train_loss", 0.6931471805599453, "strategy", "allreduce"), rows.get(0));
        assertEquals(new ArrayList<>(List.of("epoch", "train_loss", "test_accuracy")),
                new ArrayList<>(rows.get(1).keySet()));
        assertNull(rows.get(1).get("train_loss"));
        assertEquals(0.9, (Double) rows.get(1).get("test_accuracy"), 0.0, "float 0.9f is written as 0.9");

        try (MetricsWriter w = MetricsWriter.append(f)) {
            w.write(row("epoch", 3));
        }
        assertEquals(3, MetricsReader.read(f).size());
        try (MetricsWriter w = MetricsWriter.create(f)) {
            w.write(row("epoch", 9));
        }
        assertEquals(List.of(row("epoch", 9L)), MetricsReader.read(f));
    }

    @Test
    void skipsBlankLinesAndAcceptsCrLf() throws IOException {
        List<Map<String, Object>> rows = read("{\"a\":1}\r\n\n   \n{\"a\":2}");
        assertEquals(List.of(row("a", 1L), row("a", 2L)), rows);
        assertEquals(List.of(), read(""));
        assertEquals(Double.POSITIVE_INFINITY, read("{\"x\":1e400}").get(0).get("x"), "overflowing literal reads as infinity");
        assertEquals(1.2345678901234568E29, read("{\"x\":123456789012345678901234567890}").get(0).get("x"));
    }

    @Test
    void errorsNameTheFileAndLine() {
        assertError("{\"a\":1}\n{\"a\":\n", "metrics file m.jsonl line 2: invalid JSON: Unexpected end-of-input");
        assertError("{\"a\":1}\n\n[1]\n", "metrics file m.jsonl line 3: expected a JSON object, found START_ARRAY");
        assertError("{\"a\":{\"b\":1}}", "line 1: key \"a\": expected a number, string, boolean or null, found"
                + " START_OBJECT");
        assertError("{\"a\":1,\"a\":2}", "line 1: invalid JSON: Duplicate field 'a'");
        assertError("{\"a\":1} {\"b\":2}", "line 1: unexpected START_OBJECT after the object");
        assertError("{\"a\":NaN}", "line 1: invalid JSON: Non-standard token 'NaN'");
        byte[] badUtf8 = "{\"a\":1}\n{\"a\":\"\u00ff\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        assertError(badUtf8, "metrics file m.jsonl line 2: invalid UTF-8");
        byte[] longLine = ("{\"a\":\"" + "x".repeat(MetricsReader.MAX_LINE_BYTES) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertError(longLine, "line 1: longer than 1048576 bytes");
    }

    @Test
    void unpairedSurrogatesSurviveARoundTrip() throws IOException {
        // found by MetricsReaderFuzzTest: UTF-8 cannot encode "\ud800", the writer used to turn it into '?'
        Map<String, Object> r = row("lone", "\ud800x", "pair", "\ud83d\ude00", "\udc00", 1L);
        String line = MetricsWriter.toLine(r);
        assertEquals("{\"lone\":\"\\ud800x\",\"pair\":\"\\ud83d\\ude00\",\"\\udc00\":1}", line);
        assertEquals(List.of(r), read(line));
    }

    @Test
    void missingFileIsAnIoError() {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> MetricsReader.read(dir.resolve("none.jsonl")));
    }

    private static List<Map<String, Object>> read(String text) throws IOException {
        return MetricsReader.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "m.jsonl");
    }

    private static void assertError(String text, String expected) {
        assertError(text.getBytes(StandardCharsets.UTF_8), expected);
    }

    private static void assertError(byte[] bytes, String expected) {
        MetricsFormatException e = assertThrows(MetricsFormatException.class,
                () -> MetricsReader.read(new ByteArrayInputStream(bytes), "m.jsonl"));
        assertTrue(e.getMessage().contains(expected), "expected <" + expected + "> in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void writerOnAFileIsTheSameAsToLine() throws IOException {
        Path f = dir.resolve("x.jsonl");
        Map<String, Object> r = row("step", 10, "loss", 1.5e-7);
        try (MetricsWriter w = MetricsWriter.create(f)) {
            w.write(r);
        }
        assertEquals(MetricsWriter.toLine(r) + "\n", Files.readString(f));
        assertEquals("{\"step\":10,\"loss\":1.5E-7}", MetricsWriter.toLine(r));
    }
}
