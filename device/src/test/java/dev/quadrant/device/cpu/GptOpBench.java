package dev.quadrant.device.cpu;

import java.util.Locale;
import java.util.Random;

import dev.quadrant.device.Activation;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * Benchmark (not a test): the ops of one step of the character-level GPT (nanoGPT's CPU configuration: 4 layers,
 * 4 heads, dim 128, ctx 64, batch 12, vocab 65) on {@link CpuBackend}, each alone at the trainer's shapes, through
 * the public {@code Backend} API (so the same file measures the loops before and after a change). Prints the best
 * of 31 short batches in microseconds per call and the calls per step, so that the heaviest ops stand out.
 *
 * <p>Arguments: {@code [threads=2]}.
 *
 * <pre>
 * mvn -q -B -o -pl device -am test-compile
 * java -cp device/target/test-classes:device/target/classes:$(cat cp.txt) dev.quadrant.device.cpu.GptOpBench 2
 * </pre>
 */
public final class GptOpBench {
    private GptOpBench() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int rows = 12 * 64;   // B * T
        int d = 128;
        int heads = 4;
        int n = 12 * heads;   // attention matrices
        int t = 64;
        int hd = d / heads;
        int vocab = 65;
        int params = 809_856;
        Random r = new Random(1);
        try (CpuBackend be = new CpuBackend(threads)) {
            Tensor x = gaussian(be, r, rows, d);
            Tensor g = gaussian(be, r, d);
            Tensor b = gaussian(be, r, d);
            Tensor y = be.allocate(DType.FLOAT32, rows, d);
            Tensor dy = gaussian(be, r, rows, d);
            Tensor dx = be.allocate(DType.FLOAT32, rows, d);
            Tensor mean = be.allocate(DType.FLOAT32, rows);
            Tensor rstd = be.allocate(DType.FLOAT32, rows);
            Tensor dg = be.allocate(DType.FLOAT32, d);
            Tensor db = be.allocate(DType.FLOAT32, d);
            Tensor h = gaussian(be, r, rows, 4 * d);
            Tensor hy = be.allocate(DType.FLOAT32, rows, 4 * d);
            Tensor hdy = gaussian(be, r, rows, 4 * d);
            Tensor hdx = be.allocate(DType.FLOAT32, rows, 4 * d);
            Tensor scores = gaussian(be, r, n, t, t);
            Tensor probs = be.allocate(DType.FLOAT32, n, t, t);
            Tensor dprobs = gaussian(be, r, n, t, t);
            Tensor dscores = be.allocate(DType.FLOAT32, n, t, t);
            Tensor q = gaussian(be, r, n, t, hd);
            Tensor k = gaussian(be, r, n, t, hd);
            Tensor att = be.allocate(DType.FLOAT32, n, t, hd);
            Tensor logits = gaussian(be, r, rows, vocab);
            Tensor dlogits = be.allocate(DType.FLOAT32, rows, vocab);
            Tensor labels = be.allocate(DType.INT32, rows);
            int[] lab = new int[rows];
            for (int i = 0; i < rows; i++) {
                lab[i] = r.nextInt(vocab);
            }
            be.upload(lab, 0, labels);
            Tensor losses = be.allocate(DType.FLOAT32, rows);
            Tensor p = gaussian(be, r, params);
            Tensor pg = gaussian(be, r, params);
            Tensor m = be.allocate(DType.FLOAT32, params);
            Tensor v = be.allocate(DType.FLOAT32, params);
            Tensor w = gaussian(be, r, 3 * d, d);
            Tensor qkv = be.allocate(DType.FLOAT32, rows, 3 * d);
            Tensor wte = gaussian(be, r, vocab, d);
            Tensor bias4 = gaussian(be, r, 4 * d);
            be.layerNormForward(x, g, b, 1e-5f, y, mean, rstd);
            be.causalSoftmaxForward(scores, probs);
            System.out.println("op                                 us/call  calls/step  ms/step");
            bench("gelu forward [768,512]", 4, () -> be.activationForward(Activation.GELU, h, hy));
            bench("gelu backward [768,512]", 4, () -> be.activationBackward(Activation.GELU, h, hdy, hdx));
            bench("layerNorm forward [768,128]", 9, () -> be.layerNormForward(x, g, b, 1e-5f, y, mean, rstd));
            bench("layerNorm backward [768,128]", 9, () -> be.layerNormBackward(x, g, mean, rstd, dy, dx, dg, db));
            bench("causalSoftmax forward [48,64,64]", 4, () -> be.causalSoftmaxForward(scores, probs));
            bench("causalSoftmax backward [48,64,64]", 4, () -> be.causalSoftmaxBackward(probs, dprobs, dscores));
            bench("softmaxCE forward [768,65]", 1, () -> be.softmaxCrossEntropyForward(logits, labels, losses));
            bench("softmaxCE backward [768,65]", 1, () -> be.softmaxCrossEntropyBackward(logits, labels, 1f / rows,
                    dlogits));
            bench("fill (zero grads) [809856]", 1, () -> be.fill(pg, 0f));
            bench("adamw [809856]", 1, () -> be.adamUpdate(p, pg, m, v, 1e-3f, 0.9f, 0.99f, 1e-8f, 0.1f, true, 10, null));
            bench("l2Norm [809856]", 1, () -> be.l2Norm(pg));
            bench("copy [768,128]", 8, () -> be.copy(x, y));
            bench("axpy [768,128]", 8, () -> be.axpy(1f, x, y));
            bench("addBias [768,512]", 4, () -> be.addBias(hy, bias4));
            bench("columnSums [768,512]", 4, () -> be.columnSums(hdy, 1f, bias4));
            bench("gemm [768,128]x[128,384]^T", 4, () -> be.gemm(false, true, 1f, x, w, 0f, qkv));
            bench("gemm [768,128]x[65,128]^T (lm head)", 1, () -> be.gemm(false, true, 1f, x, wte, 0f, logits));
            bench("gemmBatched qk^T 48x[64,32]x[64,32]^T", 4, () -> be.gemmBatched(false, true, 0.17f, q, k, 0f,
                    scores));
            bench("gemmBatched pv 48x[64,64]x[64,32]", 4, () -> be.gemmBatched(false, false, 1f, probs, q, 0f, att));
            Tensor mx = gaussian(be, r, 256, 784);
            Tensor mw = gaussian(be, r, 1024, 784);
            Tensor mh = gaussian(be, r, 256, 1024);
            Tensor mw2 = gaussian(be, r, 1024, 1024);
            Tensor mdw = be.allocate(DType.FLOAT32, 1024, 784);
            bench("MLP gemm [256,784]x[1024,784]^T", 2, () -> be.gemm(false, true, 1f, mx, mw, 0f, mh));
            bench("MLP gemm [256,1024]^T x[256,784]", 2, () -> be.gemm(true, false, 1f, mh, mx, 1f, mdw));
            Tensor mo = be.allocate(DType.FLOAT32, 256, 1024);
            bench("MLP gemm [256,1024]x[1024,1024]", 2, () -> be.gemm(false, false, 1f, mh, mw2, 0f, mo));
            bench("permute [12,64,3,4,32]->[3,12,4,64,32]", 4, () -> be.permute(qkv.reshape(12, 64, 3, 4, 32),
                    new int[] {2, 0, 3, 1, 4}, hdx.slice(0, rows * 3 * d).reshape(3, 12, 4, 64, 32)));
        }
    }

    private static Tensor gaussian(CpuBackend be, Random r, int... shape) {
        Tensor t = be.allocate(DType.FLOAT32, shape);
        float[] a = new float[t.intSize()];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        be.upload(a, 0, t);
        return t;
    }

    /** Best of 31 batches of ~4 ms each: on a loaded shared host the minimum of many short batches is the stable figure. */
    private static void bench(String name, int perStep, Runnable op) {
        long t0 = System.nanoTime();
        int reps = 0;
        while (System.nanoTime() - t0 < 4_000_000L) {
            op.run();
            reps++;
        }
        double best = Double.MAX_VALUE;
        for (int batch = 0; batch < 31; batch++) {
            long s = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                op.run();
            }
            best = Math.min(best, (System.nanoTime() - s) / 1e3 / reps);
        }
        System.out.printf(Locale.ROOT, "%-40s %9.1f  %6d  %8.2f%n", name, best, perStep, best * perStep / 1e3);
    }
}
