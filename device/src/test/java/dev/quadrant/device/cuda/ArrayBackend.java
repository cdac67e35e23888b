package dev.quadrant.device.cuda;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.DropoutHash;
import dev.quadrant.device.Storage;
import dev.quadrant.device.Tensor;

/**
 * A deliberately plain single-threaded {@link Backend} over Java arrays, used only to check that {@link SelfTest}'s
 * references, tolerances and training run agree with the Backend contract (so that a failing GPU self-test means
 * the GPU, not the test). Not a product backend: no validation beyond what the checks need.
 */
class ArrayBackend implements Backend {

    static final class ArrayStorage extends Storage {
        final float[] f;
        final int[] i;
        final short[] h;

        ArrayStorage(DType t, int n) {
            super(Device.cpu(), (long) n * t.bytes());
            f = t == DType.FLOAT32 ? new float[n] : null;
            i = t == DType.INT32 ? new int[n] : null;
            h = t == DType.BF16 ? new short[n] : null;
        }

        @Override
        public void close() {}
    }

    private static float[] f(Tensor t) { return ((ArrayStorage) t.storage()).f; }

    private static int[] i(Tensor t) { return ((ArrayStorage) t.storage()).i; }

    private static short[] h(Tensor t) { return ((ArrayStorage) t.storage()).h; }

    private static int o(Tensor t) { return (int) t.offset(); }

    @Override public Device device() { return Device.cpu(); }

    @Override public String describe() { return "array test backend"; }

    @Override
    public Tensor allocate(DType dtype, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return Tensor.root(new ArrayStorage(dtype, n), dtype, shape);
    }

    @Override public void upload(float[] src, int off, Tensor dst) { System.arraycopy(src, off, f(dst), o(dst), dst.intSize()); }

    @Override public void upload(int[] src, int off, Tensor dst) { System.arraycopy(src, off, i(dst), o(dst), dst.intSize()); }

    @Override public void download(Tensor src, float[] dst, int off) { System.arraycopy(f(src), o(src), dst, off, src.intSize()); }

    @Override public void download(Tensor src, int[] dst, int off) { System.arraycopy(i(src), o(src), dst, off, src.intSize()); }

    @Override public void synchronize() {}

