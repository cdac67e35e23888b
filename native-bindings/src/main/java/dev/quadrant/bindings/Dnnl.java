package dev.quadrant.bindings;

import java.nio.FloatBuffer;

import org.bytedeco.dnnl.dnnl_version_t;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;

/**
 * Checked single-threaded single-precision GEMM over oneDNN ({@code dnnl_sgemm}, JavaCPP presets): the same
 * contract as {@link OpenBlas#sgemm} (row-major, direct buffers, offsets and leading dimensions in floats, every
 * argument checked before the native call, {@code beta = 0} never reads C), for the CPU backend, which splits GEMMs
 * over its own threads and makes each part one single-threaded call.
 *
 * <p>Why a second GEMM library: on a 2-core AMD EPYC (Zen 3) host, one thread, oneDNN's JIT sgemm ran a
 * convolution's chunk GEMMs ({@code [784,144] x [144,16]}, {@code [16,784] x [784,144]}, {@code [98,576] x [576,64]})
 * at 69-84 GFLOP/s against OpenBLAS 0.3.31's 25-56: OpenBLAS packs the whole column tile for each call, and at 16
 * output channels that copy costs as much as the multiply. On the MLP's large GEMMs the two were within 10% either
 * way.
 *
 * <p>Threads: oneDNN runs on the OpenMP runtime its jar bundles, where a thread that is not an OpenMP thread starts
 * with one OpenMP thread per core; so the first call on each thread sets that thread's OpenMP thread count to 1
 * through a small JNI glue ({@code OmpNative}, built where {@code g++} exists). No OpenMP team is ever opened.
 *
 * <p>Optional: where the oneDNN or OpenCL preset jars, or the glue, are missing, or the library does not load,
 * {@link #probe()} says what was looked for and how to get it, and the CPU backend keeps OpenBLAS. Thread-safe.
 *
 * <pre>{@code
 * if (Dnnl.probe() == null) {
 *     Dnnl.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c, 0, n); // C[m,n] = A[m,k] * B[n,k]^T
 * }
 * }</pre>
 */
public final class Dnnl {
    private static final Object LOCK = new Object();
    private static volatile boolean loaded;
    private static volatile String failure;
    /** Whether this thread's OpenMP thread count is already 1. */
    private static final ThreadLocal<Boolean> SINGLE = ThreadLocal.withInitial(() -> false);

    private Dnnl() {}

