package dev.quadrant.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.HashMap;
import java.util.Map;

import dev.quadrant.bindings.cuda.CudaStream;
import dev.quadrant.bindings.cuda.DevPtr;
import dev.quadrant.bindings.cuda.KernelArgs;

/**
 * Every kernel of {@link Kernels}, run in Java at launch time on memory the host can address: a {@link LaunchTarget}
 * for the stub CUDA libraries of the {@code -Pfakes} profile, whose "device memory" is host memory and whose streams
 * run every copy at once. With it a {@code CudaBackend}, the CUDA communicators and whole multi-replica training runs
 * execute end to end on a machine without a GPU, checking everything the Java side does (addresses, offsets, views,
 * streams, events, NCCL calls) by the numbers that come back. It is also a second, sequential reading of each
 * kernel's contract, under the kernel's own name.
 *
 * <p>Results equal the kernels' up to float32 summation order (sums run left to right here; the grid shape does not
 * matter: the reductions write their whole sum into the first partial and zeros into the others).
 *
 * <p>Never use it with a real GPU: device addresses are not host memory there, and reading them crashes the JVM.
 * Stateless and thread-safe (the caller orders launches, as a stream would).
 *
 * <pre>{@code
 * Kernels k = new Kernels(HostKernels.INSTANCE);   // under the stub libraries only
 * k.add(stream, a, b, a, n);
 * }</pre>
 */
public final class HostKernels implements LaunchTarget {
    /** The one instance. */
    public static final HostKernels INSTANCE = new HostKernels();

    @FunctionalInterface
    interface Body {
        void run(A a, int gridX);
    }

    /** Typed access to the raw argument slots. */
    static final class A {
        private final KernelArgs args;

        A(KernelArgs args) {
            this.args = args;
        }

        long p(int i) { return args.slot(i); }

        long l(int i) { return args.slot(i); }

        int i(int i) { return (int) args.slot(i); }

        float f(int i) { return Float.intBitsToFloat((int) args.slot(i)); }
    }

    private final Map<String, Body> bodies = new HashMap<>();

    private HostKernels() {
        elementwise();
        activations();
        losses();
        reductions();
        optimizers();
        castsAndDropout();
        HostSequenceKernels.register(bodies);
        HostImageKernels.register(bodies);
        HostBatchNormKernels.register(bodies);
        for (KernelSpec k : Kernels.specs()) {
            if (!bodies.containsKey(k.name())) {
                throw new IllegalStateException("HostKernels has no body for kernel " + k);
            }
        }
    }

    @Override
    public void launch(KernelSpec kernel, int gridX, int blockX, int blockY, CudaStream stream, KernelArgs args) {
        Body b = bodies.get(kernel.name());
        if (b == null) {
            throw new IllegalStateException("HostKernels has no body for kernel " + kernel);
        }
        b.run(new A(args), gridX);
    }

    @Override
    public boolean runsOnHost() { return true; }

    @Override
    public int multiprocessors() {
        return 132;   // what the stub runtime reports for its fake H100s
    }

    // ---- memory views ----------------------------------------------------------------------------------------

    private static ByteBuffer bytes(long address, long bytes) {
        return DevPtr.bytes(address, bytes).asByteBuffer().order(ByteOrder.nativeOrder());
    }

    static FloatBuffer f32(long address, long n) {
        return bytes(address, 4 * Math.max(n, 1)).asFloatBuffer();
    }

    static IntBuffer i32(long address, long n) {
        return bytes(address, 4 * Math.max(n, 1)).asIntBuffer();
    }

    private static ShortBuffer u16(long address, long n) {
        return bytes(address, 2 * Math.max(n, 1)).asShortBuffer();
    }

    static int n(long v) {
        return Math.toIntExact(v);
    }

    /** {@code dev.quadrant.device.Backend.IGNORE_INDEX} (this module does not depend on the device module). */
    private static final int IGNORE_INDEX = -1;

