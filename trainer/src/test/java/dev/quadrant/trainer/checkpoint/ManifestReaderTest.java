package dev.quadrant.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest format: what is written reads back equal, and each kind of defect is refused with a one-line message naming the field. */
class ManifestReaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void writtenManifestReadsBackEqualAndBytesAreDeterministic() {
        CheckpointManifest m = Manifests.sample();
        byte[] json = m.toJson();
        assertEquals(m, ManifestReader.read(json, "sample"));
        assertArrayEquals(json, Manifests.sample().toJson());
        assertEquals(0.001, m.config().get("lr"), "a float is kept as its shortest decimal");
        assertEquals(2L, m.config().get("epochs"));
        String text = new String(json, StandardCharsets.UTF_8);
        assertTrue(text.startsWith("{\n  \"format\" : \"quadrant-checkpoint\",\n  \"version\" : 2,"), text);
    }

    private static ObjectNode tree() throws IOException {
        return (ObjectNode) JSON.readTree(Manifests.sample().toJson());
    }

    private static void assertRefused(String json, String... mustName) {
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
                () -> ManifestReader.read(json.getBytes(StandardCharsets.UTF_8), "m.json"));
        String msg = e.getMessage();
        assertFalse(msg.contains("\n"), "one line: " + msg);
        assertTrue(msg.startsWith("checkpoint manifest m.json: "), msg);
        for (String s : mustName) {
            assertTrue(msg.contains(s), "message should contain '" + s + "': " + msg);
        }
    }

    private static void assertRefused(ObjectNode tree, String... mustName) {
        assertRefused(tree.toString(), mustName);
    }

    @Test
    void refusesMalformedJson() {
        assertRefused("", "no JSON value");
        assertRefused("[1, 2]", "a JSON array", "a JSON object");
        assertRefused("{\"format\": ", "invalid JSON");
        assertRefused("{} {}", "more JSON after the object");
        assertRefused("{\"format\": 1, \"format\": 2}", "invalid JSON", "Duplicate field 'format'");
        assertRefused("{\"a\":" + "[".repeat(40) + "]".repeat(40) + "}", "invalid JSON", "nesting");
    }

    @Test
    void refusesInvalidUtf8AndOversizedInput() {
        byte[] bad = {'{', '"', (byte) 0xc3, '"', ':', '1', '}'};
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> ManifestReader.read(bad, "m"));
        assertTrue(e.getMessage().contains("invalid UTF-8"), e.getMessage());
        byte[] big = new byte[ManifestReader.MAX_BYTES + 1];
        e = assertThrows(CheckpointFormatException.class, () -> ManifestReader.read(big, "m"));
        assertTrue(e.getMessage().contains("more than " + ManifestReader.MAX_BYTES), e.getMessage());
    }

    @Test
    void refusesWrongFormatAndVersions() throws IOException {
        ObjectNode t = tree();
        t.put("format", "safetensors");
        assertRefused(t, "format", "\"safetensors\"", "\"quadrant-checkpoint\"");
        t = tree();
        t.put("version", 3);
        assertRefused(t, "version", "saw 3", "newer Quadrant");
        t = tree();
        t.put("version", 0);
        assertRefused(t, "version", "saw 0");
        t = tree();
        t.put("version", "1");
        assertRefused(t, "version", "string \"1\"", "an integer");
    }

    /** The sample manifest as format version 1 wrote it: flat features and classes instead of the schema. */
    static ObjectNode version1() throws IOException {
        ObjectNode t = tree();
        t.put("version", 1);
        ObjectNode m = (ObjectNode) t.get("model");
        m.remove("input");
        m.remove("target");
        m.remove("vocabulary");
        m.put("features", 16);
        m.put("classes", 4);
        return t;
    }

    @Test
    void readsVersion1ManifestsAsTheirSchema() throws IOException {
        CheckpointManifest m = ManifestReader.read(version1().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), "v1.json");
        assertEquals("x F32[16]", m.model().input());
        assertEquals("label I32[] of 4", m.model().target());
        assertEquals(null, m.model().vocabulary());
        assertEquals(CheckpointManifest.VERSION, m.version(), "upgraded on reading");
        // and the upgraded manifest is a valid version 2 one
        assertEquals(m.model(), ManifestReader.read(m.toJson(), "v2.json").model());
    }

    @Test
    void refusesMissingAndUnknownKeys() throws IOException {
        ObjectNode t = tree();
        t.remove("progress");
        assertRefused(t, "no [progress]");
        t = tree();
        t.put("comment", "hi");
        assertRefused(t, "comment", "an unknown key");
        t = tree();
        ((ObjectNode) t.get("model")).remove("target");
        assertRefused(t, "model: saw no [target]");
        t = tree();
        ((ObjectNode) t.get("run")).put("extra", 1);
        assertRefused(t, "run.extra", "an unknown key");
    }

    @Test
    void refusesValuesOfTheWrongTypeOrRange() throws IOException {
        ObjectNode t = tree();
        ((ObjectNode) t.get("progress")).put("step", -1);
        assertRefused(t, "progress.step", "saw -1");
        t = tree();
        ((ObjectNode) t.get("progress")).put("step", 3.0);
        assertRefused(t, "progress.step", "3.0", "an integer");
        t = tree();
        ((ObjectNode) t.get("progress")).put("batch_in_epoch", 63);
        assertRefused(t, "progress.batch_in_epoch", "saw 63", "0..62");
        t = tree();
        ((ObjectNode) t.get("progress")).put("optimizer_steps", 1L << 40);
        assertRefused(t, "progress.optimizer_steps");
        t = tree();
        ((ObjectNode) t.get("model")).put("dropout", 1.0);
        assertRefused(t, "model.dropout", "[0, 1)");
        t = tree();
        ((ObjectNode) t.get("model")).put("spec", "");
        assertRefused(t, "model.spec", "an empty string");
        t = tree();
        ((ObjectNode) t.get("model")).put("input", "");
        assertRefused(t, "model.input", "an empty string");
        t = version1();
        ((ObjectNode) t.get("model")).put("features", 0);
        assertRefused(t, "model.features", "saw 0");
        t = tree();
        ((ObjectNode) t.get("run")).put("seed", new java.math.BigInteger("123456789012345678901234567890"));
        assertRefused(t, "run.seed");
        t = tree();
        ((ObjectNode) t.get("run")).put("data", "xSURROGATEy");
        assertRefused(t.toString().replace("SURROGATE", "\\ud800"), "run.data", "unpaired");
    }

    @Test
    void refusesBadConfigAndFiles() throws IOException {
        ObjectNode t = tree();
        ((ObjectNode) t.get("config")).putArray("model").add(1);
        assertRefused(t, "config.model", "array", "a string, number, boolean or null");
        t = tree();
        ((ObjectNode) t.get("config")).put("Bad Key", 1);
        assertRefused(t, "config", "\"Bad Key\"", "option names");
        t = tree();
        ((ObjectNode) t.get("files").get("model.safetensors")).put("sha256", "ABC");
        assertRefused(t, "files.model.safetensors.sha256", "64 lowercase hexadecimal digits");
        t = tree();
        ((ObjectNode) t.get("files")).remove("optimizer.safetensors");
        assertRefused(t, "files: saw no [optimizer.safetensors]");
        t = tree();
        ((ObjectNode) t.get("files")).putObject("notes.txt");
        assertRefused(t, "files.notes.txt", "an unknown key");
        t = tree();
        ((ObjectNode) t.get("files").get("model.safetensors")).put("bytes", -5);
        assertRefused(t, "files.model.safetensors.bytes", "saw -5");
    }

    @Test
    void controlCharactersCannotBreakTheMessageOverLines() throws IOException {
        ObjectNode t = tree();
        t.put("format", "a\nb\rc");
        assertRefused(t, "a\\u000ab\\u000dc");
    }

    @Test
    void missingOrHugeFileIsRefusedBeforeReading() throws IOException {
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
                () -> ManifestReader.read(dir.resolve("manifest.json")));
        assertTrue(e.getMessage().contains("no such file (an incomplete checkpoint"), e.getMessage());
        Path huge = dir.resolve("huge.json");
        try (var ch = java.nio.channels.FileChannel.open(huge, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {' '}), 10L << 30); // sparse: 10 GiB claimed, nothing read
        }
        e = assertThrows(CheckpointFormatException.class, () -> ManifestReader.read(huge));
        assertTrue(e.getMessage().contains("more than the " + ManifestReader.MAX_BYTES), e.getMessage());
        Files.delete(huge);
    }
}
