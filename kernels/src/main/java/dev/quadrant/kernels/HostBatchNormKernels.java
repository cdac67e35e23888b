package dev.quadrant.kernels;

import static dev.quadrant.kernels.HostKernels.f32;
import static dev.quadrant.kernels.HostKernels.n;

import java.nio.FloatBuffer;
import java.util.Map;

/**
 * The {@link HostKernels} bodies of the batch-normalisation kernels ({@code batchnorm.cu}) over channels-last
 * {@code x [rows, cols]}: each kernel's contract run sequentially in Java, in float32 as the kernel computes it. The
 * partials kernels put each channel's whole sum, rows in increasing order, in chunk 0 and zeros in the other chunks
 * (the grid shape does not matter; the finish adds them all). Stateless.
 */
final class HostBatchNormKernels {
    private HostBatchNormKernels() {}

    /** Adds the bodies, by kernel name. */
    static void register(Map<String, HostKernels.Body> bodies) {
        bodies.put("batchnorm_centered_partials_f32", (a, g) -> {
            int rows = a.i(3);
            int cols = a.i(4);
            float count = a.f(6);
            int chunks = g / ((cols + 31) / 32);   // the grid is chunks x column tiles
            FloatBuffer x = f32(a.p(0), (long) rows * cols);
            FloatBuffer sum = f32(a.p(1), cols);
            FloatBuffer part = f32(a.p(2), (long) chunks * cols);
            for (int i = 0; i < chunks * cols; i++) {
                part.put(i, 0f);
            }
            for (int c = 0; c < cols; c++) {
                float m = sum.get(c) / count;
                float s = 0f;
                for (int r = 0; r < rows; r++) {
                    float d = x.get(r * cols + c) - m;
                    s += d * d;
                }
                part.put(c, s);
            }
        });
        bodies.put("batchnorm_grad_partials_f32", (a, g) -> {
            int rows = a.i(5);
            int cols = a.i(6);
            float count = a.f(8);
            float eps = a.f(9);
            int chunks = g / ((cols + 31) / 32);
            FloatBuffer x = f32(a.p(0), (long) rows * cols);
            FloatBuffer sum = f32(a.p(1), cols);
            FloatBuffer sqSum = f32(a.p(2), cols);
            FloatBuffer dy = f32(a.p(3), (long) rows * cols);
            FloatBuffer part = f32(a.p(4), 2L * chunks * cols);
            for (int i = 0; i < 2 * chunks * cols; i++) {
                part.put(i, 0f);
            }
            for (int c = 0; c < cols; c++) {
                float m = sum.get(c) / count;
                float rs = rstd(sqSum.get(c), count, eps);
                float sb = 0f;
                float sg = 0f;
                for (int r = 0; r < rows; r++) {
                    float d = dy.get(r * cols + c);
                    sb += d;
                    sg += d * ((x.get(r * cols + c) - m) * rs);
                }
                part.put(c, sb);
                part.put(cols + c, sg);
            }
        });
        bodies.put("batchnorm_finish_f32", (a, g) -> {
            int chunks = a.i(2);
            int cols = a.i(3);
            int planes = a.i(4);
            int n = planes * cols;
            FloatBuffer part = f32(a.p(0), (long) chunks * n);
            FloatBuffer out = f32(a.p(1), n);
            for (int i = 0; i < n; i++) {
                float t = 0f;
                for (int k = 0; k < chunks; k++) {
                    t += part.get(k * n + i);
                }
                out.put(i, t);
            }
        });
        bodies.put("batchnorm_forward_f32", (a, g) -> {
            int n = n(a.l(6));
            int cols = a.i(7);
            float count = a.f(8);
            float eps = a.f(9);
            FloatBuffer x = f32(a.p(0), n);
            FloatBuffer sum = f32(a.p(1), cols);
            FloatBuffer sqSum = f32(a.p(2), cols);
            FloatBuffer gamma = f32(a.p(3), cols);
            FloatBuffer beta = f32(a.p(4), cols);
            FloatBuffer y = f32(a.p(5), n);
            for (int i = 0; i < n; i++) {
                int j = i % cols;
                float m = sum.get(j) / count;
                float rs = rstd(sqSum.get(j), count, eps);
                y.put(i, (x.get(i) - m) * rs * gamma.get(j) + beta.get(j));
            }
        });
        bodies.put("batchnorm_running_update_f32", (a, g) -> {
            int cols = a.i(4);
            float count = a.f(5);
            float momentum = a.f(6);
            FloatBuffer sum = f32(a.p(0), cols);
            FloatBuffer sqSum = f32(a.p(1), cols);
            FloatBuffer mean = f32(a.p(2), cols);
            FloatBuffer var = f32(a.p(3), cols);
            float keep = 1.0f - momentum;
            for (int j = 0; j < cols; j++) {
                mean.put(j, keep * mean.get(j) + momentum * (sum.get(j) / count));
                var.put(j, keep * var.get(j) + momentum * (sqSum.get(j) / (count - 1.0f)));
            }
        });
        bodies.put("batchnorm_backward_f32", (a, g) -> {
            int n = n(a.l(7));
            int cols = a.i(8);
            float count = a.f(9);
            float eps = a.f(10);
            FloatBuffer x = f32(a.p(0), n);
            FloatBuffer sum = f32(a.p(1), cols);
            FloatBuffer sqSum = f32(a.p(2), cols);
            FloatBuffer gamma = f32(a.p(3), cols);
            FloatBuffer sums = f32(a.p(4), 2L * cols);
            FloatBuffer dy = f32(a.p(5), n);
            FloatBuffer dx = f32(a.p(6), n);
            for (int i = 0; i < n; i++) {
                int j = i % cols;
                float m = sum.get(j) / count;
                float rs = rstd(sqSum.get(j), count, eps);
                float xh = (x.get(i) - m) * rs;
                dx.put(i, gamma.get(j) * rs * (dy.get(i) - sums.get(j) / count - xh * (sums.get(cols + j) / count)));
            }
        });
    }

    /** {@code 1 / sqrtf(sqSum / count + eps)} as the kernels form it. */
    private static float rstd(float sqSum, float count, float eps) {
        return 1.0f / (float) Math.sqrt(sqSum / count + eps);
    }
}