    @Override
    public void gemm(boolean ta, boolean tb, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        int m = c.dim(0);
        int n = c.dim(1);
        int k = ta ? a.dim(0) : a.dim(1);
        float[] av = f(a);
        float[] bv = f(b);
        float[] cv = f(c);
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) {
                    s += (ta ? av[o(a) + p * m + r] : av[o(a) + r * k + p]) * (tb ? bv[o(b) + j * k + p] : bv[o(b) + p * n + j]);
                }
                int ci = o(c) + r * n + j;
                cv[ci] = alpha * s + (beta == 0 ? 0 : beta * cv[ci]);
            }
        }
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        for (int j = 0; j < x.size(); j++) {
            f(y)[o(y) + j] += alpha * f(x)[o(x) + j];
        }
    }

    @Override
    public void scale(Tensor x, float alpha) {
        for (int j = 0; j < x.size(); j++) {
            f(x)[o(x) + j] *= alpha;
        }
    }

    @Override
    public void fill(Tensor x, float v) {
        java.util.Arrays.fill(f(x), o(x), o(x) + x.intSize(), v);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (src.dtype() == DType.FLOAT32) {
            System.arraycopy(f(src), o(src), f(dst), o(dst), src.intSize());
        } else {
            System.arraycopy(i(src), o(src), i(dst), o(dst), src.intSize());
        }
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        for (int j = 0; j < a.size(); j++) {
            f(out)[o(out) + j] = f(a)[o(a) + j] * f(b)[o(b) + j];
        }
    }

    @Override
    public void addBias(Tensor x, Tensor bias) {
        int n = x.dim(1);
        for (int j = 0; j < x.size(); j++) {
            f(x)[o(x) + j] += f(bias)[o(bias) + j % n];
        }
    }

    @Override
    public void columnSums(Tensor x, float beta, Tensor out) {
        int rows = x.dim(0);
        int n = x.dim(1);
        for (int j = 0; j < n; j++) {
            float s = 0;
            for (int r = 0; r < rows; r++) {
                s += f(x)[o(x) + r * n + j];
            }
            f(out)[o(out) + j] = (beta == 0 ? 0 : beta * f(out)[o(out) + j]) + s;
        }
    }

    @Override
    public void activationForward(Activation a, Tensor x, Tensor y) {
        for (int j = 0; j < x.size(); j++) {
            f(y)[o(y) + j] = (float) a.reference(f(x)[o(x) + j]);
        }
    }

    @Override
    public void activationBackward(Activation a, Tensor x, Tensor dy, Tensor dx) {
        for (int j = 0; j < x.size(); j++) {
            f(dx)[o(dx) + j] = (float) (f(dy)[o(dy) + j] * a.referenceDerivative(f(x)[o(x) + j]));
        }
    }

    @Override
    public void dropoutMask(Tensor mask, float p, long seed, long firstIndex) {
        float keep = p < 1f ? 1f / (1f - p) : 0f;
        for (int j = 0; j < mask.size(); j++) {
            f(mask)[o(mask) + j] = DropoutHash.uniform(seed, firstIndex + j) < p ? 0f : keep;
        }
    }

    private float[] rowCopy(Tensor t) {
        float[] v = new float[t.intSize()];
        download(t, v, 0);
        return v;
    }

    private int[] intCopy(Tensor t) {
        int[] v = new int[t.intSize()];
        download(t, v, 0);
        return v;
    }

    private void store(double[] v, Tensor t) {
        for (int j = 0; j < v.length; j++) {
            f(t)[o(t) + j] = (float) v[j];
        }
    }

    // ---- sequence models (to be written: see Backend) ------------------------------------------------------

    @Override
    public void gemmBatched(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        throw new UnsupportedOperationException("gemmBatched");
    }

    @Override
    public void embeddingForward(Tensor table, Tensor ids, Tensor out) {
        throw new UnsupportedOperationException("embeddingForward");
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTable) {
        throw new UnsupportedOperationException("embeddingBackward");
    }

    @Override
    public void layerNormForward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) {
        throw new UnsupportedOperationException("layerNormForward");
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, Tensor dGamma,
                                  Tensor dBeta) {
        throw new UnsupportedOperationException("layerNormBackward");
    }

    @Override
    public void causalSoftmaxForward(Tensor scores, Tensor probs) {
        throw new UnsupportedOperationException("causalSoftmaxForward");
    }

    @Override
    public void causalSoftmaxBackward(Tensor probs, Tensor dProbs, Tensor dScores) {
        throw new UnsupportedOperationException("causalSoftmaxBackward");
    }

    @Override
    public void permute(Tensor x, int[] perm, Tensor y) {
        throw new UnsupportedOperationException("permute");
    }

    @Override
    public void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor losses) {
        store(Reference.softmaxXent(rowCopy(logits), intCopy(labels), logits.dim(0), logits.dim(1)), losses);
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor logits, Tensor labels, float scale, Tensor d) {
        store(Reference.softmaxXentBackward(rowCopy(logits), intCopy(labels), scale, logits.dim(0), logits.dim(1)), d);
    }

    @Override
    public void mseForward(Tensor pred, Tensor target, Tensor losses) {
        int n = pred.dim(1);
        for (int r = 0; r < pred.dim(0); r++) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                double e = f(pred)[o(pred) + r * n + j] - f(target)[o(target) + r * n + j];
                s += e * e;
            }
            f(losses)[o(losses) + r] = (float) (s / n);
        }
    }

    @Override
    public void mseBackward(Tensor pred, Tensor target, float scale, Tensor d) {
        int n = pred.dim(1);
        for (int j = 0; j < pred.size(); j++) {
            f(d)[o(d) + j] = scale * 2 * (f(pred)[o(pred) + j] - f(target)[o(target) + j]) / n;
        }
    }

    @Override
    public void argmax(Tensor x, Tensor out) {
        int[] a = Reference.argmax(rowCopy(x), x.dim(0), x.dim(1));
        System.arraycopy(a, 0, i(out), o(out), a.length);
    }

    @Override
    public void countCorrect(Tensor logits, Tensor labels, Tensor acc) {
        int[] a = Reference.argmax(rowCopy(logits), logits.dim(0), logits.dim(1));
        int c = 0;
        for (int r = 0; r < a.length; r++) {
            c += a[r] == i(labels)[o(labels) + r] ? 1 : 0;
        }
        f(acc)[o(acc)] += c;
    }

    @Override
    public void sumInto(Tensor x, Tensor acc) {
        double s = 0;
        for (int j = 0; j < x.size(); j++) {
            s += f(x)[o(x) + j];
        }
        f(acc)[o(acc)] = (float) (f(acc)[o(acc)] + s);
    }

    @Override
    public double l2Norm(Tensor x) {
        double s = 0;
        for (int j = 0; j < x.size(); j++) {
            s += (double) f(x)[o(x) + j] * f(x)[o(x) + j];
        }
        return Math.sqrt(s);
    }

    @Override
    public boolean allFinite(Tensor x) {
        for (int j = 0; j < x.size(); j++) {
            if (!Float.isFinite(f(x)[o(x) + j])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void sgdUpdate(Tensor p, Tensor g, Tensor v, float lr, float mom, boolean nesterov, float wd) {
        double[][] r = Reference.sgd(rowCopy(p), rowCopy(g), v == null ? new float[p.intSize()] : rowCopy(v), lr, mom, nesterov, wd);
        store(r[0], p);
        if (v != null) {
            store(r[1], v);
        }
    }

    @Override
    public void adamUpdate(Tensor p, Tensor g, Tensor m, Tensor v, float lr, float b1, float b2, float eps, float wd,
                           boolean decoupled, int step) {
        double[][] r = Reference.adam(rowCopy(p), rowCopy(g), rowCopy(m), rowCopy(v), lr, b1, b2, eps, wd, decoupled, step);
        store(r[0], p);
        store(r[1], m);
        store(r[2], v);
    }

    @Override
    public void castToBf16(Tensor src, Tensor dst) {
        for (int j = 0; j < src.size(); j++) {
            h(dst)[o(dst) + j] = Reference.toBf16(f(src)[o(src) + j]);
        }
    }

    @Override
    public void castFromBf16(Tensor src, Tensor dst) {
        for (int j = 0; j < src.size(); j++) {
            f(dst)[o(dst) + j] = Float.intBitsToFloat((h(src)[o(src) + j] & 0xffff) << 16);
        }
    }

    @Override
    public void close() {}
}
