package dev.quadrant.bindings;

import java.nio.FloatBuffer;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Checked single-precision GEMM and thread control over OpenBLAS (JavaCPP presets, natives bundled in the jar).
 *
 * <p>Matrices are row-major, as everywhere in Quadrant. Arguments are validated before the native call, because
 * OpenBLAS reports a bad argument through xerbla by printing and returning, not by a status; an argument it
 * would reject therefore becomes an {@link IllegalArgumentException} here, naming the parameter and its value.
 *
 * <p>Thread-safe: OpenBLAS's sgemm may be called from several threads at once.
 *
 * <pre>{@code
 * OpenBlas.setThreads(2);
 * OpenBlas.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c, 0, n); // C[m,n] = A[m,k] * B[n,k]^T
 * }</pre>
 */
public final class OpenBlas {
    private static volatile boolean loaded;

    private OpenBlas() {}

    /** Loads the bundled OpenBLAS, or throws a {@link NativeException} saying why it could not be loaded. */
    public static void load() {
        if (loaded) {
            return;
        }
        synchronized (OpenBlas.class) {
            if (loaded) {
                return;
            }
            try {
                org.bytedeco.javacpp.Loader.load(openblas_nolapack.class);
                loaded = true;
            } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                throw new NativeException("OpenBLAS", "load", "the bundled native library did not load (" + e.getMessage()
                        + "); Quadrant bundles OpenBLAS for linux-x86_64 only. Check that the openblas and javacpp "
                        + "linux-x86_64 jars are on the class path", e);
            }
        }
    }

    /** Number of threads OpenBLAS uses for one call. */
    public static int threads() {
        load();
        return openblas_nolapack.blas_get_num_threads();
    }

    /** Sets the number of threads OpenBLAS uses for one call (at least 1). */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("OpenBLAS thread count must be >= 1, got " + n);
        }
        load();
        openblas_nolapack.blas_set_num_threads(n);
        int now = openblas_nolapack.blas_get_num_threads();
        if (now != n) {
            throw new NativeException("OpenBLAS", "openblas_set_num_threads(" + n + ")", 0,
                    "the library reports " + now + " threads afterwards",
                    "this OpenBLAS build may have been compiled with a lower thread limit");
        }
    }

    /** Version of the bundled OpenBLAS, e.g. {@code "0.3.31"}. */
    public static String version() {
        return openblas_nolapack.OPENBLAS_VERSION.trim();
    }

    /**
     * Row-major C = alpha * op(A) * op(B) + beta * C, with op(A) of shape [m,k], op(B) of shape [k,n], C of shape
     * [m,n]. Buffers are direct float buffers; offsets and leading dimensions count floats.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             FloatBuffer a, long aOff, int lda, FloatBuffer b, long bOff, int ldb,
                             float beta, FloatBuffer c, long cOff, int ldc) {
        checkGemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        load();
        FloatPointer pa = new FloatPointer(a).position(aOff);
        FloatPointer pb = new FloatPointer(b).position(bOff);
        FloatPointer pc = new FloatPointer(c).position(cOff);
        openblas_nolapack.cblas_sgemm(openblas.CblasRowMajor,
                transA ? openblas.CblasTrans : openblas.CblasNoTrans,
                transB ? openblas.CblasTrans : openblas.CblasNoTrans,
                m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    static void checkGemm(boolean transA, boolean transB, int m, int n, int k,
                          FloatBuffer a, long aOff, int lda, FloatBuffer b, long bOff, int ldb,
                          FloatBuffer c, long cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("sgemm sizes must be >= 0, got m=" + m + " n=" + n + " k=" + k);
        }
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        checkMatrix("A", a, aOff, aRows, aCols, lda);
        checkMatrix("B", b, bOff, bRows, bCols, ldb);
        checkMatrix("C", c, cOff, m, n, ldc);
    }

    private static void checkMatrix(String name, FloatBuffer buf, long off, int rows, int cols, int ld) {
        if (!buf.isDirect()) {
            throw new IllegalArgumentException("sgemm " + name + " must be a direct FloatBuffer");
        }
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("sgemm leading dimension of " + name + " must be >= max(1, " + cols
                    + ") for a row-major [" + rows + "," + cols + "] matrix, got " + ld);
        }
        long need = rows == 0 || cols == 0 ? 0 : off + (long) (rows - 1) * ld + cols;
        if (off < 0 || need > buf.capacity()) {
            throw new IllegalArgumentException("sgemm " + name + " [" + rows + "," + cols + "] with ld " + ld
                    + " at offset " + off + " needs " + need + " floats, buffer holds " + buf.capacity());
        }
    }
}
