package dev.quadrant.kernels;

import static dev.quadrant.kernels.HostKernels.f32;
import static dev.quadrant.kernels.HostKernels.i32;
import static dev.quadrant.kernels.HostKernels.n;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Map;

/**
 * The {@link HostKernels} bodies of the sequence-model kernels ({@code embedding.cu}, {@code layernorm.cu},
 * {@code attention.cu}, {@code permute.cu}): each kernel's contract run sequentially in Java, in float32 as the kernel
 * computes it. The embedding backward adds in increasing position, which is bitwise what the kernel's leader blocks
 * compute; the LayerNorm parameter partials put the whole column sums in chunk 0 (the grid shape does not matter).
 * Stateless.
 */
final class HostSequenceKernels {
    private HostSequenceKernels() {}

    /** Adds the bodies, by kernel name. */
    static void register(Map<String, HostKernels.Body> bodies) {
        embedding(bodies);
        layerNorm(bodies);
        attention(bodies);
        permute(bodies);
    }

    // ---- embedding.cu --------------------------------------------------------------------------------------------

    private static void embedding(Map<String, HostKernels.Body> bodies) {
        bodies.put("embedding_forward_f32", (a, g) -> {
            int n = n(a.l(3));
            int vocab = a.i(4);
            int dim = a.i(5);
            FloatBuffer table = f32(a.p(0), (long) vocab * dim);
            IntBuffer ids = i32(a.p(1), n);
            FloatBuffer out = f32(a.p(2), (long) n * dim);
            for (int i = 0; i < n; i++) {
                int v = ids.get(i);
                for (int d = 0; d < dim; d++) {
                    out.put(i * dim + d, v >= 0 && v < vocab ? table.get(v * dim + d) : 0f);
                }
            }
        });
        bodies.put("embedding_backward_f32", (a, g) -> {   // in increasing i: what the kernel's leaders compute
            int n = a.i(3);
            int vocab = a.i(4);
            int dim = a.i(5);
            IntBuffer ids = i32(a.p(0), n);
            FloatBuffer dOut = f32(a.p(1), (long) n * dim);
            FloatBuffer table = f32(a.p(2), (long) vocab * dim);
            for (int i = 0; i < n; i++) {
                int v = ids.get(i);
                if (v >= 0 && v < vocab) {
                    for (int d = 0; d < dim; d++) {
                        table.put(v * dim + d, table.get(v * dim + d) + dOut.get(i * dim + d));
                    }
                }
            }
        });
    }

    // ---- layernorm.cu --------------------------------------------------------------------------------------------

    private static void layerNorm(Map<String, HostKernels.Body> bodies) {
        bodies.put("layernorm_forward_f32", (a, g) -> {
            int rows = a.i(6);
            int cols = a.i(7);
            float eps = a.f(8);
            FloatBuffer x = f32(a.p(0), (long) rows * cols);
            FloatBuffer gamma = f32(a.p(1), cols);
            FloatBuffer beta = f32(a.p(2), cols);
            FloatBuffer y = f32(a.p(3), (long) rows * cols);
            FloatBuffer mean = f32(a.p(4), rows);
            FloatBuffer rstd = f32(a.p(5), rows);
            for (int r = 0; r < rows; r++) {
                int o = r * cols;
                float s = 0f;
                for (int j = 0; j < cols; j++) {
                    s += x.get(o + j);
                }
                float m = s / cols;
                float q = 0f;
                for (int j = 0; j < cols; j++) {
                    float e = x.get(o + j) - m;
                    q += e * e;
                }
                float rs = 1.0f / (float) Math.sqrt(q / cols + eps);
                for (int j = 0; j < cols; j++) {
                    y.put(o + j, (x.get(o + j) - m) * rs * gamma.get(j) + beta.get(j));
                }
                mean.put(r, m);
                rstd.put(r, rs);
            }
        });
        bodies.put("layernorm_backward_dx_f32", (a, g) -> {
            int rows = a.i(6);
            int cols = a.i(7);
            FloatBuffer x = f32(a.p(0), (long) rows * cols);
            FloatBuffer gamma = f32(a.p(1), cols);
            FloatBuffer mean = f32(a.p(2), rows);
            FloatBuffer rstd = f32(a.p(3), rows);
            FloatBuffer dy = f32(a.p(4), (long) rows * cols);
            FloatBuffer dx = f32(a.p(5), (long) rows * cols);
            for (int r = 0; r < rows; r++) {
                int o = r * cols;
                float m = mean.get(r);
                float rs = rstd.get(r);
                float sg = 0f;
                float sgx = 0f;
                for (int j = 0; j < cols; j++) {
                    float gj = dy.get(o + j) * gamma.get(j);
                    sg += gj;
                    sgx += gj * ((x.get(o + j) - m) * rs);
                }
                float mg = sg / cols;
                float mgx = sgx / cols;
                for (int j = 0; j < cols; j++) {
                    float gj = dy.get(o + j) * gamma.get(j);
                    float xh = (x.get(o + j) - m) * rs;
                    dx.put(o + j, rs * (gj - mg - xh * mgx));
                }
            }
        });
        // The partials hold the whole column sums in chunk 0 and zeros elsewhere (as the reductions here), so the
        // finish adds them once.
        bodies.put("layernorm_param_partials_f32", (a, g) -> {
            int rows = a.i(5);
            int cols = a.i(6);
            int chunks = g / ((cols + 31) / 32);   // the grid is chunks x column tiles (the finish reads them all)
            FloatBuffer x = f32(a.p(0), (long) rows * cols);
            FloatBuffer mean = f32(a.p(1), rows);
            FloatBuffer rstd = f32(a.p(2), rows);
            FloatBuffer dy = f32(a.p(3), (long) rows * cols);
            FloatBuffer part = f32(a.p(4), 2L * chunks * cols);
            for (int i = 0; i < 2 * chunks * cols; i++) {
                part.put(i, 0f);
            }
            for (int c = 0; c < cols; c++) {
                float sg = 0f;
                float sb = 0f;
                for (int r = 0; r < rows; r++) {
                    float d = dy.get(r * cols + c);
                    sg += d * ((x.get(r * cols + c) - mean.get(r)) * rstd.get(r));
                    sb += d;
                }
                part.put(c, sg);
                part.put(cols + c, sb);
            }
        });
        bodies.put("layernorm_param_finish_f32", (a, g) -> {
            int chunks = a.i(3);
            int cols = a.i(4);
            FloatBuffer part = f32(a.p(0), 2L * chunks * cols);
            FloatBuffer dGamma = f32(a.p(1), cols);
            FloatBuffer dBeta = f32(a.p(2), cols);
            for (int c = 0; c < cols; c++) {
                float tg = 0f;
                float tb = 0f;
                for (int k = 0; k < chunks; k++) {
                    tg += part.get(2 * k * cols + c);
                    tb += part.get(2 * k * cols + cols + c);
                }
                dGamma.put(c, dGamma.get(c) + tg);
                dBeta.put(c, dBeta.get(c) + tb);
            }
        });
    }

