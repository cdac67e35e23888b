package dev.quadrant.trainer.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The strict reader of a checkpoint's {@code manifest.json} ({@link CheckpointManifest}). Every defect is a
 * {@link CheckpointFormatException} naming the file and the field, with the value seen and what was expected:
 * <ul>
 *   <li>more than {@link #MAX_BYTES} bytes (checked before reading), invalid UTF-8, invalid JSON, a duplicate key,
 *       anything after the object, nesting deeper than the format has;</li>
 *   <li>{@code format} other than {@code quadrant-checkpoint}; a {@code version} other than 1 (a newer one is named
 *       as such);</li>
 *   <li>a missing or unknown key in any section; a value of the wrong type (an integer where one is expected, not
 *       {@code 3.0}); a number out of its range (steps and counts {@code >= 0}, sizes {@code >= 1},
 *       {@code batch_in_epoch < steps_per_epoch}, dropout in [0, 1));</li>
 *   <li>text with unpaired UTF-16 surrogates; {@code config} keys that are not option names, values other than
 *       strings, numbers, booleans and null; {@code files} other than exactly
 *       {@code model.safetensors} and {@code optimizer.safetensors}, each with {@code bytes >= 0} and a
 *       {@code sha256} of 64 lowercase hex digits.</li>
 * </ul>
 * What it accepts, {@link CheckpointManifest#toJson()} writes back to an equal manifest.
 *
 * <pre>{@code
 * CheckpointManifest m = ManifestReader.read(Path.of("runs/ck/step-000200/manifest.json"));
 * }</pre>
 *
 * <p>Stateless; thread-safe.
 */
public final class ManifestReader {
    /** Manifests larger than this are rejected before they are read. */
    public static final int MAX_BYTES = 1 << 20;

    private static final int MAX_STRING = 4096;
    private static final Pattern OPTION_NAME = Pattern.compile("[a-z][a-z0-9-]{0,63}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxNumberLength(64)
                    .maxStringLength(MAX_BYTES).build())
            .build());

    private final String source;

    private ManifestReader(String source) {
        this.source = source;
    }

    /**
     * Reads {@code file}.
     *
     * @throws CheckpointFormatException for any defect, including a missing or unreadable file
     */
    public static CheckpointManifest read(Path file) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new CheckpointFormatException("checkpoint manifest " + file + ": " + size
                        + " bytes, more than the " + MAX_BYTES + " a manifest may have");
            }
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes(MAX_BYTES + 1);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CheckpointFormatException("checkpoint manifest " + file + ": no such file (an incomplete "
                    + "checkpoint: the manifest is written last)");
        } catch (IOException e) {
            throw new CheckpointFormatException("checkpoint manifest " + file + ": cannot read: " + e, e);
        }
        return read(bytes, file.toString());
    }

    /** Reads a manifest held in memory; {@code source} names it in messages. */
    public static CheckpointManifest read(byte[] bytes, String source) {
        return new ManifestReader(source).parse(bytes);
    }

    private CheckpointManifest parse(byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            throw fail("", "more than " + MAX_BYTES + " bytes", "a manifest of at most " + MAX_BYTES + " bytes");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw fail("", "invalid UTF-8", "a UTF-8 JSON object");
        }
        JsonNode root;
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw fail("", p.currentToken() == null ? "no JSON value" : "a JSON " + tokenKind(p.currentToken()),
                        "a JSON object");
            }
            root = JSON.readTree(p);
            JsonToken after = p.nextToken();
            if (after != null) {
                throw fail("", "more JSON after the object (" + tokenKind(after) + ")", "end of file");
            }
        } catch (JsonProcessingException e) {
            throw fail("", "invalid JSON: " + oneLine(e.getOriginalMessage())
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"), "a JSON object", e);
        } catch (IOException e) {
            throw new IllegalStateException("reading a string cannot fail with I/O", e);
        }

        String format = string(root, "", "format");
        if (!format.equals(CheckpointManifest.FORMAT)) {
            throw fail("format", quote(format), "\"" + CheckpointManifest.FORMAT + "\"");
        }
        long version = integer(root, "", "version", 1, Integer.MAX_VALUE);
        if (version < 1 || version > CheckpointManifest.VERSION) { // before the keys: a newer one may have others
            throw fail("version", Long.toString(version), "1 to " + CheckpointManifest.VERSION + " (this checkpoint "
                    + "was written by a newer Quadrant; use that version, or a checkpoint of format version 1 or 2)");
        }
        keys(root, "", Set.of("format", "version", "progress", "model", "run", "config", "files"));

        JsonNode pn = section(root, "progress",
                Set.of("step", "epoch", "batch_in_epoch", "steps_per_epoch", "optimizer_steps", "skipped_steps"));
        long stepsPerEpoch = integer(pn, "progress.", "steps_per_epoch", 1, Integer.MAX_VALUE);
        CheckpointManifest.Progress progress = new CheckpointManifest.Progress(
                integer(pn, "progress.", "step", 0, Long.MAX_VALUE),
                (int) integer(pn, "progress.", "epoch", 0, Integer.MAX_VALUE),
                (int) integer(pn, "progress.", "batch_in_epoch", 0, stepsPerEpoch - 1),
                stepsPerEpoch,
                integer(pn, "progress.", "optimizer_steps", 0, Integer.MAX_VALUE),
                integer(pn, "progress.", "skipped_steps", 0, Long.MAX_VALUE));

        JsonNode mn = section(root, "model", version == 1
                ? Set.of("spec", "activation", "dropout", "features", "classes", "parameters")
                : Set.of("spec", "activation", "dropout", "input", "target", "vocabulary", "parameters"));
        double dropout = number(mn, "model.", "dropout");
        if (!(dropout >= 0 && dropout < 1)) {
            throw fail("model.dropout", Double.toString(dropout), "a number in [0, 1)");
        }
        String input;
        String target;
        String vocabulary = null;
        if (version == 1) {   // version 1 knew only classifiers of flat features: their schema in version 2's words
            long features = integer(mn, "model.", "features", 1, Integer.MAX_VALUE);
            long classes = integer(mn, "model.", "classes", 2, Integer.MAX_VALUE);
            input = CheckpointManifest.Model.v1Input((int) features);
            target = CheckpointManifest.Model.v1Target((int) classes);
        } else {
            input = string(mn, "model.", "input");
            target = string(mn, "model.", "target");
            JsonNode v = mn.get("vocabulary");
            if (v != null && !v.isNull()) {
                vocabulary = string(mn, "model.", "vocabulary");
            }
        }
        CheckpointManifest.Model model = new CheckpointManifest.Model(
                string(mn, "model.", "spec"), string(mn, "model.", "activation"), (float) dropout, input, target,
                vocabulary, integer(mn, "model.", "parameters", 1, Long.MAX_VALUE));

        JsonNode rn = section(root, "run", Set.of("optimizer", "batch", "seed", "data", "train_samples", "strategy",
                "replicas", "devices"));
        CheckpointManifest.Run run = new CheckpointManifest.Run(
                string(rn, "run.", "optimizer"),
                (int) integer(rn, "run.", "batch", 1, Integer.MAX_VALUE),
                integer(rn, "run.", "seed", Long.MIN_VALUE, Long.MAX_VALUE),
                string(rn, "run.", "data"),
                (int) integer(rn, "run.", "train_samples", 1, Integer.MAX_VALUE),
                string(rn, "run.", "strategy"),
                (int) integer(rn, "run.", "replicas", 1, Integer.MAX_VALUE),
                string(rn, "run.", "devices"));

        JsonNode cn = object(root, "", "config");
        Map<String, Object> config = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = cn.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!OPTION_NAME.matcher(e.getKey()).matches()) {
                throw fail("config", "key " + quote(e.getKey()), "option names such as \"epochs\" or \"csv-label-column\"");
            }
            config.put(e.getKey(), scalar("config." + e.getKey(), e.getValue()));
        }

        JsonNode fn = section(root, "files", Set.copyOf(CheckpointManifest.FILES));
        Map<String, CheckpointManifest.FileEntry> files = new LinkedHashMap<>();
        for (String name : CheckpointManifest.FILES) {
            String where = "files." + name + ".";
            JsonNode one = object(fn, "files.", name);
            keys(one, where, Set.of("bytes", "sha256"));
            long size = integer(one, where, "bytes", 0, Long.MAX_VALUE);
            String sha = string(one, where, "sha256");
            if (!SHA256.matcher(sha).matches()) {
                throw fail(where + "sha256", quote(sha), "64 lowercase hexadecimal digits");
            }
            files.put(name, new CheckpointManifest.FileEntry(size, sha));
        }
        return new CheckpointManifest(CheckpointManifest.VERSION, progress, model, run, config, files); // upgraded
    }

    private JsonNode section(JsonNode root, String name, Set<String> allowed) {
        JsonNode n = object(root, "", name);
        keys(n, name + ".", allowed);
        return n;
    }

    /** Checks that {@code node} has exactly the keys {@code allowed}. */
    private void keys(JsonNode node, String where, Set<String> allowed) {
        List<String> missing = new ArrayList<>();
        for (String k : allowed) {
            if (!node.has(k)) {
                missing.add(k);
            }
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw fail(where + checkedKey(where, k), "an unknown key", "only " + sorted(allowed)
                        + (where.isEmpty() ? " (is this a checkpoint of format version 1?)" : ""));
            }
        }
        if (!missing.isEmpty()) {
            throw fail(where.isEmpty() ? "" : where.substring(0, where.length() - 1), "no " + sorted(missing),
                    "all of " + sorted(allowed));
        }
    }

    private JsonNode object(JsonNode parent, String where, String key) {
        JsonNode n = parent.get(key);
        if (n == null || !n.isObject()) {
            throw fail(where + key, n == null ? "nothing" : kind(n), "an object");
        }
        return n;
    }

    private String string(JsonNode parent, String where, String key) {
        JsonNode n = parent.get(key);
        if (n == null || !n.isTextual()) {
            throw fail(where + key, n == null ? "nothing" : kind(n), "a string");
        }
        String s = n.textValue();
        if (s.isEmpty() || s.length() > MAX_STRING) {
            throw fail(where + key, s.isEmpty() ? "an empty string" : "a string of " + s.length() + " characters",
                    "a string of 1 to " + MAX_STRING + " characters");
        }
        return wellFormed(where + key, s);
    }

    private long integer(JsonNode parent, String where, String key, long min, long max) {
        JsonNode n = parent.get(key);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
            throw fail(where + key, n == null ? "nothing" : kind(n), "an integer in " + min + ".." + max);
        }
        long v = n.longValue();
        if (v < min || v > max) {
            throw fail(where + key, Long.toString(v), "an integer in " + min + ".." + max);
        }
        return v;
    }

    private double number(JsonNode parent, String where, String key) {
        JsonNode n = parent.get(key);
        if (n == null || !n.isNumber() || !Double.isFinite(n.doubleValue())) {
            throw fail(where + key, n == null ? "nothing" : kind(n), "a finite number");
        }
        return n.doubleValue();
    }

    private Object scalar(String where, JsonNode n) {
        if (n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            if (n.textValue().length() > MAX_STRING) {
                throw fail(where, "a string of " + n.textValue().length() + " characters",
                        "at most " + MAX_STRING + " characters");
            }
            return wellFormed(where, n.textValue());
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isIntegralNumber()) {
            if (!n.canConvertToLong()) {
                throw fail(where, kind(n), "an integer that fits 64 bits");
            }
            return n.longValue();
        }
        if (n.isNumber() && Double.isFinite(n.doubleValue())) {
            return n.doubleValue();
        }
        throw fail(where, kind(n), "a string, number, boolean or null");
    }

    /** Refuses unpaired UTF-16 surrogates (from JSON escapes such as {@code "\ud800"}): no UTF-8 file can hold them. */
    private String wellFormed(String where, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw fail(where, quote(s), "text without unpaired UTF-16 surrogates (\\u" + Integer.toHexString(c)
                        + " at character " + i + ")");
            }
        }
        return s;
    }

    private String checkedKey(String where, String key) {
        if (key.isEmpty() || key.length() > 200) {
            throw fail(where, "a key of " + key.length() + " characters", "keys of 1 to 200 characters");
        }
        return escape(key);
    }

    private CheckpointFormatException fail(String field, String seen, String expected) {
        return fail(field, seen, expected, null);
    }

    private CheckpointFormatException fail(String field, String seen, String expected, Throwable cause) {
        return new CheckpointFormatException("checkpoint manifest " + source + ": " + (field.isEmpty() ? "" : field
                + ": ") + "saw " + seen + ", expected " + expected, cause);
    }

    private static List<String> sorted(java.util.Collection<String> keys) {
        return keys.stream().sorted().toList();
    }

    private static String kind(JsonNode n) {
        String s = n.toString();
        return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " "
                + escape(s.length() <= 40 ? s : s.substring(0, 37) + "...");
    }

    private static String tokenKind(JsonToken t) {
        return switch (t) {
            case START_ARRAY -> "array";
            case VALUE_STRING -> "string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NULL -> "null";
            case START_OBJECT -> "object";
            default -> t.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String quote(String s) {
        return "\"" + escape(s.length() <= 80 ? s : s.substring(0, 77) + "...") + "\"";
    }

    /** Control characters and unpaired surrogates as \\uXXXX, so a hostile file cannot break the one-line message. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pairedHigh = Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1));
            if (pairedHigh) {
                b.append(c).append(s.charAt(++i));
            } else if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) || c == '\u2028' || c == '\u2029') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String oneLine(String s) {
        String line = s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
        return escape(line.length() <= 200 ? line : line.substring(0, 197) + "...");
    }
}
