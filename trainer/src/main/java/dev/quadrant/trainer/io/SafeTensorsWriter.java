package dev.quadrant.trainer.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quadrant.device.DType;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Lays out one safetensors file: header first (computed eagerly, so argument errors come before any byte is
 * written), then the data streamed in 64 KiB chunks. Used through {@link SafeTensors#write}. Not thread-safe; one
 * instance per file.
 */
final class SafeTensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK_BYTES = 1 << 16;

    private final List<NamedTensor> tensors;
    private final byte[] header;

    SafeTensorsWriter(List<NamedTensor> tensors, Map<String, String> metadata) {
        this.tensors = List.copyOf(tensors);
        this.header = header(this.tensors, metadata);
    }

    private static byte[] header(List<NamedTensor> tensors, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) { // sorted: byte-reproducible
                meta.put(e.getKey(), Objects.requireNonNull(e.getValue(), () -> "metadata value of " + e.getKey()));
            }
        }
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (NamedTensor t : tensors) {
            if (t.name().equals("__metadata__")) {
                throw new IllegalArgumentException("\"__metadata__\" is reserved and cannot name a tensor");
            }
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("duplicate tensor name " + Messages.quote(t.name()));
            }
            if (t.dtype() != DType.FLOAT32 && t.dtype() != DType.INT32) {
                throw new IllegalArgumentException("tensor " + Messages.quote(t.name()) + " is " + t.dtype()
                        + "; only FLOAT32 and INT32 tensors are written");
            }
            long bytes = (long) t.size() * t.dtype().bytes();
            ObjectNode info = root.putObject(t.name());
            info.put("dtype", t.dtype().safetensorsName());
            ArrayNode shape = info.putArray("shape");
            Arrays.stream(t.shape()).forEach(shape::add);
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // a tree of strings and numbers always serialises
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    void writeTo(OutputStream out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length);
        out.write(buf.array(), 0, 8);
        out.write(header);
        for (NamedTensor t : tensors) {
            int n = t.size();
            int per = CHUNK_BYTES / 4;
            for (int from = 0; from < n; from += per) {
                int len = Math.min(per, n - from);
                buf.clear();
                if (t.isFloat()) {
                    buf.asFloatBuffer().put(t.floats(), from, len); // raw bits: NaN payloads survive
                } else {
                    buf.asIntBuffer().put(t.ints(), from, len);
                }
                out.write(buf.array(), 0, len * 4);
            }
        }
        out.flush();
    }
}