    // ---- attention.cu --------------------------------------------------------------------------------------------

    private static void attention(Map<String, HostKernels.Body> bodies) {
        bodies.put("causal_softmax_forward_f32", (a, g) -> {
            int rows = a.i(2);
            int t = a.i(3);
            FloatBuffer s = f32(a.p(0), (long) rows * t);
            FloatBuffer p = f32(a.p(1), (long) rows * t);
            for (int r = 0; r < rows; r++) {
                int i = r % t;
                int o = r * t;
                float m = Float.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    float v = s.get(o + j);
                    m = Float.isNaN(v) ? m : Math.max(m, v);   // fmaxf ignores NaN
                }
                float z = 0f;
                for (int j = 0; j <= i; j++) {
                    z += (float) Math.exp(s.get(o + j) - m);
                }
                float inv = 1.0f / z;
                for (int j = 0; j < t; j++) {
                    p.put(o + j, j <= i ? (float) Math.exp(s.get(o + j) - m) * inv : 0f);
                }
            }
        });
        bodies.put("causal_softmax_backward_f32", (a, g) -> {
            int rows = a.i(3);
            int t = a.i(4);
            FloatBuffer p = f32(a.p(0), (long) rows * t);
            FloatBuffer dp = f32(a.p(1), (long) rows * t);
            FloatBuffer ds = f32(a.p(2), (long) rows * t);
            for (int r = 0; r < rows; r++) {
                int i = r % t;
                int o = r * t;
                float s = 0f;
                for (int j = 0; j <= i; j++) {
                    s += p.get(o + j) * dp.get(o + j);
                }
                for (int j = 0; j < t; j++) {
                    ds.put(o + j, j <= i ? p.get(o + j) * (dp.get(o + j) - s) : 0f);
                }
            }
        });
    }

    // ---- permute.cu ----------------------------------------------------------------------------------------------

    private static void permute(Map<String, HostKernels.Body> bodies) {
        bodies.put("permute_b32", (a, g) -> {
            int n = n(a.l(2));
            int[] d = {0, a.i(3), a.i(4), a.i(5), a.i(6), a.i(7)};
            long[] st = {a.l(8), a.l(9), a.l(10), a.l(11), a.l(12), a.l(13)};
            IntBuffer x = i32(a.p(0), n);
            IntBuffer y = i32(a.p(1), n);
            for (int e = 0; e < n; e++) {
                long q = e;
                long src = 0;
                for (int ax = 5; ax >= 1; ax--) {
                    src += (q % d[ax]) * st[ax];
                    q /= d[ax];
                }
                src += q * st[0];
                y.put(e, x.get(Math.toIntExact(src)));
            }
        });
    }
}
