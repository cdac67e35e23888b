package dev.quadrant.trainer.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a JSON-lines metrics file as written by {@link MetricsWriter}: one map per non-blank line, keys in file
 * order. Values come back as {@link Long} (integers that fit), {@link Double} (other numbers), {@link String},
 * {@link Boolean} or {@code null} (which is also how NaN and infinities were written).
 *
 * <p>Every defect is a {@link MetricsFormatException} naming the file and the 1-based line: invalid UTF-8, invalid
 * JSON, a line that is not one object, a nested array or object, a duplicate key, a line longer than
 * {@link #MAX_LINE_BYTES}.
 *
 * <pre>{@code
 * for (Map<String, Object> row : MetricsReader.read(Path.of("runs/a.jsonl"))) {
 *     Object loss = row.get("train_loss");
 * }
 * }</pre>
 *
 * <p>Thread-safety: stateless; concurrent calls are independent.
 */
public final class MetricsReader {
    /** Lines longer than this (in bytes) are rejected rather than buffered. */
    public static final int MAX_LINE_BYTES = 1 << 20;

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private MetricsReader() {}

    /**
     * Reads every record of {@code file}.
     *
     * @throws MetricsFormatException for a defect of the content
     * @throws IOException if the file cannot be read
     */
    public static List<Map<String, Object>> read(Path file) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        stream(file, (row, line, end, terminated) -> rows.add(row));
        return rows;
    }

    /** Reads every record of {@code in} (not closed); {@code source} names it in messages. */
    public static List<Map<String, Object>> read(InputStream in, String source) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        stream(in, source, (row, line, end, terminated) -> rows.add(row));
        return rows;
    }

    /** Receives the records of a streamed file one at a time ({@link #stream}). */
    @FunctionalInterface
    public interface RecordVisitor {
        /**
         * One record.
         *
         * @param lineNumber its 1-based line
         * @param endOffset the byte offset just after its line (after the newline, if it has one)
         * @param terminated whether the line ends in a newline (a crash may cut the last one off)
         * @return false to stop reading
         */
        boolean visit(Map<String, Object> row, long lineNumber, long endOffset, boolean terminated) throws IOException;
    }

    /**
     * Streams the records of {@code file} (a regular file) to {@code visitor}, holding one line at a time, so that
     * memory stays bounded by {@link #MAX_LINE_BYTES} whatever the file's length.
     *
     * @throws MetricsFormatException for a defect, at the first bad line (earlier records have been visited)
     */
    public static void stream(Path file, RecordVisitor visitor) throws IOException {
        try {
            if (Files.exists(file)) { // a missing file stays a NoSuchFileException
                InputFiles.requireRegular("metrics file", file);
            }
        } catch (dev.quadrant.device.UserInputException e) {
            throw new MetricsFormatException(e.getMessage(), e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            stream(in, file.toString(), visitor);
        }
    }

    /** As {@link #stream(Path, RecordVisitor)} for a stream (not closed); {@code source} names it in messages. */
    public static void stream(InputStream in, String source, RecordVisitor visitor) throws IOException {
        byte[] chunk = new byte[1 << 16];
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long lineNumber = 1;
        long offset = 0;
        for (int n; (n = in.read(chunk)) != -1; offset += n) {
            int start = 0;
            for (int i = 0; i < n; i++) {
                if (chunk[i] == '\n') {
                    append(line, chunk, start, i - start, source, lineNumber);
                    if (!emit(visitor, line, source, lineNumber++, offset + i + 1, true)) {
                        return;
                    }
                    start = i + 1;
                }
            }
            append(line, chunk, start, n - start, source, lineNumber);
        }
        emit(visitor, line, source, lineNumber, offset, false);
    }

    private static boolean emit(RecordVisitor visitor, ByteArrayOutputStream line, String source, long lineNumber,
                                long end, boolean terminated) throws IOException {
        Map<String, Object> row = parseLine(line.toByteArray(), source, lineNumber);
        line.reset();
        return row == null || visitor.visit(row, lineNumber, end, terminated);
    }

    private static void append(ByteArrayOutputStream line, byte[] chunk, int from, int length, String source,
                               long lineNumber) {
        if (line.size() + length > MAX_LINE_BYTES) {
            throw new MetricsFormatException(prefix(source, lineNumber) + "longer than " + MAX_LINE_BYTES + " bytes");
        }
        line.write(chunk, from, length);
    }

    /** The record on one line, or null for a blank line. */
    private static Map<String, Object> parseLine(byte[] bytes, String source, long lineNumber) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new MetricsFormatException(prefix(source, lineNumber) + "invalid UTF-8", e);
        }
        if (text.isBlank()) {
            return null;
        }
        Map<String, Object> row = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new MetricsFormatException(prefix(source, lineNumber) + "expected a JSON object, found "
                        + p.currentToken());
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String key = p.currentName();
                row.put(key, value(p, p.nextToken(), key, source, lineNumber));
            }
            JsonToken after = p.nextToken();
            if (after != null) {
                throw new MetricsFormatException(prefix(source, lineNumber) + "unexpected " + after
                        + " after the object (one object per line)");
            }
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " (column " + e.getLocation().getColumnNr() + ")";
            throw new MetricsFormatException(prefix(source, lineNumber) + "invalid JSON: "
                    + SafeTensorsReader.oneLine(e.getOriginalMessage()) + where, e);
        } catch (IOException e) {
            throw new AssertionError("parsing a string cannot fail with I/O", e);
        }
        return Collections.unmodifiableMap(row);
    }

    private static Object value(JsonParser p, JsonToken t, String key, String source, long lineNumber)
            throws IOException {
        switch (t) {
            case VALUE_NUMBER_INT:
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? (Object) p.getDoubleValue()
                        : (Object) p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue();
            case VALUE_STRING:
                return p.getText();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new MetricsFormatException(prefix(source, lineNumber) + "key " + Messages.quote(key)
                        + ": expected a number, string, boolean or null, found " + t);
        }
    }

    private static String prefix(String source, long lineNumber) {
        return "metrics file " + source + " line " + lineNumber + ": ";
    }
}