    // ---- elementwise.cu ----------------------------------------------------------------------------------------

    private void elementwise() {
        bodies.put("fill_f32", (a, g) -> {
            int n = n(a.l(1));
            FloatBuffer x = f32(a.p(0), n);
            for (int i = 0; i < n; i++) {
                x.put(i, a.f(2));
            }
        });
        bodies.put("axpy_f32", (a, g) -> {
            int n = n(a.l(2));
            FloatBuffer x = f32(a.p(0), n);
            FloatBuffer y = f32(a.p(1), n);
            float alpha = a.f(3);
            for (int i = 0; i < n; i++) {
                y.put(i, y.get(i) + alpha * x.get(i));
            }
        });
        bodies.put("scale_f32", (a, g) -> {
            int n = n(a.l(1));
            FloatBuffer x = f32(a.p(0), n);
            for (int i = 0; i < n; i++) {
                x.put(i, x.get(i) * a.f(2));
            }
        });
        bodies.put("mul_f32", (a, g) -> {
            int n = n(a.l(3));
            FloatBuffer x = f32(a.p(0), n);
            FloatBuffer y = f32(a.p(1), n);
            FloatBuffer out = f32(a.p(2), n);
            for (int i = 0; i < n; i++) {
                out.put(i, x.get(i) * y.get(i));
            }
        });
        bodies.put("add_bias_f32", (a, g) -> {
            int rows = n(a.l(2));
            int cols = a.i(3);
            FloatBuffer x = f32(a.p(0), (long) rows * cols);
            FloatBuffer b = f32(a.p(1), cols);
            for (int i = 0; i < rows * cols; i++) {
                x.put(i, x.get(i) + b.get(i % cols));
            }
        });
        bodies.put("add_f32", (a, g) -> {
            int n = n(a.l(3));
            FloatBuffer x = f32(a.p(0), n);
            FloatBuffer y = f32(a.p(1), n);
            FloatBuffer out = f32(a.p(2), n);
            for (int i = 0; i < n; i++) {
                out.put(i, x.get(i) + y.get(i));
            }
        });
        bodies.put("div_f32", (a, g) -> {
            int n = n(a.l(1));
            FloatBuffer x = f32(a.p(0), n);
            float d = a.f(2);
            for (int i = 0; i < n; i++) {
                x.put(i, x.get(i) / d);
            }
        });
    }

    // ---- activations.cu ----------------------------------------------------------------------------------------

    private static final float GELU_C = 0.7978845608028654f;
    private static final float GELU_K = 0.044715f;

    private static float gelu(float v) {
        float t = (float) Math.tanh(GELU_C * (v + GELU_K * v * v * v));
        return 0.5f * v * (1.0f + t);
    }

    private static float geluGrad(float v) {
        float t = (float) Math.tanh(GELU_C * (v + GELU_K * v * v * v));
        float du = GELU_C * (1.0f + 3.0f * GELU_K * v * v);
        return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du;
    }

    private interface F1 {
        float apply(float x);
    }

    private interface F2 {
        float apply(float x, float dy);
    }

    private void forward(String name, F1 f) {
        bodies.put(name, (a, g) -> {
            int n = n(a.l(2));
            FloatBuffer x = f32(a.p(0), n);
            FloatBuffer y = f32(a.p(1), n);
            for (int i = 0; i < n; i++) {
                y.put(i, f.apply(x.get(i)));
            }
        });
    }

    private void backward(String name, F2 f) {
        bodies.put(name, (a, g) -> {
            int n = n(a.l(3));
            FloatBuffer x = f32(a.p(0), n);
            FloatBuffer dy = f32(a.p(1), n);
            FloatBuffer dx = f32(a.p(2), n);
            for (int i = 0; i < n; i++) {
                dx.put(i, f.apply(x.get(i), dy.get(i)));
            }
        });
    }

