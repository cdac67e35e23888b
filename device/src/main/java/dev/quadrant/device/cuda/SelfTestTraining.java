package dev.quadrant.device.cuda;

import java.util.Random;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * The self-test's training run, written with backend ops only: a 2-layer MLP (8 -> 32 tanh -> 4) trained with SGD
 * and momentum on four well-separated Gaussian blobs. Parameters and gradients live in one flat buffer each, the
 * layers are views, as in the trainer. It passes when the loss falls below a quarter of its start, the accuracy
 * reaches 95%, and a second run from the same seed gives the same final loss to the bit.
 */
final class SelfTestTraining {
    private static final int IN = 8;
    private static final int HIDDEN = 32;
    private static final int CLASSES = 4;
    private static final int BATCH = 256;
    private static final int STEPS = 150;

    private SelfTestTraining() {}

    static String run(Backend be) {
        float[] first = train(be, 7);
        float[] second = train(be, 7);
        float start = first[0];
        float end = first[1];
        float accuracy = first[2];
        if (Float.floatToRawIntBits(end) != Float.floatToRawIntBits(second[1])) {
            throw new SelfTest.Checker.Mismatch("two runs from the same seed ended at losses " + end + " and " + second[1]);
        }
        if (!(end < 0.25f * start) || !(accuracy >= 0.95f)) {
            throw new SelfTest.Checker.Mismatch("loss " + start + " -> " + end + " (want < 1/4 of the start), accuracy "
                    + accuracy + " (want >= 0.95)");
        }
        return String.format("loss %.4f -> %.4f, accuracy %.3f, %d steps, deterministic", start, end, accuracy, STEPS);
    }

    /** Returns {first loss, last loss, last accuracy}. */
    private static float[] train(Backend be, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[BATCH * IN];
        int[] y = new int[BATCH];
        for (int r = 0; r < BATCH; r++) {
            y[r] = r % CLASSES;
            for (int j = 0; j < IN; j++) {
                double centre = ((y[r] >> (j % 2)) & 1) == 1 ? 2.0 : -2.0;
                x[r * IN + j] = (float) (centre * (j < 2 ? 1 : 0) + rnd.nextGaussian() * 0.5);
            }
        }
        int w1 = 0;
        int b1 = w1 + HIDDEN * IN;
        int w2 = b1 + HIDDEN;
        int b2 = w2 + CLASSES * HIDDEN;
        int total = b2 + CLASSES;
        float[] init = new float[total];
        for (int i = 0; i < HIDDEN * IN; i++) {
            init[w1 + i] = (float) ((rnd.nextDouble() * 2 - 1) / Math.sqrt(IN));
        }
        for (int i = 0; i < CLASSES * HIDDEN; i++) {
            init[w2 + i] = (float) ((rnd.nextDouble() * 2 - 1) / Math.sqrt(HIDDEN));
        }
        try (Tensor params = be.allocate(DType.FLOAT32, total); Tensor grads = be.allocate(DType.FLOAT32, total);
             Tensor velocity = be.allocate(DType.FLOAT32, total); Tensor tx = be.allocate(DType.FLOAT32, BATCH, IN);
             Tensor ty = be.allocate(DType.INT32, BATCH); Tensor h = be.allocate(DType.FLOAT32, BATCH, HIDDEN);
             Tensor a = be.allocate(DType.FLOAT32, BATCH, HIDDEN); Tensor logits = be.allocate(DType.FLOAT32, BATCH, CLASSES);
             Tensor losses = be.allocate(DType.FLOAT32, BATCH); Tensor dlogits = be.allocate(DType.FLOAT32, BATCH, CLASSES);
             Tensor da = be.allocate(DType.FLOAT32, BATCH, HIDDEN); Tensor metrics = be.allocate(DType.FLOAT32, 2)) {
            be.upload(init, 0, params);
            be.upload(x, 0, tx);
            be.upload(y, 0, ty);
            Tensor pw1 = params.view(w1, HIDDEN, IN);
            Tensor pb1 = params.view(b1, HIDDEN);
            Tensor pw2 = params.view(w2, CLASSES, HIDDEN);
            Tensor pb2 = params.view(b2, CLASSES);
            Tensor gw1 = grads.view(w1, HIDDEN, IN);
            Tensor gb1 = grads.view(b1, HIDDEN);
            Tensor gw2 = grads.view(w2, CLASSES, HIDDEN);
            Tensor gb2 = grads.view(b2, CLASSES);
            Tensor lossSum = metrics.view(0, 1);
            Tensor correct = metrics.view(1, 1);
            float firstLoss = 0;
            float[] m = new float[2];
            for (int step = 0; step < STEPS; step++) {
                be.fill(metrics, 0f);
                be.gemm(false, true, 1f, tx, pw1, 0f, h);          // h[B,H] = x[B,I] w1[H,I]^T
                be.addBias(h, pb1);
                be.activationForward(Activation.TANH, h, a);
                be.gemm(false, true, 1f, a, pw2, 0f, logits);      // logits[B,C] = a[B,H] w2[C,H]^T
                be.addBias(logits, pb2);
                be.softmaxCrossEntropyForward(logits, ty, losses);
                be.sumInto(losses, lossSum);
                be.countCorrect(logits, ty, correct);
                be.softmaxCrossEntropyBackward(logits, ty, 1f / BATCH, dlogits);
                be.gemm(true, false, 1f, dlogits, a, 0f, gw2);    // gw2[C,H] = dlogits^T a
                be.columnSums(dlogits, 0f, gb2);
                be.gemm(false, false, 1f, dlogits, pw2, 0f, da);  // da[B,H] = dlogits w2
                be.activationBackward(Activation.TANH, h, da, da);
                be.gemm(true, false, 1f, da, tx, 0f, gw1);        // gw1[H,I] = dh^T x
                be.columnSums(da, 0f, gb1);
                be.sgdUpdate(params, grads, velocity, 0.1f, 0.9f, false, 0f, null);
                if (step == 0) {
                    be.download(metrics, m, 0);
                    firstLoss = m[0] / BATCH;
                }
            }
            be.download(metrics, m, 0);   // the last step's metrics (before its update)
            return new float[] {firstLoss, m[0] / BATCH, m[1] / BATCH};
        }
    }
}
