package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;
import dev.quadrant.device.reference.ReferenceBackend;
import dev.quadrant.kernels.HostKernels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link CudaBackend}'s image ops end to end on the stub libraries (host memory as device memory, the kernels as
 * {@link HostKernels}), against the float64 {@link ReferenceBackend}: the argument checks, the addresses of views at
 * odd offsets, the geometry handed to the launchers (non-square windows, strides, padding, a global pooling window),
 * INT32 argmax round trips and that every output is written (outputs start as NaN). What this cannot check: the CUDA
 * kernels themselves (see {@link EmulatedImageKernelsTest}), GPU asynchrony. Run with
 * {@code -Pfakes -Dquadrant.fakes=DIR}.
 */
@Tag("fakes")
class CudaBackendImageFakesTest extends FakesBackendTest {
    CudaBackendImageFakesTest() {
        super(5L);
    }

    /** A NaN-filled output view of {@code shape}. */
    private static Tensor[] out(Backend be, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        Tensor[] t = view(be, new float[n], shape);
        be.fill(t[1], Float.NaN);
        return t;
    }

    @Test
    void im2colAndCol2imThroughViews() {
        int[] img = {2, 7, 5, 3};
        try (CudaBackend be = open(Precision.FP32)) {
            for (Window2d w : new Window2d[] {new Window2d(3, 2, 2, 1, 1, 0), Window2d.square(3, 1, 1),
                new Window2d(7, 5, 1, 1, 0, 0)}) {
                int rows = img[0] * w.outHeight(img[1]) * w.outWidth(img[2]);
                int width = img[3] * w.kh() * w.kw();
                float[] x = randn(img[0] * img[1] * img[2] * img[3]);
                Tensor[] gx = view(be, x, img);
                Tensor[] gcol = out(be, rows, width);
                be.im2col(gx[1], w, gcol[1]);
                Tensor rcol = ref.zeros(rows, width);
                rb.im2col(ref.floats(x, img), w, rcol);
                EmulatorTest.near("im2col " + w, get(be, gcol[1]), RefTensors.values(rcol));

                float[] dcol = randn(rows * width);
                Tensor[] gdcol = view(be, dcol, rows, width);
                Tensor[] gdx = out(be, img);
                be.col2im(gdcol[1], w, gdx[1]);
                Tensor rdx = ref.zeros(img);
                rb.col2im(ref.floats(dcol, rows, width), w, rdx);
                EmulatorTest.near("col2im " + w, get(be, gdx[1]), RefTensors.values(rdx));
                for (Tensor[] t : new Tensor[][] {gx, gcol, gdcol, gdx}) {
                    t[0].close();
                }
            }
            try (Tensor x = be.allocate(DType.FLOAT32, 2, 7, 5, 3); Tensor col = be.allocate(DType.FLOAT32, 70, 26)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> be.im2col(x, Window2d.square(3, 1, 1), col));
                assertTrue(e.getMessage().contains("im2col") && e.getMessage().contains("col has shape [70, 26]"),
                        e.getMessage());
            }
        }
    }

    @Test
    void maxAndAveragePoolingForwardAndBackward() {
        int[] img = {3, 7, 5, 5};
        try (CudaBackend be = open(Precision.FP32)) {
            for (Window2d w : new Window2d[] {Window2d.square(2, 2, 0), new Window2d(3, 2, 2, 1, 1, 1),
                new Window2d(7, 5, 1, 1, 0, 0)}) {
                int[] os = {img[0], w.outHeight(img[1]), w.outWidth(img[2]), img[3]};
                int n = os[0] * os[1] * os[2] * os[3];
                float[] x = randn(img[0] * img[1] * img[2] * img[3]);
                x[4] = Float.NaN;
                float[] dy = randn(n);
                Tensor[] gx = view(be, x, img);
                Tensor[] gy = out(be, os);
                Tensor[] gdy = view(be, dy, os);
                Tensor[] gdx = out(be, img);
                try (Tensor argRoot = be.allocate(DType.INT32, n + 3)) {
                    Tensor garg = argRoot.view(3, os);
                    be.maxPool2dForward(gx[1], w, gy[1], garg);
                    Tensor ry = ref.zeros(os);
                    Tensor rarg = rb.allocate(DType.INT32, os);
                    rb.maxPool2dForward(ref.floats(x, img), w, ry, rarg);
                    SelfTest.Checker.exactBits("maxPool2dForward " + w, get(be, gy[1]), floats(RefTensors.values(ry)));
                    int[] arg = new int[n];
                    be.download(garg, arg, 0);
                    assertArrayEquals(RefTensors.ints(rarg), arg, "maxPool2dForward argmax " + w);
                    be.maxPool2dBackward(gdy[1], garg, w, gdx[1]);
                    Tensor rdx = ref.zeros(img);
                    rb.maxPool2dBackward(ref.floats(dy, os), rarg, w, rdx);
                    EmulatorTest.near("maxPool2dBackward " + w, get(be, gdx[1]), RefTensors.values(rdx));
                    assertThrows(IllegalArgumentException.class, () -> be.maxPool2dForward(gx[1], w, gy[1], gy[1]),
                            "a FLOAT32 argmax");
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> be.maxPool2dForward(gx[1], Window2d.square(3, 1, 2), gy[1], garg));
                    assertTrue(e.getMessage().contains("more than half the kernel"), e.getMessage());
                }

                x[4] = 0.5f;   // no NaN: the mean would be NaN, which the tolerance check rejects
                be.upload(x, 0, gx[1]);
                be.avgPool2dForward(gx[1], w, gy[1]);
                Tensor ry = ref.zeros(os);
                rb.avgPool2dForward(ref.floats(x, img), w, ry);
                EmulatorTest.near("avgPool2dForward " + w, get(be, gy[1]), RefTensors.values(ry));
                be.avgPool2dBackward(gdy[1], w, gdx[1]);
                Tensor rdx = ref.zeros(img);
                rb.avgPool2dBackward(ref.floats(dy, os), w, rdx);
                EmulatorTest.near("avgPool2dBackward " + w, get(be, gdx[1]), RefTensors.values(rdx));
                for (Tensor[] t : new Tensor[][] {gx, gy, gdy, gdx}) {
                    t[0].close();
                }
            }
        }
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

}
