package dev.quadrant.bindings.cuda;

import static org.bytedeco.cuda.global.cublas.*;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A cuBLAS handle bound to one stream, with checked single-precision GEMM (plain, TF32, bf16 inputs with fp32
 * accumulation; single or strided batch), axpy and scal. Matrices are column-major, as in cuBLAS; a row-major caller computes
 * {@code C^T = B^T A^T} by swapping the operands.
 *
 * <p>Scalars are passed from host memory (the default pointer mode) through a buffer this handle owns, so a call
 * allocates nothing. Not thread-safe: one handle per replica thread, as cuBLAS recommends.
 *
 * <pre>{@code
 * try (Cublas blas = Cublas.create(stream)) {
 *     blas.sgemm(false, false, m, n, k, 1f, a, m, b, k, 0f, c, m);   // column-major C[m,n] = A[m,k] B[k,n]
 * }
 * }</pre>
 */
public final class Cublas implements AutoCloseable {

    /** Element types of GEMM inputs and outputs. */
    public enum DataType {
        FLOAT32(org.bytedeco.cuda.global.cudart.CUDA_R_32F),
        BF16(org.bytedeco.cuda.global.cudart.CUDA_R_16BF);

        final int code;

        DataType(int code) {
            this.code = code;
        }
    }

    /** How the products are accumulated. */
    public enum Compute {
        /** IEEE fp32 multiply and accumulate. */
        FP32(CUBLAS_COMPUTE_32F),
        /** fp32 inputs rounded to TF32 on tensor cores, fp32 accumulation. */
        TF32(CUBLAS_COMPUTE_32F_FAST_TF32);

        final int code;

        Compute(int code) {
            this.code = code;
        }
    }

    private cublasContext handle;
    private final CudaStream stream;
    private final FloatPointer hostAlpha = new FloatPointer(1);   // scalars in host memory, reused by every call
    private final FloatPointer hostBeta = new FloatPointer(1);

    private Cublas(cublasContext handle, CudaStream stream) {
        this.handle = handle;
        this.stream = stream;
    }

