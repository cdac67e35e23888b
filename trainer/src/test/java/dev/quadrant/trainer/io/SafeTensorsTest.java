package dev.quadrant.trainer.io;

import static dev.quadrant.trainer.io.SafeTensorsTestFiles.f32;
import static dev.quadrant.trainer.io.SafeTensorsTestFiles.file;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quadrant.device.DType;
import dev.quadrant.device.UserInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SafeTensorsTest {
    @TempDir
    Path dir;

    private static final String ATTN0_HEADER = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}";

    @Test
    void roundTripsThroughAFile() throws IOException {
        Random rnd = new Random(7);
        float[] w = new float[300 * 70]; // > one 64 KiB write chunk
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        int[] labels = rnd.ints(1000, -5, 5).toArray();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("strategy", "hogwild");
        meta.put("note", "ünïcode ✓ \"quoted\"\n");
        List<NamedTensor> tensors = List.of(NamedTensor.ofFloats("w", w, 300, 70),
                NamedTensor.ofInts("labels", labels, 10, 100), NamedTensor.ofFloats("scalar", new float[] {3f}));
        Path f = dir.resolve("a.safetensors");
        SafeTensors.write(f, tensors, meta);

        SafeTensorsFile read = SafeTensors.read(f);
        assertEquals(tensors, read.tensors());
        assertEquals(meta, read.metadata());
        assertArrayEquals(new int[0], read.tensor("scalar").shape());
        assertEquals(0, (Files.size(f) - 8 - 300 * 70 * 4 - 4000 - 4) % 8, "header padded to a multiple of 8");
        try (var stream = Files.list(dir)) {
            assertEquals(1, stream.count(), "no temp file left behind");
        }
    }

    @Test
    void sameInputGivesIdenticalBytes() {
        byte[] a = SafeTensorsTestFiles.sample();
        byte[] b = SafeTensorsTestFiles.sample();
        assertArrayEquals(a, b);
        // metadata order does not matter: keys are sorted
        Map<String, String> m1 = new LinkedHashMap<>();
        m1.put("b", "2");
        m1.put("a", "1");
        Map<String, String> m2 = new LinkedHashMap<>();
        m2.put("a", "1");
        m2.put("b", "2");
        List<NamedTensor> t = List.of(NamedTensor.ofFloats("x", new float[] {1f}, 1));
        assertArrayEquals(SafeTensors.toBytes(t, m1), SafeTensors.toBytes(t, m2));
    }

    @Test
    void preservesNanPayloadsAndNegativeZero() {
        float odd = Float.intBitsToFloat(0x7fc12345);
        byte[] bytes = SafeTensors.toBytes(List.of(NamedTensor.ofFloats("x", new float[] {odd, -0f}, 2)), Map.of());
        float[] back = SafeTensors.read(bytes, "mem").tensor("x").floats();
        assertEquals(0x7fc12345, Float.floatToRawIntBits(back[0]));
        assertEquals(0x80000000, Float.floatToRawIntBits(back[1]));
    }

    // --- byte-exact examples from the safetensors reference implementation's tests ---

    @Test
    void writesTheReferenceExamplesByteForByte() {
        float[] data = {0f, 1f, 2f, 3f, 4f, 5f};
        // header "{"attn.0":...}" is exactly 64 bytes: no padding
        byte[] expected = file("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", f32(data));
        assertEquals(64, expected[0]);
        assertArrayEquals(expected, SafeTensors.toBytes(List.of(NamedTensor.ofFloats("attn.0", data, 1, 2, 3)), Map.of()));
        // a 65-byte header is padded with 7 spaces to 72
        assertArrayEquals(file(ATTN0_HEADER + "       ", f32(data)),
                SafeTensors.toBytes(List.of(NamedTensor.ofFloats("attn0", data, 1, 1, 2, 3)), Map.of()));
        // no tensors: "{}" and 6 spaces; metadata only: 35 bytes and 5 spaces
        assertArrayEquals(file("{}      ", new byte[0]), SafeTensors.toBytes(List.of(), Map.of()));
        assertArrayEquals(file("{\"__metadata__\":{\"framework\":\"pt\"}}     ", new byte[0]),
                SafeTensors.toBytes(List.of(), Map.of("framework", "pt")));
    }

    @Test
    void readsTheReferenceExamples() {
        // an unpadded header (older writers), I32 zeros
        byte[] old = file("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", new byte[16]);
        NamedTensor t = SafeTensors.read(old, "mem").tensor("test");
        assertEquals(DType.INT32, t.dtype());
        assertArrayEquals(new int[] {2, 2}, t.shape());
        assertArrayEquals(new int[4], t.ints());
        byte[] meta = file("{\"__metadata__\":{\"framework\":\"pt\"},\"test1\":{\"dtype\":\"I32\",\"shape\":[2,2],"
                + "\"data_offsets\":[0,16]}}       ", new byte[16]);
        assertEquals(Map.of("framework", "pt"), SafeTensors.read(meta, "mem").metadata());
    }

    @Test
    void readsBf16AsFloat() {
        // 1.0 = 0x3f80, -2.5 = 0xc020, 0.15625 = 0x3e20 (exact in bf16)
        byte[] data = {(byte) 0x80, 0x3f, 0x20, (byte) 0xc0, 0x20, 0x3e, 0, 0};
        byte[] f = file("{\"h\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]}}", data);
        NamedTensor t = SafeTensors.read(f, "mem").tensor("h");
        assertEquals(DType.BF16, t.dtype());
        assertArrayEquals(new float[] {1f, -2.5f, 0.15625f, 0f}, t.floats());
    }

    @Test
    void returnsTensorsInDataOrderAndAcceptsEmptyOnes() {
        String header = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"empty\":{\"dtype\":\"I32\",\"shape\":[0,5],\"data_offsets\":[4,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        SafeTensorsFile f = SafeTensors.read(file(header, f32(1f, 2f)), "mem");
        assertEquals(List.of("a", "empty", "b"), f.tensors().stream().map(NamedTensor::name).toList());
        assertEquals(0, f.tensor("empty").size());
        UserInputException e = assertThrows(UserInputException.class, () -> f.tensor("c"));
        assertEquals("safetensors file mem: no tensor named \"c\" (it has: a, empty, b)", e.getMessage());
    }

    // --- rejection: each message names the file and the field ---

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        unknown dtype        | {"x":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}         | tensor "x" dtype: unknown dtype "Q7"
        unsupported dtype    | {"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}        | tensor "x" dtype: F16 is not supported
        dtype not a string   | {"x":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}            | tensor "x" dtype: expected a string
        negative dim         | {"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}       | tensor "x" shape: dimension 0 is -1
        fractional dim       | {"x":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}      | tensor "x" shape: dimension 0 is 1.0
        huge dim             | {"x":{"dtype":"F32","shape":[4294967296],"data_offsets":[0,4]}} | tensor "x" shape: dimension 0 is 4294967296, larger than 2147483647
        count overflow       | {"x":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,4]}} | tensor "x" shape [2147483647, 2147483647, 2147483647]: element count overflows 64 bits
        byte overflow        | {"x":{"dtype":"F32","shape":[2147483647,2147483647,2],"data_offsets":[0,4]}} | size in bytes overflows 64 bits
        shape not array      | {"x":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}        | tensor "x" shape: expected an array
        size mismatch        | {"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}        | tensor "x" data_offsets [0, 4]: spans 4 bytes but shape [2] of F32 needs 8
        offsets reversed     | {"x":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}        | tensor "x" data_offsets [4, 0]: end is before begin
        offsets negative     | {"x":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}       | tensor "x" data_offsets: begin is -4
        offsets 3 values     | {"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}      | tensor "x" data_offsets: expected [begin, end]
        out of bounds        | {"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}        | tensor "x" data_offsets [0, 8]: out of bounds, the data section is 4 bytes
        hole                 | {"x":{"dtype":"I32","shape":[0],"data_offsets":[4,4]}}        | leaves a hole of 4 bytes after the start of the data section
        trailing             | {"x":{"dtype":"I32","shape":[0],"data_offsets":[0,0]}}        | 4 trailing bytes after the last tensor's data
        missing field        | {"x":{"dtype":"F32","shape":[1]}}                             | tensor "x": missing field data_offsets
        extra field          | {"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"y":1}}  | tensor "x": unexpected field "y"
        entry not object     | {"x":[1]}                                                     | tensor "x": expected an object
        duplicate name       | {"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}} | header: duplicate tensor name "x"
        duplicate metadata   | {"__metadata__":{},"__metadata__":{},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} | header: __metadata__ appears twice
        duplicate meta key   | {"__metadata__":{"a":"1","a":"2"},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} | header: invalid JSON: Duplicate field 'a'
        duplicate field      | {"x":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}} | header: invalid JSON: Duplicate field 'dtype'
        metadata not strings | {"__metadata__":{"k":1},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} | __metadata__ "k": expected a string, found number 1
        metadata not object  | {"__metadata__":"v","x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} | __metadata__: expected an object of strings
        invalid JSON         | {"x":{"dtype":"F32",                                          | header: invalid JSON
        trailing JSON        | {"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} {}     | header: unexpected START_OBJECT after the JSON object
        not an object        | [1,2]                                                         | header: must start with '{', found "["
        """)
    void rejectsMalformedHeaders(String what, String header, String expected) {
        byte[] f = file(header, f32(1f));
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class,
                () -> SafeTensors.read(f, "bad.safetensors"), what);
        assertTrue(e.getMessage().startsWith("safetensors file bad.safetensors: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected <" + expected + "> in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void aForgedTwoGigabyteTensorIsRejectedBeforeAllocation() {
        // 536870912 floats = 2 GiB declared, 4 bytes present: must fail on bounds, not with OutOfMemoryError
        byte[] f = file("{\"x\":{\"dtype\":\"F32\",\"shape\":[536870912],\"data_offsets\":[0,2147483648]}}", f32(1));
        assertMessage(f, "tensor \"x\" data_offsets [0, 2147483648]: out of bounds, the data section is 4 bytes");
    }

    @Test
    void rejectsOverlap() {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        var e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(file(header, f32(1, 2)), "f"));
        assertTrue(e.getMessage().contains("tensor \"b\" data_offsets [4, 8]: overlaps tensor \"a\" [0, 8]"),
                e.getMessage());
    }

    @Test
    void rejectsBadLengthFieldsBeforeAllocating() {
        byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
        assertMessage(file(1L << 62, header, new byte[0]), "header length field: 4611686018427387904 bytes exceeds the"
                + " limit of 100000000");
        assertMessage(file(-1L, header, new byte[0]), "header length field: 18446744073709551615 bytes exceeds");
        assertMessage(file(99_999_999L, header, new byte[0]), "header length field: 99999999 bytes, but only 2 bytes"
                + " follow it");
        assertMessage(new byte[] {2, 0, 0}, "is 3 bytes long, shorter than the 8-byte header length field");
        assertMessage(file(0, new byte[0], new byte[0]), "header: must start with '{', found an empty header");
    }

    @Test
    void rejectsInvalidUtf8AndControlCharactersStayOnOneLine() {
        byte[] h = "{\"x\u00ff\":1}".getBytes(StandardCharsets.ISO_8859_1);
        assertMessage(file(h.length, h, new byte[0]), "header: invalid UTF-8 at header byte 3");
        // a tensor name with a newline and a quote is escaped in the message
        byte[] f = file("{\"a\\nb\\\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", f32(1));
        assertMessage(f, "tensor \"a\\u000ab\\\"c\" data_offsets [0, 8]: spans 8 bytes");
    }

    @Test
    void readsFromAFileWithTheFileNameInMessages() throws IOException {
        Path f = dir.resolve("broken.safetensors");
        Files.write(f, file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1, 2)));
        var e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(f));
        assertEquals("safetensors file " + f + ": 4 trailing bytes after the last tensor's data (data section is 8"
                + " bytes, tensors cover 4)", e.getMessage());
    }

    @Test
    void writerRefusesWhatItCannotWrite() {
        var dup = List.of(NamedTensor.ofFloats("x", new float[1], 1), NamedTensor.ofInts("x", new int[1], 1));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(dup, Map.of()));
        var reserved = List.of(NamedTensor.ofFloats("__metadata__", new float[1], 1));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(reserved, Map.of()));
        var bf16 = List.of(SafeTensors.read(file("{\"h\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}",
                new byte[] {0, 0}), "m").tensor("h"));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(bf16, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> NamedTensor.ofFloats("x", new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> NamedTensor.ofFloats("x", new float[0], -1, 0));
    }

    private static void assertMessage(byte[] content, String expected) {
        var e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(content, "f"));
        assertTrue(e.getMessage().contains(expected), "expected <" + expected + "> in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(Arrays.asList(e.getClass().getSuperclass()).contains(UserInputException.class));
    }
}