    private void activations() {
        forward("relu_forward_f32", v -> v > 0f || Float.isNaN(v) ? v : 0f);
        backward("relu_backward_f32", (v, dy) -> v > 0f ? dy : 0f);
        forward("gelu_forward_f32", HostKernels::gelu);
        backward("gelu_backward_f32", (v, dy) -> dy * geluGrad(v));
        forward("tanh_forward_f32", v -> (float) Math.tanh(v));
        backward("tanh_backward_f32", (v, dy) -> {
            float t = (float) Math.tanh(v);
            return dy * (1.0f - t * t);
        });
    }

    // ---- softmax_xent.cu -----------------------------------------------------------------------------------------

    private void losses() {
        bodies.put("softmax_xent_forward_f32", (a, g) -> {
            int rows = a.i(3);
            int cols = a.i(4);
            FloatBuffer x = f32(a.p(0), (long) rows * cols);
            IntBuffer y = i32(a.p(1), rows);
            FloatBuffer loss = f32(a.p(2), rows);
            for (int r = 0; r < rows; r++) {
                int label = y.get(r);
                if (label == IGNORE_INDEX) {
                    loss.put(r, 0f);
                    continue;
                }
                float[] ms = maxSumExp(x, r * cols, cols);
                loss.put(r, label >= 0 && label < cols
                        ? (float) Math.log(ms[1]) + ms[0] - x.get(r * cols + label) : Float.NaN);
            }
        });
        bodies.put("softmax_xent_backward_f32", (a, g) -> {
            int rows = a.i(4);
            int cols = a.i(5);
            float scale = a.f(2);
            FloatBuffer x = f32(a.p(0), (long) rows * cols);
            IntBuffer y = i32(a.p(1), rows);
            FloatBuffer d = f32(a.p(3), (long) rows * cols);
            for (int r = 0; r < rows; r++) {
                int label = y.get(r);
                if (label == IGNORE_INDEX) {
                    for (int j = 0; j < cols; j++) {
                        d.put(r * cols + j, 0f);
                    }
                    continue;
                }
                float[] ms = maxSumExp(x, r * cols, cols);
                float inv = 1.0f / ms[1];
                for (int j = 0; j < cols; j++) {
                    float p = (float) Math.exp(x.get(r * cols + j) - ms[0]) * inv;
                    d.put(r * cols + j, scale * (j == label ? p - 1.0f : p));
                }
            }
        });
        bodies.put("mse_forward_f32", (a, g) -> {
            int rows = a.i(3);
            int cols = a.i(4);
            FloatBuffer p = f32(a.p(0), (long) rows * cols);
            FloatBuffer t = f32(a.p(1), (long) rows * cols);
            FloatBuffer loss = f32(a.p(2), rows);
            for (int r = 0; r < rows; r++) {
                float s = 0f;
                for (int j = 0; j < cols; j++) {
                    float e = p.get(r * cols + j) - t.get(r * cols + j);
                    s += e * e;
                }
                loss.put(r, s / (float) cols);
            }
        });
        bodies.put("mse_backward_f32", (a, g) -> {
            int n = n(a.l(4));
            float k = 2.0f * a.f(2) / (float) a.i(5);
            FloatBuffer p = f32(a.p(0), n);
            FloatBuffer t = f32(a.p(1), n);
            FloatBuffer d = f32(a.p(3), n);
            for (int i = 0; i < n; i++) {
                d.put(i, k * (p.get(i) - t.get(i)));
            }
        });
    }