    /** A handle on {@code stream}'s device whose work is queued on {@code stream}. */
    public static Cublas create(CudaStream stream) {
        Cuda.setDevice(stream.device());
        cublasContext h = new cublasContext();
        check(cublasCreate_v2(h), "cublasCreate_v2", stream.device());
        Cublas b = new Cublas(h, stream);
        try {
            check(cublasSetStream_v2(h, stream.handle()), "cublasSetStream_v2", stream.device());
            check(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH), "cublasSetMathMode", stream.device());
        } catch (CudaException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** Throws a {@link CudaException} unless {@code status} is {@code CUBLAS_STATUS_SUCCESS}. */
    public static void check(int status, String call, int device) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            throw new CudaException("cuBLAS", call, status, cublasGetStatusName(status).getString(),
                    cublasGetStatusString(status).getString(), device, hint(status));
        }
    }

    private static String hint(int status) {
        switch (status) {
            case CUBLAS_STATUS_NOT_INITIALIZED:
                return "cuBLAS could not initialise: the GPU may be out of memory or the CUDA context broken";
            case CUBLAS_STATUS_ALLOC_FAILED:
                return "the GPU is out of memory: lower the batch size";
            case CUBLAS_STATUS_INVALID_VALUE:
                return "an argument is out of range (a bug in the caller: report it with the shapes)";
            case CUBLAS_STATUS_ARCH_MISMATCH:
            case CUBLAS_STATUS_NOT_SUPPORTED:
                return "this GPU does not support the requested precision: use --precision fp32";
            case CUBLAS_STATUS_EXECUTION_FAILED:
                return "the GEMM kernel failed to run; the CUDA context may be broken: restart the process";
            default:
                return "see the cuBLAS documentation for this status";
        }
    }

    private cublasContext h() {
        if (handle == null) {
            throw new IllegalStateException("cuBLAS handle is closed");
        }
        return handle;
    }

    /** Stores the scalars in host memory; returns the alpha pointer ({@link #hostBeta} holds beta). */
    private FloatPointer scalars(float a, float b) {
        hostAlpha.put(0, a);
        hostBeta.put(0, b);
        return hostAlpha;
    }

    /** The stream this handle queues on. */
    public CudaStream stream() { return stream; }

    /**
     * Column-major {@code C[m,n] = alpha * op(A) op(B) + beta * C} in fp32 (IEEE, no tensor-core rounding). Addresses
     * are device addresses; leading dimensions count floats.
     */
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b,
                      int ldb, float beta, long c, int ldc) {
        FloatPointer s = scalars(alpha, beta);
        check(cublasSgemm_v2(h(), transA ? CUBLAS_OP_T : CUBLAS_OP_N, transB ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k,
                s, DevPtr.floats(a, 0), lda, DevPtr.floats(b, 0), ldb, hostBeta, DevPtr.floats(c, 0), ldc),
                "cublasSgemm_v2(m=" + m + ", n=" + n + ", k=" + k + ")", stream.device());
    }

    /**
     * Column-major GEMM with typed inputs and an fp32 output: {@code (FLOAT32, TF32)} for TF32 tensor cores,
     * {@code (BF16, FP32)} for bf16 inputs with fp32 accumulation.
     */
    public void gemmEx(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, DataType aType,
                       int lda, long b, DataType bType, int ldb, float beta, long c, int ldc, Compute compute) {
        FloatPointer s = scalars(alpha, beta);
        check(cublasGemmEx(h(), transA ? CUBLAS_OP_T : CUBLAS_OP_N, transB ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k,
                s, DevPtr.bytes(a, 0), aType.code, lda, DevPtr.bytes(b, 0), bType.code, ldb, hostBeta,
                DevPtr.bytes(c, 0), DataType.FLOAT32.code, ldc, compute.code, CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx(m=" + m + ", n=" + n + ", k=" + k + ", A " + aType + ", B " + bType + ", " + compute + ")",
                stream.device());
    }

    /**
     * Column-major strided batch: {@code C_i = alpha * op(A_i) op(B_i) + beta * C_i} for {@code i < batch}, where
     * {@code A_i} starts {@code i * strideA} elements after {@code a} (likewise B and C; C is fp32). Types and compute
     * as in {@link #gemmEx}: {@code (FLOAT32, FP32)} is IEEE fp32 (this handle's math mode keeps tensor cores off),
     * {@code (FLOAT32, TF32)} TF32 tensor cores, {@code (BF16, FP32)} bf16 inputs with fp32 accumulation.
     */
    public void gemmStridedBatchedEx(boolean transA, boolean transB, int m, int n, int k, float alpha, long a,
                                     DataType aType, int lda, long strideA, long b, DataType bType, int ldb,
                                     long strideB, float beta, long c, int ldc, long strideC, int batch,
                                     Compute compute) {
        FloatPointer s = scalars(alpha, beta);
        check(cublasGemmStridedBatchedEx(h(), transA ? CUBLAS_OP_T : CUBLAS_OP_N, transB ? CUBLAS_OP_T : CUBLAS_OP_N,
                m, n, k, s, DevPtr.bytes(a, 0), aType.code, lda, strideA, DevPtr.bytes(b, 0), bType.code, ldb, strideB,
                hostBeta, DevPtr.bytes(c, 0), DataType.FLOAT32.code, ldc, strideC, batch, compute.code,
                CUBLAS_GEMM_DEFAULT),
                "cublasGemmStridedBatchedEx(m=" + m + ", n=" + n + ", k=" + k + ", batch=" + batch + ", strides "
                        + strideA + "/" + strideB + "/" + strideC + ", A " + aType + ", B " + bType + ", " + compute + ")",
                stream.device());
    }

    /** {@code y[0..n) += alpha * x[0..n)} (fp32, unit strides). */
    public void saxpy(int n, float alpha, long x, long y) {
        FloatPointer s = scalars(alpha, 0f);
        check(cublasSaxpy_v2(h(), n, s, DevPtr.floats(x, n), 1, DevPtr.floats(y, n), 1), "cublasSaxpy_v2(n=" + n + ")",
                stream.device());
    }

    /** {@code x[0..n) *= alpha} (fp32, unit stride). */
    public void sscal(int n, float alpha, long x) {
        FloatPointer s = scalars(alpha, 0f);
        check(cublasSscal_v2(h(), n, s, DevPtr.floats(x, n), 1), "cublasSscal_v2(n=" + n + ")", stream.device());
    }

    /** Gives cuBLAS a workspace of {@code bytes} at {@code address} (needed to capture GEMMs in a CUDA graph). */
    public void setWorkspace(long address, long bytes) {
        check(cublasSetWorkspace_v2(h(), DevPtr.bytes(address, bytes), bytes), "cublasSetWorkspace_v2", stream.device());
    }

    /** The cuBLAS version, e.g. {@code 130100}. */
    public int version() {
        int[] v = {0};
        check(cublasGetVersion_v2(h(), v), "cublasGetVersion_v2", stream.device());
        return v[0];
    }

    /** Destroys the handle (the stream stays open). Idempotent. */
    @Override
    public void close() {
        if (handle != null) {
            cublasContext h = handle;
            handle = null;
            hostAlpha.close();
            hostBeta.close();
            check(cublasDestroy_v2(h), "cublasDestroy_v2", stream.device());
        }
    }
}
