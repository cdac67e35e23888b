package dev.quadrant.trainer.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quadrant.device.DType;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The strict safetensors reader behind {@link SafeTensors#read(Path)}. Checks, each failing with a
 * {@link SafeTensorsFormatException} that names the file and the field:
 * <ul>
 *   <li>the file holds at least the 8-byte length field; the header length is at most
 *       {@link SafeTensors#MAX_HEADER_BYTES} and no more than the bytes that follow it;</li>
 *   <li>the header is valid UTF-8, starts with <code>{</code>, is one JSON object with nothing but whitespace after
 *       it, and has no duplicate keys at any level;</li>
 *   <li>{@code __metadata__}, if present, is an object of strings;</li>
 *   <li>each tensor entry has exactly {@code dtype}, {@code shape} and {@code data_offsets}; the dtype is F32, I32
 *       or BF16 (other safetensors dtypes are named as unsupported); the shape holds integers in
 *       {@code [0, 2^31-1]} whose product, in bytes, fits in 64 bits; the offsets are two integers
 *       {@code 0 <= begin <= end} and {@code end - begin} is exactly the shape's size in bytes;</li>
 *   <li>sorted by offset, the tensors tile the data section exactly: no byte out of bounds, no overlap, no hole, no
 *       trailing byte; each tensor fits in a Java array.</li>
 * </ul>
 * Only then are the arrays allocated, so allocation never exceeds the file's size. Not thread-safe; one instance per
 * read.
 */
final class SafeTensorsReader {
    private static final ObjectMapper JSON = new ObjectMapper(
            JsonFactory.builder().enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());
    private static final int CHUNK_BYTES = 1 << 20;
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
    private static final List<String> OTHER_DTYPES = List.of(
            "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "I16", "U16", "F16",
            "U32", "F64", "I64", "U64", "C64");

    /** Random access to the file's bytes. */
    private interface Source {
        long size() throws IOException;

        /** Fills {@code dst} from {@code position} on; the caller has checked that the bytes exist. */
        void read(long position, ByteBuffer dst) throws IOException;
    }

    private final String source;
    private final Source in;

    private SafeTensorsReader(String source, Source in) {
        this.source = source;
        this.in = in;
    }

    static SafeTensorsFile read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Source src = new Source() {
                @Override
                public long size() throws IOException {
                    return channel.size();
                }

                @Override
                public void read(long position, ByteBuffer dst) throws IOException {
                    long p = position;
                    while (dst.hasRemaining()) {
                        int n = channel.read(dst, p);
                        if (n < 0) {
                            throw new EOFException(file + " shrank while it was being read");
                        }
                        p += n;
                    }
                }
            };
            return new SafeTensorsReader(file.toString(), src).read();
        }
    }

    static SafeTensorsFile read(byte[] content, String sourceName) {
        Source src = new Source() {
            @Override
            public long size() {
                return content.length;
            }

            @Override
            public void read(long position, ByteBuffer dst) {
                dst.put(content, (int) position, dst.remaining());
            }
        };
        try {
            return new SafeTensorsReader(sourceName, src).read();
        } catch (IOException e) {
            throw new AssertionError("reading from memory cannot fail", e);
        }
    }

    /** One tensor entry of the header, validated on its own. */
    private record Entry(String name, DType dtype, int[] shape, long count, long begin, long end) {}

    private SafeTensorsFile read() throws IOException {
        long size = in.size();
        if (size < 8) {
            throw fail("is " + size + " bytes long, shorter than the 8-byte header length field");
        }
        ByteBuffer lengthField = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        in.read(0, lengthField);
        long headerLength = lengthField.getLong(0);
        if (headerLength < 0 || headerLength > SafeTensors.MAX_HEADER_BYTES) {
            throw fail("header length field: " + Long.toUnsignedString(headerLength) + " bytes exceeds the limit of "
                    + SafeTensors.MAX_HEADER_BYTES);
        }
        if (headerLength > size - 8) {
            throw fail("header length field: " + headerLength + " bytes, but only " + (size - 8)
                    + " bytes follow it");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        in.read(8, headerBytes);
        headerBytes.flip();
        String header = decodeUtf8(headerBytes);
        if (header.isEmpty() || header.charAt(0) != '{') {
            throw fail("header: must start with '{', found "
                    + (header.isEmpty() ? "an empty header" : Messages.quote(header.substring(0, 1))));
        }

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        parseHeader(header, metadata, entries);

        long dataStart = 8 + headerLength;
        long dataLength = size - dataStart;
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end)); // stable
        checkTiling(byOffset, dataLength);

        List<NamedTensor> tensors = new ArrayList<>(byOffset.size());
        for (Entry e : byOffset) {
            tensors.add(load(e, dataStart));
        }
        return new SafeTensorsFile(source, tensors, metadata);
    }

    private String decodeUtf8(ByteBuffer bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer chars = CharBuffer.allocate(bytes.remaining()); // UTF-8 never has more chars than bytes
        CoderResult r = decoder.decode(bytes, chars, true);
        if (r.isError()) {
            throw fail("header: invalid UTF-8 at header byte " + bytes.position());
        }
        r = decoder.flush(chars);
        if (r.isError()) {
            throw fail("header: invalid UTF-8 at the end of the header");
        }
        return chars.flip().toString();
    }

    private void parseHeader(String header, Map<String, String> metadata, List<Entry> entries) {
        Set<String> seen = new HashSet<>();
        JsonParser p;
        try {
            p = JSON.createParser(header);
        } catch (IOException e) {
            throw new AssertionError("creating a parser over a string cannot fail", e);
        }
        try (p) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw fail("header: is not a JSON object");
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String key = p.currentName();
                if (!seen.add(key)) { // Jackson's own detection normally fires first; see below
                    throw duplicateKey(key);
                }
                p.nextToken();
                JsonNode value = JSON.readTree(p);
                if (key.equals("__metadata__")) {
                    readMetadata(value, metadata);
                } else {
                    entries.add(entry(key, value));
                }
            }
            if (p.nextToken() != null) {
                throw fail("header: unexpected " + p.currentToken() + " after the JSON object (only space padding may"
                        + " follow it)");
            }
        } catch (JsonProcessingException e) {
            String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            JsonStreamContext context = p.getParsingContext();
            boolean topLevel = context != null && context.inObject() && context.getParent() != null
                    && context.getParent().inRoot();
            if (topLevel && message.startsWith("Duplicate field '") && message.endsWith("'")) {
                throw duplicateKey(message.substring("Duplicate field '".length(), message.length() - 1));
            }
            throw fail("header: invalid JSON: " + oneLine(message) + locationOf(e), e);
        } catch (IOException e) {
            throw new AssertionError("parsing a string cannot fail with I/O", e);
        }
    }

    private SafeTensorsFormatException duplicateKey(String key) {
        return fail("header: " + (key.equals("__metadata__") ? "__metadata__ appears twice"
                : "duplicate tensor name " + Messages.quote(key)));
    }

    private void readMetadata(JsonNode value, Map<String, String> metadata) {
        if (!value.isObject()) {
            throw fail("__metadata__: expected an object of strings, found " + kind(value));
        }
        for (Map.Entry<String, JsonNode> e : value.properties()) {
            if (!e.getValue().isTextual()) {
                throw fail("__metadata__ " + Messages.quote(e.getKey()) + ": expected a string, found "
                        + kind(e.getValue()));
            }
            metadata.put(e.getKey(), e.getValue().textValue());
        }
    }

    private Entry entry(String name, JsonNode value) {
        String where = "tensor " + Messages.quote(name);
        if (!value.isObject()) {
            throw fail(where + ": expected an object with dtype, shape and data_offsets, found " + kind(value));
        }
        for (Iterator<String> it = value.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!field.equals("dtype") && !field.equals("shape") && !field.equals("data_offsets")) {
                throw fail(where + ": unexpected field " + Messages.quote(field)
                        + " (expected dtype, shape and data_offsets)");
            }
        }
        DType dtype = dtype(where, required(where, value, "dtype"));

        JsonNode shapeNode = required(where, value, "shape");
        if (!shapeNode.isArray()) {
            throw fail(where + " shape: expected an array of non-negative integers, found " + kind(shapeNode));
        }
        int[] shape = new int[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || d.bigIntegerValue().signum() < 0) {
                throw fail(where + " shape: dimension " + i + " is " + abbreviate(d) + ", expected a non-negative"
                        + " integer");
            }
            if (!d.canConvertToInt()) {
                throw fail(where + " shape: dimension " + i + " is " + abbreviate(d) + ", larger than "
                        + Integer.MAX_VALUE);
            }
            shape[i] = d.intValue();
        }
        long count;
        try {
            count = NamedTensor.elementCount(shape); // a zero dimension makes it 0 before anything overflows
        } catch (ArithmeticException e) {
            throw fail(where + " shape " + Arrays.toString(shape) + ": element count overflows 64 bits");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(count, dtype.bytes());
        } catch (ArithmeticException e) {
            throw fail(where + " shape " + Arrays.toString(shape) + ": size in bytes overflows 64 bits");
        }

        JsonNode offsets = required(where, value, "data_offsets");
        if (!offsets.isArray() || offsets.size() != 2) {
            throw fail(where + " data_offsets: expected [begin, end], found " + abbreviate(offsets));
        }
        long[] be = new long[2];
        for (int i = 0; i < 2; i++) {
            JsonNode o = offsets.get(i);
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.longValue() < 0) {
                throw fail(where + " data_offsets: " + (i == 0 ? "begin" : "end") + " is " + abbreviate(o)
                        + ", expected an integer in [0, 2^63)");
            }
            be[i] = o.longValue();
        }
        if (be[1] < be[0]) {
            throw fail(where + " data_offsets [" + be[0] + ", " + be[1] + "]: end is before begin");
        }
        if (be[1] - be[0] != bytes) {
            throw fail(where + " data_offsets [" + be[0] + ", " + be[1] + "]: spans " + (be[1] - be[0])
                    + " bytes but shape " + Arrays.toString(shape) + " of " + dtype.safetensorsName() + " needs "
                    + bytes);
        }
        return new Entry(name, dtype, shape, count, be[0], be[1]);
    }

    private JsonNode required(String where, JsonNode object, String field) {
        JsonNode v = object.get(field);
        if (v == null) {
            throw fail(where + ": missing field " + field);
        }
        return v;
    }

    private DType dtype(String where, JsonNode node) {
        if (!node.isTextual()) {
            throw fail(where + " dtype: expected a string such as \"F32\", found " + kind(node));
        }
        String s = node.textValue();
        for (DType d : DType.values()) {
            if (d.safetensorsName().equals(s)) {
                return d;
            }
        }
        if (OTHER_DTYPES.contains(s)) {
            throw fail(where + " dtype: " + s + " is not supported (Quadrant reads F32, I32 and BF16)");
        }
        throw fail(where + " dtype: unknown dtype " + Messages.quote(s) + " (Quadrant reads F32, I32 and BF16)");
    }

    private void checkTiling(List<Entry> byOffset, long dataLength) {
        long expected = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            String where = "tensor " + Messages.quote(e.name()) + " data_offsets [" + e.begin() + ", " + e.end() + "]";
            if (e.end() > dataLength) {
                throw fail(where + ": out of bounds, the data section is " + dataLength + " bytes");
            }
            if (e.begin() < expected) {
                throw fail(where + ": overlaps tensor " + Messages.quote(previous.name()) + " [" + previous.begin()
                        + ", " + previous.end() + "]");
            }
            if (e.begin() > expected) {
                throw fail(where + ": leaves a hole of " + (e.begin() - expected) + " bytes after "
                        + (previous == null ? "the start of the data section" : "tensor " + Messages.quote(previous.name())));
            }
            if (e.count() > MAX_ARRAY) {
                throw fail("tensor " + Messages.quote(e.name()) + " shape " + Arrays.toString(e.shape()) + ": "
                        + e.count() + " elements, more than a Java array holds (" + MAX_ARRAY + ")");
            }
            expected = e.end();
            previous = e;
        }
        if (expected != dataLength) {
            throw fail(dataLength - expected + " trailing bytes after the last tensor's data (data section is "
                    + dataLength + " bytes, tensors cover " + expected + ")");
        }
    }

    private NamedTensor load(Entry e, long dataStart) throws IOException {
        int n = (int) e.count();
        int elementBytes = e.dtype().bytes();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, (long) n * elementBytes))
                .order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = CHUNK_BYTES / elementBytes;
        long position = dataStart + e.begin();
        if (e.dtype() == DType.INT32) {
            int[] data = new int[n];
            for (int from = 0; from < n; from += perChunk) {
                int len = Math.min(perChunk, n - from);
                fill(buf, position + (long) from * elementBytes, len * elementBytes);
                buf.asIntBuffer().get(data, from, len);
            }
            return NamedTensor.ofInts(e.name(), data, e.shape());
        }
        float[] data = new float[n];
        for (int from = 0; from < n; from += perChunk) {
            int len = Math.min(perChunk, n - from);
            fill(buf, position + (long) from * elementBytes, len * elementBytes);
            if (e.dtype() == DType.FLOAT32) {
                buf.asFloatBuffer().get(data, from, len);
            } else { // BF16: the high half of a float32
                for (int i = 0; i < len; i++) {
                    data[from + i] = Float.intBitsToFloat((buf.getShort(2 * i) & 0xffff) << 16);
                }
            }
        }
        return e.dtype() == DType.FLOAT32 ? NamedTensor.ofFloats(e.name(), data, e.shape())
                : NamedTensor.ofBf16(e.name(), data, e.shape());
    }

    private void fill(ByteBuffer buf, long position, int bytes) throws IOException {
        buf.clear().limit(bytes);
        in.read(position, buf);
        buf.flip();
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + abbreviate(node);
    }

    private static String abbreviate(JsonNode node) {
        String s = node.toString();
        return Messages.escape(s.length() <= 40 ? s : s.substring(0, 37) + "...");
    }

    private static String locationOf(JsonProcessingException e) {
        return e.getLocation() == null ? ""
                : " (header line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }

    /** A parser's message as one short line (Jackson's span several and may quote the input). */
    static String oneLine(String s) {
        String line = s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
        return Messages.escape(line.length() <= 200 ? line : line.substring(0, 197) + "...");
    }

    private SafeTensorsFormatException fail(String what) {
        return new SafeTensorsFormatException("safetensors file " + source + ": " + what);
    }

    private SafeTensorsFormatException fail(String what, Throwable cause) {
        return new SafeTensorsFormatException("safetensors file " + source + ": " + what, cause);
    }
}