    /** Null when oneDNN and the glue load here; otherwise why not, and what to do (loads them on the first call). */
    public static String probe() {
        if (loaded) {
            return null;
        }
        synchronized (LOCK) {
            if (loaded || failure != null) {
                return failure;
            }
            try {
                Class.forName("org.bytedeco.dnnl.global.dnnl");
                Class.forName("org.bytedeco.opencl.global.OpenCL");
            } catch (ClassNotFoundException | LinkageError e) {
                return failure = "oneDNN is not on the class path (looked for org.bytedeco.dnnl.global.dnnl and "
                        + "org.bytedeco.opencl.global.OpenCL: " + e + "); add org.bytedeco:dnnl and "
                        + "org.bytedeco:opencl with their linux-x86_64 jars, as quadrant-native-bindings declares";
            }
            try {
                Loader.load(dnnl.class);
            } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
                return failure = "oneDNN's native library did not load (" + e + "); check that the dnnl and opencl "
                        + "linux-x86_64 jars are on the class path";
            }
            try {
                Loader.load(OmpNative.class);
            } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
                return failure = "the OpenMP glue (libjniOmpNative.so) is missing or did not load (" + e + "); it is "
                        + "built by quadrant-native-bindings' Maven profile omp-glue where /usr/bin/g++ exists: "
                        + "install g++ and rebuild";
            }
            int threads = singleThreaded();
            if (threads != 1) {
                return failure = "oneDNN loaded but its OpenMP thread count could not be set to 1 ("
                        + (threads == OmpNative.NOT_LOADED ? "libgomp.so.1 is not loaded in this process"
                        : threads == OmpNative.NO_SYMBOL ? "libgomp.so.1 lacks omp_set_num_threads"
                        : "omp_get_max_threads() = " + threads + " afterwards") + ")";
            }
            loaded = true;
            return null;
        }
    }

    /** Loads oneDNN and the glue, or throws a {@link NativeException} saying why they did not load. */
    public static void load() {
        String why = probe();
        if (why != null) {
            throw new NativeException("oneDNN", "load", why, null);
        }
    }

    /** Version of the loaded oneDNN, e.g. {@code "3.11.0"}. */
    public static String version() {
        load();
        dnnl_version_t v = dnnl.dnnl_version();
        return v.major() + "." + v.minor() + "." + v.patch();
    }

    /**
     * Row-major C = alpha * op(A) * op(B) + beta * C on the calling thread alone; arguments as
     * {@link OpenBlas#sgemm}.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             FloatBuffer a, long aOff, int lda, FloatBuffer b, long bOff, int ldb,
                             float beta, FloatBuffer c, long cOff, int ldc) {
        OpenBlas.checkGemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        ready();
        if (k == 0) {   // oneDNN and BLAS agree here, but say it: C = beta * C, and beta 0 never reads C
            scale(beta, c, cOff, m, n, ldc);
            return;
        }
        FloatPointer pa = new FloatPointer(a).position(aOff);
        FloatPointer pb = new FloatPointer(b).position(bOff);
        FloatPointer pc = new FloatPointer(c).position(cOff);
        int status = dnnl.dnnl_sgemm((byte) (transA ? 'T' : 'N'), (byte) (transB ? 'T' : 'N'), m, n, k, alpha,
                pa, lda, pb, ldb, beta, pc, ldc);
        if (status != 0) {
            throw new NativeException("oneDNN", "dnnl_sgemm", status, statusName(status),
                    "m=" + m + " n=" + n + " k=" + k + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc);
        }
    }

    /** Fewest columns of C for which {@link #gemm} takes the matmul primitive ({@code n = 10} was slower). */
    static final int MATMUL_MIN_N = 16;

    /**
     * Row-major C = alpha * op(A) * op(B) + beta * C on the calling thread alone, by oneDNN's faster routine for the
     * shape: the matmul primitive ({@link DnnlMatmul}) for {@code A B^T} with alpha 1, beta 0 or 1 and
     * {@code n >= }{@link #MATMUL_MIN_N}, else {@link #sgemm}. Arguments as {@link OpenBlas#sgemm}. The routine is a
     * function of the arguments (and, past {@link DnnlMatmul#MAX_PLANS} shapes in one process, of which came first),
     * so results are the same run to run.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            FloatBuffer a, long aOff, int lda, FloatBuffer b, long bOff, int ldb,
                            float beta, FloatBuffer c, long cOff, int ldc) {
        if (!transA && transB && alpha == 1f && (beta == 0f || beta == 1f) && n >= MATMUL_MIN_N) {
            matmul(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta == 1f, c, cOff, ldc);
        } else {
            sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
    }

    /**
     * Row-major {@code C = op(A) op(B)}, or {@code C += op(A) op(B)} when {@code accumulate}, by oneDNN's matmul
     * primitive on the calling thread alone (or {@code dnnl_sgemm} for a new shape past
     * {@link DnnlMatmul#MAX_PLANS}); other arguments as {@link OpenBlas#sgemm}. Without {@code accumulate} C is not
     * read.
     */
    public static void matmul(boolean transA, boolean transB, int m, int n, int k, FloatBuffer a, long aOff, int lda,
                              FloatBuffer b, long bOff, int ldb, boolean accumulate, FloatBuffer c, long cOff,
                              int ldc) {
        OpenBlas.checkGemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        ready();
        if (k == 0) {
            scale(accumulate ? 1f : 0f, c, cOff, m, n, ldc);
            return;
        }
        if (!DnnlMatmul.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc)) {
            sgemm(transA, transB, m, n, k, 1f, a, aOff, lda, b, bOff, ldb, accumulate ? 1f : 0f, c, cOff, ldc);
        }
    }

    /** Loads oneDNN if needed and makes sure this thread's OpenMP thread count is 1. */
    private static void ready() {
        if (!loaded) {
            load();
        }
        if (!SINGLE.get()) {
            int threads = singleThreaded();
            if (threads != 1) {
                throw new NativeException("oneDNN", "omp_set_num_threads(1)", threads,
                        "omp_get_max_threads() is " + threads + " afterwards on thread " + Thread.currentThread().getName(),
                        "set OMP_NUM_THREADS=1, or run with -Dquadrant.cpu.gemm=openblas");
            }
        }
    }

    /**
     * Sets the calling thread's OpenMP thread count to 1 and returns {@code omp_get_max_threads()} afterwards (or an
     * {@link OmpNative} status); remembers success for this thread.
     */
    private static int singleThreaded() {
        int threads = OmpNative.qomp_set_num_threads(1);
        if (threads == 1) {
            SINGLE.set(true);
        }
        return threads;
    }

    private static void scale(float beta, FloatBuffer c, long cOff, int m, int n, int ldc) {
        for (int i = 0; i < m; i++) {
            int row = Math.toIntExact(cOff + (long) i * ldc);
            for (int j = 0; j < n; j++) {
                c.put(row + j, beta == 0f ? 0f : beta * c.get(row + j));
            }
        }
    }

    /** oneDNN's name of a {@code dnnl_status_t}. */
    static String statusName(int status) {
        return switch (status) {
            case 1 -> "dnnl_out_of_memory";
            case 2 -> "dnnl_invalid_arguments";
            case 3 -> "dnnl_unimplemented";
            case 4 -> "dnnl_last_impl_reached";
            case 5 -> "dnnl_runtime_error";
            case 6 -> "dnnl_not_required";
            default -> "dnnl status " + status;
        };
    }
}
