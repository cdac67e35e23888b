package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.util.Locale;

import dev.quadrant.bindings.Dnnl;
import dev.quadrant.bindings.OpenBlas;
import dev.quadrant.device.UserInputException;

/**
 * The library behind a {@link CpuBackend}'s single-threaded GEMM calls (every GEMM part of {@link CpuGemm}, every
 * convolution chunk, the batched attention GEMMs). {@link #choose()} reads {@code -Dquadrant.cpu.gemm}:
 * {@code auto} (the default: oneDNN where it loads, else OpenBLAS), {@code onednn} (an error where it does not
 * load) or {@code openblas}.
 *
 * <p>Measured on a 2-core AMD EPYC (Zen 3), one thread: oneDNN's JIT sgemm ran the convolutions' chunk GEMMs
 * (16 to 64 channels) about 2x as fast as OpenBLAS 0.3.31, which packs the whole column tile for each call; the
 * MLP's large GEMMs within 10% either way (see {@link Dnnl}). The two differ by rounding only (other blockings of
 * the same float sums), within the conformance suite's GEMM tolerance; each is deterministic on its own, and the
 * CPU backend's split of a GEMM does not depend on the thread count with either.
 */
public enum CpuBlas {
    /** OpenBLAS (always bundled). */
    OPENBLAS("OpenBLAS"),
    /**
     * oneDNN (optional: see {@link Dnnl#probe()}): its matmul primitive for {@code A B^T}, {@code dnnl_sgemm} for the
     * rest ({@link Dnnl#gemm}).
     */
    ONEDNN("oneDNN");

    /** The system property that picks the library. */
    public static final String PROPERTY = "quadrant.cpu.gemm";

    private final String label;

    CpuBlas(String label) {
        this.label = label;
    }

    /** The library's name: {@code OpenBLAS} or {@code oneDNN}. */
    @Override
    public String toString() {
        return label;
    }

    /** The library {@code -Dquadrant.cpu.gemm} asks for (see the class comment). */
    public static CpuBlas choose() {
        String v = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "auto" -> Dnnl.probe() == null ? ONEDNN : OPENBLAS;
            case "openblas" -> OPENBLAS;
            case "onednn", "dnnl" -> {
                String why = Dnnl.probe();
                if (why != null) {
                    throw new UserInputException("-D" + PROPERTY + "=" + v + ": oneDNN does not load here: " + why
                            + "; use -D" + PROPERTY + "=openblas or auto");
                }
                yield ONEDNN;
            }
            default -> throw new UserInputException("-D" + PROPERTY + "=" + v
                    + ": expected auto, onednn or openblas");
        };
    }

    /** Loads the library, or throws {@link dev.quadrant.bindings.NativeException} saying why it cannot. */
    void load() {
        OpenBlas.load();   // always: the backend keeps OpenBLAS at one thread whichever does the GEMMs
        if (this == ONEDNN) {
            Dnnl.load();
        }
    }

    /** The library and its version, e.g. {@code "oneDNN 3.11.0"}. */
    String describe() {
        if (this == ONEDNN) {
            return label + " " + Dnnl.version();
        }
        String v = OpenBlas.version();
        return label + " " + (v.startsWith("OpenBLAS ") ? v.substring("OpenBLAS ".length()) : v);
    }

    /** One single-threaded row-major GEMM; arguments as {@link OpenBlas#sgemm}. */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, FloatBuffer a, long aOff, int lda,
               FloatBuffer b, long bOff, int ldb, float beta, FloatBuffer c, long cOff, int ldc) {
        if (this == ONEDNN) {
            Dnnl.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else {
            OpenBlas.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
    }
}
