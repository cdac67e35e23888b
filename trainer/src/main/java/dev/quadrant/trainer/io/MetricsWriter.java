package dev.quadrant.trainer.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;

/**
 * Writes metrics as JSON lines: one object per {@link #write} call, keys in the map's iteration order (pass a
 * {@link java.util.LinkedHashMap} for insertion order), each line flushed as soon as it is written so that a
 * crash loses at most the line being written and {@code quadrant plot} can follow a running job.
 *
 * <p>Values: numbers are JSON numbers (integers stay integers), NaN and infinities are written as {@code null},
 * strings, booleans and {@code null} as themselves; other types are refused. Strings are escaped (control
 * characters and UTF-16 surrogates as {@code \\uXXXX}), so a line never breaks and any Java string survives.
 *
 * <pre>{@code
 * try (MetricsWriter metrics = MetricsWriter.create(Path.of("runs/a.jsonl"))) {
 *     Map<String, Object> row = new LinkedHashMap<>();
 *     row.put("epoch", 1);
 *     row.put("train_loss", 0.6931);
 *     metrics.write(row);   // {"epoch":1,"train_loss":0.6931}
 * }
 * }</pre>
 *
 * <p>Thread-safety: {@link #write} and {@link #close} are synchronized; lines from several threads never interleave.
 */
public final class MetricsWriter implements Closeable {
    private static final JsonFactory JSON = new JsonFactory().setCharacterEscapes(new SurrogateEscapes());

    /**
     * Writes UTF-16 surrogates as {@code \\uXXXX} escapes: a string read from JSON may hold an unpaired one (from a
     * {@code "\\ud800"} escape), which UTF-8 cannot encode and would otherwise become {@code ?}.
     */
    private static final class SurrogateEscapes extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] ascii = CharacterEscapes.standardAsciiEscapesForJSON();

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return Character.isSurrogate((char) ch) ? new SerializedString(String.format("\\u%04x", ch)) : null;
        }
    }

    private final Writer out;
    private final String source;
    private boolean closed;

    private MetricsWriter(Writer out, String source) {
        this.out = out;
        this.source = source;
    }

    /** Creates {@code file}, or truncates it if it exists. */
    public static MetricsWriter create(Path file) throws IOException {
        return open(file, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** Appends to {@code file} (created if missing): for a resumed run. */
    public static MetricsWriter append(Path file) throws IOException {
        return open(file, StandardOpenOption.APPEND);
    }

    private static MetricsWriter open(Path file, StandardOpenOption mode) throws IOException {
        OutputStream os = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode);
        return new MetricsWriter(new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8)),
                file.toString());
    }

    /** Writes to {@code out} (UTF-8), which {@link #close} closes. */
    public static MetricsWriter to(OutputStream out) {
        return new MetricsWriter(new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8)), "stream");
    }

    /**
     * Writes {@code record} as one line and flushes it.
     *
     * @throws IllegalArgumentException for a null key or a value that is not a number, string, boolean or null
     *     (nothing is written then)
     */
    public synchronized void write(Map<String, ?> record) throws IOException {
        if (closed) {
            throw new IOException("metrics file " + source + " is closed");
        }
        String line = toLine(record);
        out.write(line);
        out.write('\n');
        out.flush();
    }

    /** The JSON line (without its newline) that {@link #write} writes for {@code record}. */
    public static String toLine(Map<String, ?> record) {
        StringWriter s = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(s)) {
            g.writeStartObject();
            for (Map.Entry<String, ?> e : record.entrySet()) {
                String key = Objects.requireNonNull(e.getKey(), "metrics key");
                g.writeFieldName(key);
                writeValue(g, key, e.getValue());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new AssertionError("writing to a StringWriter cannot fail", e);
        }
        return s.toString();
    }

    private static void writeValue(JsonGenerator g, String key, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Float) {
            float f = (Float) v;
            if (Float.isFinite(f)) {
                g.writeNumber(f);
            } else {
                g.writeNull();
            }
        } else if (v instanceof BigInteger) {
            g.writeNumber((BigInteger) v);
        } else if (v instanceof BigDecimal) {
            g.writeNumber((BigDecimal) v);
        } else if (v instanceof Number) {
            double d = ((Number) v).doubleValue();
            if (Double.isFinite(d)) {
                g.writeNumber(d);
            } else {
                g.writeNull();
            }
        } else if (v instanceof Boolean) {
            g.writeBoolean((Boolean) v);
        } else if (v instanceof CharSequence || v instanceof Enum) {
            g.writeString(v instanceof Enum ? ((Enum<?>) v).name() : v.toString());
        } else {
            throw new IllegalArgumentException("metrics value of " + Messages.quote(key) + " is a "
                    + v.getClass().getName() + "; expected a number, string, boolean or null");
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            out.close();
        }
    }
}