    /** {max, sum of exp(x - max)} of {@code x[from, from + cols)}, in float as the kernel computes them. */
    private static float[] maxSumExp(FloatBuffer x, int from, int cols) {
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
            float v = x.get(from + j);
            m = Float.isNaN(v) ? m : Math.max(m, v);   // fmaxf ignores NaN
        }
        float s = 0f;
        for (int j = 0; j < cols; j++) {
            s += (float) Math.exp(x.get(from + j) - m);
        }
        return new float[] {m, s};
    }

    // ---- reductions.cu -------------------------------------------------------------------------------------------

    /** The first NaN if any (a NaN beats every number), else the first maximum, as {@code qd_row_argmax}. */
    private static int argmax(FloatBuffer x, int from, int cols) {
        float best = x.get(from);
        int idx = 0;
        for (int j = 1; j < cols; j++) {
            float v = x.get(from + j);
            if (v > best || (Float.isNaN(v) && !Float.isNaN(best))) {
                best = v;
                idx = j;
            }
        }
        return idx;
    }

    /** Writes {@code total} into partial 0 and zeros into partials 1..gridX-1 (doubles). */
    private static void partials(long address, int gridX, double total) {
        java.nio.DoubleBuffer d = bytes(address, 8L * Math.max(gridX, 1)).asDoubleBuffer();
        d.put(0, total);
        for (int b = 1; b < gridX; b++) {
            d.put(b, 0.0);
        }
    }

    private void reductions() {
        bodies.put("column_sums_f32", (a, g) -> {
            int rows = a.i(2);
            int cols = a.i(3);
            float beta = a.f(4);
            FloatBuffer x = f32(a.p(0), (long) rows * cols);
            FloatBuffer out = f32(a.p(1), cols);
            for (int c = 0; c < cols; c++) {
                double t = 0;
                for (int r = 0; r < rows; r++) {
                    t += x.get(r * cols + c);
                }
                out.put(c, beta == 0f ? (float) t : (float) ((double) beta * out.get(c) + t));
            }
        });
        bodies.put("sum_partials_f64", (a, g) -> {
            int n = n(a.l(1));
            FloatBuffer x = f32(a.p(0), n);
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += x.get(i);
            }
            partials(a.p(2), g, s);
        });
        bodies.put("sumsq_partials_f64", (a, g) -> {
            int n = n(a.l(1));
            FloatBuffer x = f32(a.p(0), n);
            double s = 0;
            for (int i = 0; i < n; i++) {
                double v = x.get(i);
                s += v * v;
            }
            partials(a.p(2), g, s);
        });
        bodies.put("finish_sum_into_f32", (a, g) -> {
            int count = a.i(1);
            java.nio.DoubleBuffer p = bytes(a.p(0), 8L * Math.max(count, 1)).asDoubleBuffer();
            double s = 0;
            for (int i = 0; i < count; i++) {
                s += p.get(i);
            }
            FloatBuffer acc = f32(a.p(2), 1);
            acc.put(0, (float) ((double) acc.get(0) + s));
        });
        bodies.put("finish_sum_finite_into_f32", (a, g) -> {
            int count = a.i(1);
            java.nio.DoubleBuffer p = bytes(a.p(0), 8L * Math.max(count, 1)).asDoubleBuffer();
            double s = 0;
            for (int i = 0; i < count; i++) {
                s += p.get(i);
            }
            if (i32(a.p(2), 1).get(0) == 0) {
                FloatBuffer acc = f32(a.p(4), 2);
                acc.put(0, (float) ((double) acc.get(0) + s));
                acc.put(1, acc.get(1) + a.f(3));
            }
        });
        bodies.put("grad_stats_partials", (a, g) -> {
            int n = n(a.l(1));
            FloatBuffer x = f32(a.p(0), n);
            double s = 0;
            long bad = n;
            for (int i = 0; i < n; i++) {
                float v = x.get(i);
                if (!Float.isFinite(v) && bad == n) {
                    bad = i;
                }
                double d = v;
                s += d * d;
            }
            partials(a.p(2), g, s);
            java.nio.LongBuffer fb = bytes(a.p(3), 8L * Math.max(g, 1)).asLongBuffer();
            for (int b = 0; b < g; b++) {
                fb.put(b, b == 0 ? bad : n);   // the whole answer in the first block, "none" in the others
            }
        });
        bodies.put("grad_stats_finish", (a, g) -> {
            int count = a.i(2);
            long n = a.l(3);
            float maxNorm = a.f(4);
            long step = a.l(5);
            java.nio.DoubleBuffer p = bytes(a.p(0), 8L * Math.max(count, 1)).asDoubleBuffer();
            java.nio.LongBuffer fb = bytes(a.p(1), 8L * Math.max(count, 1)).asLongBuffer();
            double s = 0;
            long first = n;
            for (int i = 0; i < count; i++) {
                s += p.get(i);
                first = Math.min(first, fb.get(i));
            }
            double norm = Math.sqrt(s);
            FloatBuffer st = f32(a.p(6), 8);
            boolean bad = first < n;
            st.put(0, maxNorm > 0f ? (float) norm : Float.NaN);   // as reductions.cu: no clipping, no norm
            st.put(1, bad ? 1f : 0f);
            st.put(2, maxNorm > 0f && norm > maxNorm ? (float) (maxNorm / (norm + 1e-6)) : 1f);
            if (bad) {
                if (st.get(3) == 0f) {
                    long half = 1L << 24;
                    st.put(4, (float) (step / half));
                    st.put(5, (float) (step % half));
                    st.put(6, (float) (first / half));
                    st.put(7, (float) (first % half));
                }
                st.put(3, st.get(3) + 1f);
            }
        });
        bodies.put("count_nonfinite", (a, g) -> {
            int n = n(a.l(1));
            FloatBuffer x = f32(a.p(0), n);
            for (int i = 0; i < n; i++) {
                if (!Float.isFinite(x.get(i))) {
                    i32(a.p(2), 1).put(0, 1);
                    return;
                }
            }
        });
        bodies.put("argmax_rows_i32", (a, g) -> {
            int rows = a.i(2);
            int cols = a.i(3);
            FloatBuffer x = f32(a.p(0), (long) rows * cols);
            IntBuffer out = i32(a.p(1), rows);
            for (int r = 0; r < rows; r++) {
                out.put(r, argmax(x, r * cols, cols));
            }
        });
        bodies.put("count_correct_f32", (a, g) -> {
            int rows = a.i(3);
            int cols = a.i(4);
            FloatBuffer x = f32(a.p(0), (long) rows * cols);
            IntBuffer y = i32(a.p(1), rows);
            int count = 0;
            for (int r = 0; r < rows; r++) {
                int label = y.get(r);
                count += label != IGNORE_INDEX && argmax(x, r * cols, cols) == label ? 1 : 0;
            }
            FloatBuffer acc = f32(a.p(2), 1);
            acc.put(0, acc.get(0) + count);
        });
    }

    // ---- optimizers.cu -------------------------------------------------------------------------------------------

    private void optimizers() {
        bodies.put("sgd_update_f32", (a, g) -> {
            int n = n(a.l(3));
            float lr = a.f(4);
            float momentum = a.f(5);
            boolean nesterov = a.i(6) != 0;
            float wd = a.f(7);
            float factor = 1f;
            if (a.p(8) != 0) {
                FloatBuffer guard = f32(a.p(8), 8);
                if (guard.get(1) != 0f) {
                    return;
                }
                factor = guard.get(2);
            }
            FloatBuffer param = f32(a.p(0), n);
            FloatBuffer grad = f32(a.p(1), n);
            FloatBuffer vel = momentum != 0f ? f32(a.p(2), n) : null;
            for (int i = 0; i < n; i++) {
                float gi = grad.get(i);
                if (factor != 1f) {
                    gi *= factor;
                }
                if (wd != 0f) {
                    gi += wd * param.get(i);
                }
                if (momentum != 0f) {
                    float v = momentum * vel.get(i) + gi;
                    vel.put(i, v);
                    gi = nesterov ? gi + momentum * v : v;
                }
                param.put(i, param.get(i) - lr * gi);
            }
            writeCopy(a.p(9), param, n);
        });
        bodies.put("adam_update_f32", (a, g) -> {
            int n = n(a.l(4));
            float lr = a.f(5);
            float beta1 = a.f(6);
            float beta2 = a.f(7);
            float eps = a.f(8);
            float wd = a.f(9);
            boolean decoupled = a.i(10) != 0;
            float stepSize = a.f(11);
            float bc2 = a.f(12);
            float factor = 1f;
            if (a.p(13) != 0) {
                FloatBuffer guard = f32(a.p(13), 8);
                if (guard.get(1) != 0f) {
                    return;
                }
                factor = guard.get(2);
                int calls = a.i(14);
                int t = calls - (int) guard.get(3);
                if (t != calls) {
                    stepSize = (float) (lr / (1.0 - Math.pow(beta1, t)));
                    bc2 = (float) Math.sqrt(1.0 - Math.pow(beta2, t));
                }
            }
            FloatBuffer param = f32(a.p(0), n);
            FloatBuffer grad = f32(a.p(1), n);
            FloatBuffer m = f32(a.p(2), n);
            FloatBuffer v = f32(a.p(3), n);
            for (int i = 0; i < n; i++) {
                float p = param.get(i);
                float gi = grad.get(i);
                if (factor != 1f) {
                    gi *= factor;
                }
                if (wd != 0f) {
                    if (decoupled) {
                        p *= 1.0f - lr * wd;
                    } else {
                        gi += wd * p;
                    }
                }
                float mi = beta1 * m.get(i) + (1.0f - beta1) * gi;
                float vi = beta2 * v.get(i) + (1.0f - beta2) * gi * gi;
                m.put(i, mi);
                v.put(i, vi);
                param.put(i, p - stepSize * mi / ((float) Math.sqrt(vi) / bc2 + eps));
            }
            writeCopy(a.p(15), param, n);
        });
    }

    /** The optimizers' bf16 copy (address 0: none): each updated parameter rounded to nearest even. */
    private void writeCopy(long address, FloatBuffer param, int n) {
        if (address == 0) {
            return;
        }
        java.nio.ShortBuffer c = DevPtr.bytes(address, 2L * n).asByteBuffer().order(java.nio.ByteOrder.nativeOrder())
                .asShortBuffer();
        for (int i = 0; i < n; i++) {
            c.put(i, toBf16(param.get(i)));
        }
    }

    // ---- casts.cu, dropout.cu ------------------------------------------------------------------------------------

    private static short toBf16(float f) {
        int b = Float.floatToRawIntBits(f);
        if ((b & 0x7fffffff) > 0x7f800000) {
            return (short) ((b >>> 16) | 0x0040);
        }
        b += 0x7fff + ((b >>> 16) & 1);
        return (short) (b >>> 16);
    }

    private static float dropoutUniform(long seed, long index) {   // DropoutHash.uniform, bit for bit
        long z = seed ^ (index * 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        z = z ^ (z >>> 33);
        return (z >>> 40) * 0x1.0p-24f;
    }

    private void castsAndDropout() {
        bodies.put("f32_to_bf16", (a, g) -> {
            int n = n(a.l(2));
            FloatBuffer src = f32(a.p(0), n);
            ShortBuffer dst = u16(a.p(1), n);
            for (int i = 0; i < n; i++) {
                dst.put(i, toBf16(src.get(i)));
            }
        });
        bodies.put("bf16_to_f32", (a, g) -> {
            int n = n(a.l(2));
            ShortBuffer src = u16(a.p(0), n);
            FloatBuffer dst = f32(a.p(1), n);
            for (int i = 0; i < n; i++) {
                dst.put(i, Float.intBitsToFloat((src.get(i) & 0xffff) << 16));
            }
        });
        bodies.put("dropout_mask_f32", (a, g) -> {
            int n = n(a.l(1));
            long seed = a.l(2);
            long first = a.l(3);
            float p = a.f(4);
            float keep = a.f(5);
            FloatBuffer mask = f32(a.p(0), n);
            for (int i = 0; i < n; i++) {
                mask.put(i, dropoutUniform(seed, first + i) < p ? 0f : keep);
            }
        });
    }
}
