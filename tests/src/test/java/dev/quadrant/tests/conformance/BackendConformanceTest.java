package dev.quadrant.tests.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cpu.CpuBackend;
import dev.quadrant.device.cpu.CpuBlas;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * Every {@link Backend} method on every backend whose {@link BackendProvider} says it is usable here (CPU always;
 * CUDA joins by itself where a GPU is present; providers that are not usable are skipped with their reason and
 * their backend classes are never touched; the CPU once per GEMM library, {@link CpuBlas}), against the float64 {@link ReferenceBackend} ({@link Ref}), with the
 * tolerance of each op and its reason written next to the check (in {@code *Checks}). Every tensor argument is a
 * view at an odd offset into a larger buffer whose other elements must come through untouched.
 *
 * <p>The reference backend itself runs the suite too: compared with itself its numbers pass trivially, but its
 * views, guards, in-place cases and argument handling are checked like any backend's (modules run on it for
 * float64 gradient checks). Its semantics are pinned independently by {@code ReferenceBackendTest} in
 * {@code device/}.
 *
 * <p>When the whole class runs, it fails unless every abstract method declared in {@code Backend} was covered on
 * every backend ({@link Coverage}), so a method added to the interface cannot go untested.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackendConformanceTest {
    private static final int THREADS = 2;

    private final List<Named<Backend>> backends = new ArrayList<>();
    /** How to open another backend like each one, with a given thread budget. */
    private final Map<Backend, IntFunction<Backend>> another = new IdentityHashMap<>();
    private final Set<String> ran = new HashSet<>();

    @BeforeAll
    void openBackends() {
        for (BackendProvider p : BackendProvider.all()) {
            BackendProvider.Availability a = p.availability();
            if (!a.usable()) {
                System.out.println("[conformance] skipping " + p.kind() + " backend: " + a.reason());
                continue;
            }
            Device d = p.devices().get(0);
            Backend be = p.create(d, THREADS);
            backends.add(Named.of(be.describe(), be));
            another.put(be, threads -> p.create(d, threads));
            if (be instanceof CpuBackend cpu && cpu.blas() != CpuBlas.OPENBLAS) {   // the fallback library too
                CpuBackend open = new CpuBackend(d, THREADS, CpuBlas.OPENBLAS);
                backends.add(Named.of(open.describe(), open));
                another.put(open, threads -> new CpuBackend(d, threads, CpuBlas.OPENBLAS));
            }
        }
        assertFalse(backends.isEmpty(), "no usable backend at all (the CPU one should always be)");
        ReferenceBackend ref = new ReferenceBackend();
        backends.add(Named.of(ref.describe(), ref));
        another.put(ref, threads -> new ReferenceBackend());
    }

    Stream<Named<Backend>> backends() {
        return backends.stream();
    }

    @BeforeEach
    void track(TestInfo info) {
        info.getTestMethod().ifPresent(m -> ran.add(m.getName()));
    }

    @AfterAll
    void checkCoverageAndClose() {
        try {
            List<String> notRun = new ArrayList<>();
            for (Method m : getClass().getDeclaredMethods()) {
                if (m.isAnnotationPresent(OnEveryBackend.class) && !ran.contains(m.getName())) {
                    notRun.add(m.getName());
                }
            }
            if (!notRun.isEmpty()) {
                System.out.println("[conformance] part of the suite was selected; coverage not checked (not run: "
                        + notRun + ")");
                return;
            }
            StringBuilder missing = new StringBuilder();
            for (Named<Backend> b : backends) {
                List<String> un = Coverage.uncovered(key(b.getPayload()));
                if (!un.isEmpty()) {
                    missing.append("\n  ").append(b.getName()).append(": ").append(un);
                }
            }
            if (missing.length() > 0) {
                fail("Backend methods not covered by the conformance suite:" + missing);
            }
            System.out.println("[conformance] " + Coverage.declared().size() + " Backend methods covered on "
                    + backends.size() + " backend(s): " + backends.stream().map(Named::getName).toList());
        } finally {
            for (Named<Backend> b : backends) {
                b.getPayload().close();
            }
        }
    }

    /** Backends of one device (the CPU and the reference) are told apart by class. */
    private static String key(Backend be) {
        return be.getClass().getSimpleName() + " on " + be.device();
    }

    private static void covers(Backend be, String method, Class<?>... parameterTypes) {
        Coverage.covers(key(be), method, parameterTypes);
    }

    // ---- memory and lifecycle -----------------------------------------------------------------------------------

    @OnEveryBackend
    void identity(Backend be) {
        covers(be, "device");
        covers(be, "describe");
        MemoryChecks.identity(be, be.device().kind());
    }

    @OnEveryBackend
    void allocate(Backend be) {
        covers(be, "allocate");
        MemoryChecks.allocateIsZeroFilledWithTheShapeAsked(be);
    }

    @OnEveryBackend
    void uploadDownloadFloats(Backend be) {
        covers(be, "upload", float[].class, int.class, Tensor.class);
        covers(be, "download", Tensor.class, float[].class, int.class);
        covers(be, "synchronize");
        MemoryChecks.uploadDownloadFloats(be);
    }

    @OnEveryBackend
    void uploadDownloadInts(Backend be) {
        covers(be, "upload", int[].class, int.class, Tensor.class);
        covers(be, "download", Tensor.class, int[].class, int.class);
        MemoryChecks.uploadDownloadInts(be);
    }

    /** A second backend on the same device works and closes; the suite's own backend is unaffected. */
    @OnEveryBackend
    void close(Backend be) {
        covers(be, "close");
        float[] out = new float[3];
        Backend other = another.get(be).apply(1);
        try (Tensor t = other.allocate(DType.FLOAT32, 3)) {
            other.fill(t, 7f);
            other.download(t, out, 0);
        }
        other.close();
        assertArrayEquals(new float[] {7f, 7f, 7f}, out);
        try (Tensor t = be.allocate(DType.FLOAT32, 2)) {
            be.fill(t, 1f);
            assertEquals(Math.sqrt(2), be.l2Norm(t), 1e-12);
        }
    }

    // ---- BLAS-like ----------------------------------------------------------------------------------------------

    @OnEveryBackend
    void gemm(Backend be) {
        covers(be, "gemm");
        BlasChecks.gemm(be);
    }

    /**
     * The updates that also write a bf16 copy ({@code sgdUpdate}/{@code adamUpdate} with {@code copy}): the parameters
     * and state are those of the plain update, bit for bit, and the copy is {@code castToBf16} of the new parameters;
     * a guard that flags a non-finite gradient leaves the copy alone too.
     */
    @OnEveryBackend
    void updatesWithABf16Copy(Backend be) {
        java.util.Random r = new java.util.Random(31);
        int n = 1000;
        float[] p0 = Data.uniform(r, n, -1, 1);
        float[] g0 = Data.uniform(r, n, -1, 1);
        float[] s0 = Data.uniform(r, n, 0, 1);
        for (String kind : new String[] {"sgd", "momentum", "nesterov", "adam", "adamw"}) {
            for (boolean skip : new boolean[] {false, true}) {
                String what = kind + (skip ? " under a guard that skips" : "");
                try (dev.quadrant.device.Tensor pa = be.allocate(DType.FLOAT32, n);
                     dev.quadrant.device.Tensor pb = be.allocate(DType.FLOAT32, n);
                     dev.quadrant.device.Tensor g = be.allocate(DType.FLOAT32, n);
                     dev.quadrant.device.Tensor ma = be.allocate(DType.FLOAT32, n);
                     dev.quadrant.device.Tensor mb = be.allocate(DType.FLOAT32, n);
                     dev.quadrant.device.Tensor va = be.allocate(DType.FLOAT32, n);
                     dev.quadrant.device.Tensor vb = be.allocate(DType.FLOAT32, n);
                     dev.quadrant.device.Tensor copy = be.allocate(DType.BF16, n);
                     dev.quadrant.device.Tensor want = be.allocate(DType.BF16, n);
                     dev.quadrant.device.Tensor stats = be.allocate(DType.FLOAT32, dev.quadrant.device.GradientStats.SIZE)) {
                    be.upload(p0, 0, pa);
                    be.upload(p0, 0, pb);
                    be.upload(skip ? withNaN(g0) : g0, 0, g);
                    for (dev.quadrant.device.Tensor t : new dev.quadrant.device.Tensor[] {ma, mb, va, vb}) {
                        be.upload(s0, 0, t);
                    }
                    be.castToBf16(pb, copy);   // the copy before: a skipped update must leave it so
                    dev.quadrant.device.Tensor guard = null;
                    if (skip) {
                        be.gradientStats(g, 1f, 1, stats);
                        guard = stats;
                    }
                    switch (kind) {
                        case "sgd" -> {
                            be.sgdUpdate(pa, g, null, 0.1f, 0f, false, 0.01f, guard);
                            be.sgdUpdate(pb, g, null, 0.1f, 0f, false, 0.01f, guard, copy);
                        }
                        case "momentum", "nesterov" -> {
                            boolean nest = kind.equals("nesterov");
                            be.sgdUpdate(pa, g, ma, 0.1f, 0.9f, nest, 0.01f, guard);
                            be.sgdUpdate(pb, g, mb, 0.1f, 0.9f, nest, 0.01f, guard, copy);
                        }
                        default -> {
                            boolean w = kind.equals("adamw");
                            be.adamUpdate(pa, g, ma, va, 1e-2f, 0.9f, 0.99f, 1e-8f, 0.1f, w, 3, guard);
                            be.adamUpdate(pb, g, mb, vb, 1e-2f, 0.9f, 0.99f, 1e-8f, 0.1f, w, 3, guard, copy);
                        }
                    }
                    be.castToBf16(pb, want);
                    float[][] got = {new float[n], new float[n], new float[n], new float[n], new float[n], new float[n]};
                    be.download(pa, got[0], 0);
                    be.download(pb, got[1], 0);
                    be.download(ma, got[2], 0);
                    be.download(mb, got[3], 0);
                    be.download(va, got[4], 0);
                    be.download(vb, got[5], 0);
                    for (int k = 0; k < 3; k++) {
                        org.junit.jupiter.api.Assertions.assertArrayEquals(got[2 * k], got[2 * k + 1],
                                what + ": " + new String[] {"parameters", "first state", "second state"}[k]
                                        + " differ from the update without a copy");
                    }
                    float[] c = new float[n];
                    float[] w = new float[n];
                    try (dev.quadrant.device.Tensor c32 = be.allocate(DType.FLOAT32, n);
                         dev.quadrant.device.Tensor w32 = be.allocate(DType.FLOAT32, n)) {
                        be.castFromBf16(copy, c32);
                        be.castFromBf16(want, w32);
                        be.download(c32, c, 0);
                        be.download(w32, w, 0);
                    }
                    org.junit.jupiter.api.Assertions.assertArrayEquals(w, c, what + ": the copy is not the new "
                            + "parameters rounded to bf16");
                    if (skip) {
                        org.junit.jupiter.api.Assertions.assertArrayEquals(p0, got[1], what + ": parameters changed");
                    }
                }
            }
        }
    }

    private static float[] withNaN(float[] g) {
        float[] x = g.clone();
        x[17] = Float.NaN;
        return x;
    }

    @OnEveryBackend
    void gemmWithBf16Operands(Backend be) {
        BlasChecks.gemmWithBf16Operands(be);
    }

    @OnEveryBackend
    void axpy(Backend be) {
        covers(be, "axpy");
        BlasChecks.axpy(be);
    }

    @OnEveryBackend
    void scale(Backend be) {
        covers(be, "scale");
        BlasChecks.scale(be);
    }

    @OnEveryBackend
    void fill(Backend be) {
        covers(be, "fill");
        BlasChecks.fill(be);
    }

    @OnEveryBackend
    void copy(Backend be) {
        covers(be, "copy");
        BlasChecks.copy(be);
    }

    @OnEveryBackend
    void mul(Backend be) {
        covers(be, "mul");
        BlasChecks.mul(be);
    }

    @OnEveryBackend
    void gemmBatched(Backend be) {
        covers(be, "gemmBatched");
        BlasChecks.gemmBatched(be);
    }

    // ---- layers -------------------------------------------------------------------------------------------------

    @OnEveryBackend
    void addBias(Backend be) {
        covers(be, "addBias");
        LayerChecks.addBias(be);
    }

    @OnEveryBackend
    void columnSums(Backend be) {
        covers(be, "columnSums");
        LayerChecks.columnSums(be);
    }

    @OnEveryBackend
    void activationForward(Backend be) {
        covers(be, "activationForward");
        LayerChecks.activationForward(be);
    }

    @OnEveryBackend
    void activationBackward(Backend be) {
        covers(be, "activationBackward");
        LayerChecks.activationBackward(be);
    }

    @OnEveryBackend
    void dropoutMask(Backend be) {
        covers(be, "dropoutMask");
        LayerChecks.dropoutMask(be);
    }

    // ---- sequence models ----------------------------------------------------------------------------------------

    @OnEveryBackend
    void embeddingForward(Backend be) {
        covers(be, "embeddingForward");
        SequenceChecks.embeddingForward(be);
    }

    @OnEveryBackend
    void embeddingBackward(Backend be) {
        covers(be, "embeddingBackward");
        try (Backend oneThread = another.get(be).apply(1)) {
            SequenceChecks.embeddingBackward(be, oneThread);
        }
    }

    @OnEveryBackend
    void layerNormForward(Backend be) {
        covers(be, "layerNormForward");
        NormChecks.layerNormForward(be);
    }

    @OnEveryBackend
    void layerNormBackward(Backend be) {
        covers(be, "layerNormBackward");
        NormChecks.layerNormBackward(be);
    }

    @OnEveryBackend
    void causalSoftmaxForward(Backend be) {
        covers(be, "causalSoftmaxForward");
        NormChecks.causalSoftmaxForward(be);
    }

    @OnEveryBackend
    void causalSoftmaxBackward(Backend be) {
        covers(be, "causalSoftmaxBackward");
        NormChecks.causalSoftmaxBackward(be);
    }

    @OnEveryBackend
    void permute(Backend be) {
        covers(be, "permute");
        SequenceChecks.permute(be);
    }

    // ---- batch normalisation ------------------------------------------------------------------------------------

    @OnEveryBackend
    void centeredSquareSums(Backend be) {
        covers(be, "centeredSquareSums");
        try (Backend oneThread = another.get(be).apply(1)) {
            BatchNormChecks.centeredSquareSums(be, oneThread);
        }
    }

    @OnEveryBackend
    void batchNormForward(Backend be) {
        covers(be, "batchNormForward");
        BatchNormChecks.batchNormForward(be);
    }

    @OnEveryBackend
    void batchNormRunningUpdate(Backend be) {
        covers(be, "batchNormRunningUpdate");
        BatchNormChecks.batchNormRunningUpdate(be);
    }

    @OnEveryBackend
    void batchNormBackwardSums(Backend be) {
        covers(be, "batchNormBackwardSums");
        try (Backend oneThread = another.get(be).apply(1)) {
            BatchNormChecks.batchNormBackwardSums(be, oneThread);
        }
    }

    @OnEveryBackend
    void batchNormBackward(Backend be) {
        covers(be, "batchNormBackward");
        BatchNormChecks.batchNormBackward(be);
    }

    // ---- images -------------------------------------------------------------------------------------------------

    @OnEveryBackend
    void im2col(Backend be) {
        covers(be, "im2col");
        ImageChecks.im2col(be);
    }

    @OnEveryBackend
    void col2im(Backend be) {
        covers(be, "col2im");
        try (Backend oneThread = another.get(be).apply(1)) {
            ImageChecks.col2im(be, oneThread);
        }
    }

    @OnEveryBackend
    void conv2dForward(Backend be) {
        covers(be, "conv2dForward");
        try (Backend oneThread = another.get(be).apply(1)) {
            ConvChecks.forward(be, oneThread);
        }
    }

    @OnEveryBackend
    void conv2dBackward(Backend be) {
        covers(be, "conv2dBackward");
        try (Backend oneThread = another.get(be).apply(1)) {
            ConvChecks.backward(be, oneThread);
        }
    }

    @OnEveryBackend
    void convolutionWithoutColumns(Backend be) {
        ConvChecks.withoutColumns(be);
    }

    @OnEveryBackend
    void maxPool2dForward(Backend be) {
        covers(be, "maxPool2dForward");
        ImageChecks.maxPool2dForward(be);
    }

    @OnEveryBackend
    void maxPool2dBackward(Backend be) {
        covers(be, "maxPool2dBackward");
        try (Backend oneThread = another.get(be).apply(1)) {
            ImageChecks.maxPool2dBackward(be, oneThread);
        }
    }

    @OnEveryBackend
    void avgPool2dForward(Backend be) {
        covers(be, "avgPool2dForward");
        ImageChecks.avgPool2dForward(be);
    }

    @OnEveryBackend
    void avgPool2dBackward(Backend be) {
        covers(be, "avgPool2dBackward");
        try (Backend oneThread = another.get(be).apply(1)) {
            ImageChecks.avgPool2dBackward(be, oneThread);
        }
    }

    // ---- losses and metrics -------------------------------------------------------------------------------------

    @OnEveryBackend
    void softmaxCrossEntropyForward(Backend be) {
        covers(be, "softmaxCrossEntropyForward");
        LossChecks.softmaxCrossEntropyForward(be);
    }

    @OnEveryBackend
    void softmaxCrossEntropyBackward(Backend be) {
        covers(be, "softmaxCrossEntropyBackward");
        LossChecks.softmaxCrossEntropyBackward(be);
    }

    @OnEveryBackend
    void mseForward(Backend be) {
        covers(be, "mseForward");
        LossChecks.mseForward(be);
    }

    @OnEveryBackend
    void mseBackward(Backend be) {
        covers(be, "mseBackward");
        LossChecks.mseBackward(be);
    }

    @OnEveryBackend
    void argmax(Backend be) {
        covers(be, "argmax");
        LossChecks.argmax(be);
    }

    @OnEveryBackend
    void countCorrect(Backend be) {
        covers(be, "countCorrect");
        LossChecks.countCorrect(be);
    }

    @OnEveryBackend
    void sumInto(Backend be) {
        covers(be, "sumInto");
        ReductionChecks.sumInto(be);
    }

    @OnEveryBackend
    void l2Norm(Backend be) {
        covers(be, "l2Norm");
        ReductionChecks.l2Norm(be);
    }

    @OnEveryBackend
    void allFinite(Backend be) {
        covers(be, "allFinite");
        ReductionChecks.allFinite(be);
    }

    @OnEveryBackend
    void gradientStats(Backend be) {
        covers(be, "gradientStats");
        GradientStatsChecks.gradientStats(be);
    }

    @OnEveryBackend
    void sumFiniteInto(Backend be) {
        covers(be, "sumFiniteInto");
        GradientStatsChecks.sumFiniteInto(be);
    }

    /** The guard argument of sgdUpdate and adamUpdate (the methods themselves are counted below). */
    @OnEveryBackend
    void guardedUpdates(Backend be) {
        GradientStatsChecks.guardedUpdates(be);
    }

    // ---- optimizers and casts -----------------------------------------------------------------------------------

    @OnEveryBackend
    void sgdUpdate(Backend be) {
        covers(be, "sgdUpdate");
        OptimizerChecks.sgdUpdate(be);
    }

    @OnEveryBackend
    void adamUpdate(Backend be) {
        covers(be, "adamUpdate");
        OptimizerChecks.adamUpdate(be);
    }

    @OnEveryBackend
    void castToBf16(Backend be) {
        covers(be, "castToBf16");
        CastChecks.castToBf16(be);
    }

    @OnEveryBackend
    void castFromBf16(Backend be) {
        covers(be, "castFromBf16");
        CastChecks.castFromBf16(be);
    }

    /** Same inputs, same outputs, bit for bit, on a second run: nothing depends on timing or thread scheduling. */
    @OnEveryBackend
    void deterministic(Backend be) {
        float[][] first = null;
        for (int run = 0; run < 2; run++) {
            java.util.Random r = new java.util.Random(81);
            float[] x = Data.gaussian(r, 257 * 300, 1);
            float[] w = Data.gaussian(r, 300 * 64, 0.1);
            try (Guarded gx = Guarded.floats(be, x, 257, 300); Guarded gw = Guarded.floats(be, w, 300, 64);
                 Guarded gy = Guarded.floats(be, new float[257 * 64], 257, 64);
                 Guarded gs = Guarded.floats(be, new float[64], 64);
                 Guarded acc = Guarded.floats(be, new float[1], 1);
                 Guarded gamma = Guarded.floats(be, Data.gaussian(r, 300, 1), 300);
                 Guarded norm = Guarded.floats(be, new float[257 * 300], 257, 300);
                 Guarded stats = Guarded.floats(be, new float[2 * 257], 2, 257);
                 Guarded dParams = Guarded.floats(be, new float[2 * 300], 2, 300)) {
                be.gemm(false, false, 1f, gx.view, gw.view, 0f, gy.view);
                be.activationForward(dev.quadrant.device.Activation.GELU, gy.view, gy.view);
                be.columnSums(gy.view, 0f, gs.view);
                be.sumInto(gx.view, acc.view);
                Tensor mean = stats.view.rows(0, 1).reshape(257);
                Tensor rstd = stats.view.rows(1, 2).reshape(257);
                Tensor dGamma = dParams.view.rows(0, 1).reshape(300);
                Tensor dBeta = dParams.view.rows(1, 2).reshape(300);
                be.layerNormForward(gx.view, gamma.view, gamma.view, 1e-5f, norm.view, mean, rstd);
                be.layerNormBackward(gx.view, gamma.view, mean, rstd, norm.view, norm.view, dGamma, dBeta);
                float[][] now = {gy.floats(), gs.floats(), acc.floats(), {(float) be.l2Norm(gx.view)}, norm.floats(),
                    stats.floats(), dParams.floats()};
                if (first == null) {
                    first = now;
                } else {
                    for (int k = 0; k < now.length; k++) {
                        assertArrayEquals(first[k], now[k], "output " + k + " differs between two runs");
                    }
                }
            }
        }
        assertTrue(first != null);
    }
}
