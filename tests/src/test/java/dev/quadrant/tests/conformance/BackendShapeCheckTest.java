package dev.quadrant.tests.conformance;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * Wrong shapes, sizes and dtypes throw {@link IllegalArgumentException} on every usable backend (and the float64
 * reference), before any work is queued, with a message that names the offending argument (the Backend Javadoc's
 * convention).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackendShapeCheckTest {
    private final List<Named<Backend>> backends = new ArrayList<>();

    @BeforeAll
    void openBackends() {
        for (BackendProvider p : BackendProvider.all()) {
            if (p.availability().usable()) {
                Backend be = p.create(p.devices().get(0), 1);
                backends.add(Named.of(be.describe(), be));
            }
        }
        assertFalse(backends.isEmpty());
        ReferenceBackend ref = new ReferenceBackend();
        backends.add(Named.of(ref.describe(), ref));
    }

    @AfterAll
    void closeBackends() {
        backends.forEach(b -> b.getPayload().close());
    }

    Stream<Named<Backend>> backends() {
        return backends.stream();
    }

    /** Asserts an IllegalArgumentException whose message mentions {@code argument}. */
    private static void rejects(String argument, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call,
                "expected a shape error about " + argument);
        assertTrue(e.getMessage() != null && e.getMessage().contains(argument),
                "message should name '" + argument + "': " + e.getMessage());
    }

    @OnEveryBackend
    void gemm(Backend be) {
        try (Tensor a = be.allocate(DType.FLOAT32, 3, 4); Tensor b = be.allocate(DType.FLOAT32, 4, 5);
             Tensor c = be.allocate(DType.FLOAT32, 3, 5); Tensor b2 = be.allocate(DType.FLOAT32, 5, 5);
             Tensor c2 = be.allocate(DType.FLOAT32, 4, 5); Tensor v = be.allocate(DType.FLOAT32, 12)) {
            be.gemm(false, false, 1f, a, b, 0f, c);                     // the right shapes pass
            rejects("b", () -> be.gemm(false, false, 1f, a, b2, 0f, c)); // k: 4 vs 5
            rejects("a", () -> be.gemm(false, false, 1f, a, b, 0f, c2)); // m: 3 vs 4
            rejects("a", () -> be.gemm(true, false, 1f, a, b, 0f, c));   // op(a) = [4, 3]
            rejects("b", () -> be.gemm(false, true, 1f, a, b, 0f, c));   // op(b) = [5, 4]
            rejects("a", () -> be.gemm(false, false, 1f, v, b, 0f, c));  // not 2-D
            try (Tensor ints = be.allocate(DType.INT32, 3, 5)) {
                rejects("c", () -> be.gemm(false, false, 1f, a, b, 0f, ints));
            }
        }
    }

    @OnEveryBackend
    void elementwise(Backend be) {
        try (Tensor x = be.allocate(DType.FLOAT32, 6); Tensor y = be.allocate(DType.FLOAT32, 7);
             Tensor i6 = be.allocate(DType.INT32, 6); Tensor bf = be.allocate(DType.BF16, 7)) {
            rejects("y", () -> be.axpy(1f, x, y));
            rejects("out", () -> be.mul(x, x, y));
            rejects("b", () -> be.mul(x, y, x));
            rejects("dst", () -> be.copy(x, y));
            rejects("dst", () -> be.copy(x, i6));
            rejects("y", () -> be.activationForward(Activation.RELU, x, y));
            rejects("dx", () -> be.activationBackward(Activation.TANH, x, x, y));
            rejects("dy", () -> be.activationBackward(Activation.TANH, x, y, x));
            rejects("dst", () -> be.castToBf16(x, bf));
            rejects("dst", () -> be.castFromBf16(bf, x));
            rejects("x", () -> be.scale(i6, 2f));
            rejects("x", () -> be.fill(i6, 2f));
        }
    }

    @OnEveryBackend
    void layersAndLosses(Backend be) {
        try (Tensor x = be.allocate(DType.FLOAT32, 4, 3); Tensor b4 = be.allocate(DType.FLOAT32, 4);
             Tensor labels3 = be.allocate(DType.INT32, 3); Tensor labels4 = be.allocate(DType.INT32, 4);
             Tensor l4 = be.allocate(DType.FLOAT32, 4); Tensor l3 = be.allocate(DType.FLOAT32, 3);
             Tensor x43 = be.allocate(DType.FLOAT32, 4, 3); Tensor x34 = be.allocate(DType.FLOAT32, 3, 4);
             Tensor acc2 = be.allocate(DType.FLOAT32, 2); Tensor acc1 = be.allocate(DType.FLOAT32, 1);
             Tensor out4 = be.allocate(DType.INT32, 4); Tensor flabels = be.allocate(DType.FLOAT32, 4)) {
            rejects("bias", () -> be.addBias(x, b4));
            rejects("out", () -> be.columnSums(x, 0f, b4));
            rejects("labels", () -> be.softmaxCrossEntropyForward(x, labels3, l4));
            rejects("losses", () -> be.softmaxCrossEntropyForward(x, labels4, l3));
            rejects("labels", () -> be.softmaxCrossEntropyForward(x, flabels, l4));
            rejects("dLogits", () -> be.softmaxCrossEntropyBackward(x, labels4, 1f, x34));
            rejects("target", () -> be.mseForward(x, x34, l4));
            rejects("losses", () -> be.mseForward(x, x43, l3));
            rejects("dPred", () -> be.mseBackward(x, x43, 1f, x34));
            rejects("out", () -> be.argmax(x, labels3));
            rejects("out", () -> be.argmax(x, l4));
            rejects("acc", () -> be.countCorrect(x, labels4, acc2));
            rejects("labels", () -> be.countCorrect(x, labels3, acc1));
            rejects("acc", () -> be.sumInto(x, acc2));
            be.argmax(x, out4);   // the right shapes pass
        }
    }

    @OnEveryBackend
    void batchedGemmAndEmbedding(Backend be) {
        try (Tensor a = be.allocate(DType.FLOAT32, 2, 3, 4); Tensor b = be.allocate(DType.FLOAT32, 2, 4, 5);
             Tensor c = be.allocate(DType.FLOAT32, 2, 3, 5); Tensor b3 = be.allocate(DType.FLOAT32, 3, 4, 5);
             Tensor flat = be.allocate(DType.FLOAT32, 3, 4); Tensor table = be.allocate(DType.FLOAT32, 7, 5);
             Tensor ids = be.allocate(DType.INT32, 3); Tensor out = be.allocate(DType.FLOAT32, 3, 5);
             Tensor out4 = be.allocate(DType.FLOAT32, 4, 5); Tensor out6 = be.allocate(DType.FLOAT32, 3, 6);
             Tensor fids = be.allocate(DType.FLOAT32, 3)) {
            be.gemmBatched(false, false, 1f, a, b, 0f, c);                      // the right shapes pass
            rejects("b", () -> be.gemmBatched(false, false, 1f, a, b3, 0f, c));  // batch 3 vs 2
            rejects("a", () -> be.gemmBatched(true, false, 1f, a, b, 0f, c));    // op(a[i]) = [4, 3]
            rejects("b", () -> be.gemmBatched(false, true, 1f, a, b, 0f, c));    // op(b[i]) = [5, 4]
            rejects("a", () -> be.gemmBatched(false, false, 1f, flat, b, 0f, c)); // not 3-D
            be.embeddingForward(table, ids, out);
            rejects("out", () -> be.embeddingForward(table, ids, out4));         // one row per id
            rejects("out", () -> be.embeddingForward(table, ids, out6));         // D = 5
            rejects("ids", () -> be.embeddingForward(table, fids, out));         // INT32
            be.embeddingBackward(ids, out, table);
            rejects("dOut", () -> be.embeddingBackward(ids, out4, table));
            rejects("dTable", () -> be.embeddingBackward(ids, out, a));
        }
    }

    @OnEveryBackend
    void layerNormSoftmaxAndPermute(Backend be) {
        try (Tensor x = be.allocate(DType.FLOAT32, 4, 6); Tensor y = be.allocate(DType.FLOAT32, 4, 6);
             Tensor d6 = be.allocate(DType.FLOAT32, 6); Tensor d5 = be.allocate(DType.FLOAT32, 5);
             Tensor m4 = be.allocate(DType.FLOAT32, 4); Tensor r4 = be.allocate(DType.FLOAT32, 4);
             Tensor r3 = be.allocate(DType.FLOAT32, 3); Tensor y64 = be.allocate(DType.FLOAT32, 6, 4);
             Tensor dg = be.allocate(DType.FLOAT32, 6); Tensor db = be.allocate(DType.FLOAT32, 6)) {
            be.layerNormForward(x, d6, d6, 1e-5f, y, m4, r4);               // the right shapes pass
            rejects("beta", () -> be.layerNormForward(x, d6, d5, 1e-5f, y, m4, r4));
            rejects("y", () -> be.layerNormForward(x, d6, d6, 1e-5f, y64, m4, r4));
            rejects("rstd", () -> be.layerNormForward(x, d6, d6, 1e-5f, y, m4, r3));
            rejects("y", () -> be.layerNormForward(x, d6, d6, 1e-5f, x, m4, r4));   // y may not be x
            rejects("rstd", () -> be.layerNormForward(x, d6, d6, 1e-5f, y, m4, m4)); // nor mean rstd
            be.layerNormBackward(x, d6, m4, r4, y, y, dg, db);              // dx may be dy
            rejects("dGamma", () -> be.layerNormBackward(x, d6, m4, r4, y, y, d5, db));
            rejects("dx", () -> be.layerNormBackward(x, d6, m4, r4, y, y64, dg, db));
        }
        try (Tensor s = be.allocate(DType.FLOAT32, 2, 3, 3); Tensor s34 = be.allocate(DType.FLOAT32, 2, 3, 4);
             Tensor p = be.allocate(DType.FLOAT32, 2, 3, 3); Tensor p2 = be.allocate(DType.FLOAT32, 1, 3, 3);
             Tensor x = be.allocate(DType.FLOAT32, 2, 3, 4); Tensor y = be.allocate(DType.FLOAT32, 4, 2, 3);
             Tensor yBad = be.allocate(DType.FLOAT32, 3, 2, 4)) {
            be.causalSoftmaxForward(s, s);                                    // in place passes
            rejects("scores", () -> be.causalSoftmaxForward(s34, s34));      // not square
            rejects("probs", () -> be.causalSoftmaxForward(s, p2));
            be.causalSoftmaxBackward(p, s, s);                                // dScores may be dProbs
            rejects("dScores", () -> be.causalSoftmaxBackward(p, s, p2));
            rejects("dScores", () -> be.causalSoftmaxBackward(p, s, p));      // nor probs
            be.permute(x, new int[] {2, 0, 1}, y);                            // the right shapes pass
            rejects("y", () -> be.permute(x, new int[] {2, 0, 1}, yBad));
            rejects("perm", () -> be.permute(x, new int[] {2, 0, 0}, y));
            rejects("perm", () -> be.permute(x, new int[] {1, 0}, y));
            rejects("y", () -> be.permute(x, new int[] {0, 1, 2}, x));         // no overlap
        }
    }

    @OnEveryBackend
    void optimizersAndHostCopies(Backend be) {
        try (Tensor p = be.allocate(DType.FLOAT32, 10); Tensor g9 = be.allocate(DType.FLOAT32, 9);
             Tensor g = be.allocate(DType.FLOAT32, 10); Tensor v9 = be.allocate(DType.FLOAT32, 9);
             Tensor v = be.allocate(DType.FLOAT32, 10); Tensor m = be.allocate(DType.FLOAT32, 10)) {
            rejects("grad", () -> be.sgdUpdate(p, g9, null, 0.1f, 0f, false, 0f, null));
            rejects("velocity", () -> be.sgdUpdate(p, g, v9, 0.1f, 0.9f, false, 0f, null));
            rejects("velocity", () -> be.sgdUpdate(p, g, null, 0.1f, 0.9f, false, 0f, null));
            rejects("grad", () -> be.adamUpdate(p, g9, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, 1, null));
            rejects("v", () -> be.adamUpdate(p, g, m, v9, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, 1, null));
            rejects("step", () -> be.adamUpdate(p, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, 0, null));
            rejects("src", () -> be.upload(new float[9], 0, p));
            rejects("src", () -> be.upload(new float[12], 3, p));
            rejects("dst", () -> be.download(p, new float[10], 1));
            try (Tensor i = be.allocate(DType.INT32, 10)) {
                rejects("src", () -> be.upload(new int[9], 0, i));
                rejects("dst", () -> be.download(i, new int[9], 0));
                rejects("dst", () -> be.upload(new float[10], 0, i));
            }
        }
    }

    /** Batch norm: per-channel sizes, sums [2, c], count and eps, dtypes, which outputs may alias an input. */
    @OnEveryBackend
    void batchNorm(Backend be) {
        try (Tensor x = be.allocate(DType.FLOAT32, 6, 3); Tensor y = be.allocate(DType.FLOAT32, 6, 3);
             Tensor c3 = be.allocate(DType.FLOAT32, 3); Tensor q3 = be.allocate(DType.FLOAT32, 3);
             Tensor o3 = be.allocate(DType.FLOAT32, 3); Tensor c4 = be.allocate(DType.FLOAT32, 4);
             Tensor sums = be.allocate(DType.FLOAT32, 2, 3); Tensor sums6 = be.allocate(DType.FLOAT32, 6);
             Tensor y53 = be.allocate(DType.FLOAT32, 5, 3); Tensor flat = be.allocate(DType.FLOAT32, 18);
             Tensor i3 = be.allocate(DType.INT32, 3); Tensor m3 = be.allocate(DType.FLOAT32, 3);
             Tensor v3 = be.allocate(DType.FLOAT32, 3)) {
            be.fill(q3, 1f);
            be.centeredSquareSums(x, c3, 6f, o3);                                  // the right shapes pass
            be.batchNormForward(x, c3, q3, 6f, 1e-5f, c3, c3, x);                  // y may be x
            be.batchNormRunningUpdate(c3, q3, 6f, 0.1f, m3, v3);
            be.batchNormBackwardSums(x, c3, q3, 6f, 1e-5f, y, sums);
            be.batchNormBackward(x, c3, q3, 6f, 1e-5f, c3, sums, y, y);            // dx may be dy
            rejects("sum", () -> be.centeredSquareSums(x, c4, 6f, o3));           // c = 3
            rejects("out", () -> be.centeredSquareSums(x, c3, 6f, c4));
            rejects("x", () -> be.centeredSquareSums(flat, c3, 6f, o3));          // not [m, c]
            rejects("count", () -> be.centeredSquareSums(x, c3, 0f, o3));
            rejects("count", () -> be.centeredSquareSums(x, c3, Float.NaN, o3));
            rejects("out", () -> be.centeredSquareSums(x, c3, 6f, c3));           // out may not be sum
            rejects("out", () -> be.centeredSquareSums(x, c3, 6f, i3));           // FLOAT32
            rejects("sqSum", () -> be.batchNormForward(x, c3, c4, 6f, 1e-5f, c3, c3, y));
            rejects("beta", () -> be.batchNormForward(x, c3, q3, 6f, 1e-5f, c3, c4, y));
            rejects("y", () -> be.batchNormForward(x, c3, q3, 6f, 1e-5f, c3, c3, y53));
            rejects("eps", () -> be.batchNormForward(x, c3, q3, 6f, -1f, c3, c3, y));
            rejects("count", () -> be.batchNormForward(x, c3, q3, -6f, 1e-5f, c3, c3, y));
            rejects("gamma", () -> be.batchNormForward(x, c3, q3, 6f, 1e-5f, i3, c3, y));
            rejects("count", () -> be.batchNormRunningUpdate(c3, q3, 1f, 0.1f, m3, v3));   // unbiased: > 1
            rejects("runningVar", () -> be.batchNormRunningUpdate(c3, q3, 6f, 0.1f, m3, c4));
            rejects("runningVar", () -> be.batchNormRunningUpdate(c3, q3, 6f, 0.1f, m3, m3));
            rejects("runningMean", () -> be.batchNormRunningUpdate(c3, q3, 6f, 0.1f, c3, v3));
            rejects("sums", () -> be.batchNormBackwardSums(x, c3, q3, 6f, 1e-5f, y, sums6));   // [2, c]
            rejects("dy", () -> be.batchNormBackwardSums(x, c3, q3, 6f, 1e-5f, y53, sums));
            rejects("eps", () -> be.batchNormBackwardSums(x, c3, q3, 6f, Float.NaN, y, sums));
            rejects("sums", () -> be.batchNormBackward(x, c3, q3, 6f, 1e-5f, c3, sums6, y, y));
            rejects("dx", () -> be.batchNormBackward(x, c3, q3, 6f, 1e-5f, c3, sums, y, y53));
            rejects("dx", () -> be.batchNormBackward(x, c3, q3, 6f, 1e-5f, c3, sums, y, x));   // nor x
            rejects("gamma", () -> be.batchNormBackward(x, c3, q3, 6f, 1e-5f, c4, sums, y, y));
        }
    }

    /** Image ops: shapes from the window, a window that does not fit, max pooling's padding, dtypes, overlaps. */
    @OnEveryBackend
    void images(Backend be) {
        Window2d w = new Window2d(3, 2, 2, 2, 1, 0);   // on [2, 7, 5, 3]: Ho = 4, Wo = 2
        try (Tensor x = be.allocate(DType.FLOAT32, 2, 7, 5, 3); Tensor col = be.allocate(DType.FLOAT32, 16, 18);
             Tensor y = be.allocate(DType.FLOAT32, 2, 4, 2, 3); Tensor a = be.allocate(DType.INT32, 2, 4, 2, 3);
             Tensor bad = be.allocate(DType.FLOAT32, 2, 4, 3, 3); Tensor flat = be.allocate(DType.FLOAT32, 210)) {
            be.im2col(x, w, col);                                                  // the right shapes pass
            be.maxPool2dForward(x, w, y, a);
            rejects("col", () -> be.im2col(x, w, flat.view(0, 16, 13)));             // [16, 18] expected
            rejects("col", () -> be.col2im(flat.view(0, 15, 14), w, x));
            rejects("x", () -> be.im2col(flat, w, col));                           // not 4-D
            rejects("y", () -> be.avgPool2dForward(x, w, bad));
            rejects("dy", () -> be.avgPool2dBackward(bad, w, x));
            rejects("dy", () -> be.maxPool2dBackward(bad, a, w, x));
            rejects("argmax", () -> be.maxPool2dForward(x, w, y, y));             // FLOAT32, expected INT32
            rejects("argmax", () -> be.maxPool2dBackward(y, a.reshape(2, 4, 6), w, x));
            rejects("x", () -> be.avgPool2dForward(x, Window2d.square(8, 1, 0), y));   // kernel 8 > height 7
            rejects("half the kernel", () -> be.maxPool2dForward(x, Window2d.square(2, 1, 2), y, a));
            rejects("window", () -> be.avgPool2dForward(x, null, y));
            rejects("overlap", () -> be.avgPool2dForward(x, w, x.reshape(210).slice(0, 48).reshape(2, 4, 2, 3)));
        }
    }
}
