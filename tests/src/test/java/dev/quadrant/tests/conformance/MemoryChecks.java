package dev.quadrant.tests.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/** allocate, upload, download, synchronize, device, describe: exact, as no arithmetic is involved. */
final class MemoryChecks {
    private MemoryChecks() {}

    static void identity(Backend be, dev.quadrant.device.Device.Kind kind) {
        assertEquals(kind, be.device().kind());
        assertNotNull(be.describe());
        assertFalse(be.describe().isBlank());
    }

    static void allocateIsZeroFilledWithTheShapeAsked(Backend be) {
        for (DType dt : DType.values()) {
            try (Tensor t = be.allocate(dt, 3, 5, 7)) {
                assertArrayEquals(new int[] {3, 5, 7}, t.shape());
                assertEquals(dt, t.dtype());
                assertEquals(be.device(), t.device());
                switch (dt) {
                    case FLOAT32 -> {
                        float[] out = new float[105];
                        be.download(t, out, 0);
                        assertArrayEquals(new float[105], out, "fresh FLOAT32 tensor is zero");
                    }
                    case INT32 -> {
                        int[] out = new int[105];
                        be.download(t, out, 0);
                        assertArrayEquals(new int[105], out, "fresh INT32 tensor is zero");
                    }
                    case BF16 -> {
                        try (Tensor f = be.allocate(DType.FLOAT32, 105)) {
                            be.fill(f, 9f);
                            be.castFromBf16(t.reshape(105), f);
                            float[] out = new float[105];
                            be.download(f, out, 0);
                            assertArrayEquals(new float[105], out, "fresh BF16 tensor is zero");
                        }
                    }
                    default -> throw new IllegalStateException(dt.toString());
                }
            }
        }
        try (Tensor empty = be.allocate(DType.FLOAT32, 0)) {
            assertEquals(0, empty.size());
        }
    }

    /** Round trips through views at odd offsets and host arrays at nonzero offsets; the guards stay intact. */
    static void uploadDownloadFloats(Backend be) {
        Random r = new Random(11);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            float[] data = Data.gaussian(r, n, 3);
            try (Guarded g = Guarded.floats(be, new float[n], s)) {
                float[] host = new float[n + 9];
                System.arraycopy(data, 0, host, 4, n);
                be.upload(host, 4, g.view);
                float[] back = new float[n + 6];
                be.download(g.view, back, 2);
                be.synchronize();
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(data[i]), Float.floatToRawIntBits(back[2 + i]),
                            "element " + i + " of " + Data.shape(s));
                }
                assertEquals(0f, back[0]);
                assertEquals(0f, back[n + 2]);
                g.assertGuardsIntact("upload(float[])");
            }
        }
    }

    static void uploadDownloadInts(Backend be) {
        Random r = new Random(12);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            int[] data = new int[n];
            for (int i = 0; i < n; i++) {
                data[i] = r.nextInt();
            }
            try (Guarded g = Guarded.ints(be, new int[n], s)) {
                int[] host = new int[n + 9];
                System.arraycopy(data, 0, host, 4, n);
                be.upload(host, 4, g.view);
                int[] back = new int[n + 6];
                be.download(g.view, back, 2);
                for (int i = 0; i < n; i++) {
                    assertEquals(data[i], back[2 + i], "element " + i + " of " + Data.shape(s));
                }
                g.assertGuardsIntact("upload(int[])");
            }
        }
    }
}
