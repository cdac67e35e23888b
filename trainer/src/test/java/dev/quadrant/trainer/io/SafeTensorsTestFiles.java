package dev.quadrant.trainer.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Hand-built safetensors bytes for the tests. */
final class SafeTensorsTestFiles {
    private SafeTensorsTestFiles() {}

    /** 8-byte length of {@code header} (as given, no padding), the header, then {@code data}. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return file(h.length, h, data);
    }

    /** A file whose length field says {@code declaredLength}, whatever follows. */
    static byte[] file(long declaredLength, byte[] header, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(declaredLength).array());
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** A small valid file with two float tensors, one int tensor and metadata. */
    static byte[] sample() {
        return SafeTensors.toBytes(List.of(
                NamedTensor.ofFloats("fc1.weight", new float[] {1.5f, -2f, 0.25f, 3f, Float.NaN, -0f}, 2, 3),
                NamedTensor.ofFloats("fc1.bias", new float[] {0.5f, -0.5f}, 2),
                NamedTensor.ofInts("step", new int[] {42}, 1)),
                Map.of("strategy", "allreduce", "epoch", "3"));
    }
}
