package dev.quadrant.device.cuda;

import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.util.function.IntFunction;

import dev.quadrant.bindings.cuda.Cublas;
import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaStream;
import dev.quadrant.bindings.cuda.DevPtr;
import dev.quadrant.bindings.cuda.KernelArgs;
import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.StreamEvent;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Timeline;
import dev.quadrant.device.UploadQueue;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.Window2d;
import dev.quadrant.device.checks.BatchNormOpChecks;
import dev.quadrant.device.checks.ImageOpChecks;
import dev.quadrant.device.checks.OpChecks;
import dev.quadrant.device.checks.SequenceOpChecks;
import dev.quadrant.kernels.DeviceKernels;
import dev.quadrant.kernels.ImageWindow;
import dev.quadrant.kernels.KernelSpec;
import dev.quadrant.kernels.Kernels;
import dev.quadrant.kernels.LaunchTarget;

/**
 * Every {@link Backend} op on one GPU, queued on this backend's own non-blocking stream: GEMMs in cuBLAS (a handle
 * bound to the stream), everything else in Quadrant's kernels. Tensors come from a caching allocator, uploads go
 * through a pinned staging ring, reductions for metrics accumulate on the device: a steady-state training step
 * neither allocates device memory nor waits for the GPU. Only {@link #download}, {@link #l2Norm},
 * {@link #allFinite} and {@link #synchronize} wait.
 *
 * <p>Row-major GEMM through column-major cuBLAS: a row-major {@code C[m,n]} is the column-major {@code C^T[n,m]}, so
 * {@code C^T = op(B)^T op(A)^T} is computed with the operands swapped and each leading dimension the stored
 * tensor's row length. {@link #gemmBatched} is the same mapping per matrix, one {@code cublasGemmStridedBatchedEx}
 * call with each tensor's matrix size as its stride. {@link Precision} picks fp32, TF32 or bf16 inputs (cast into
 * scratch) with fp32 accumulation, for both.
 *
 * <p>The sequence-model ops are deterministic run to run: the embedding backward and the LayerNorm parameter
 * gradients sum in a fixed order without float atomics (see {@code embedding.cu} and {@code layernorm.cu}), and so do
 * the batch-norm reductions ({@code batchnorm.cu}).
 *
 * <p>{@link #copy} also takes a source on another GPU ({@code cudaMemcpyPeerAsync} on this backend's stream, with peer
 * access enabled where the pair supports it), so that strategies move tensors between devices without the host.
 *
 * <p>Thread-safety: one backend per replica thread; not safe for concurrent calls. Every call makes the backend's
 * device current on the calling thread first.
 *
 * <pre>{@code
 * try (CudaBackend be = CudaBackend.open(Device.cuda(0), Precision.TF32);
 *      Tensor x = be.allocate(DType.FLOAT32, 64, 784); Tensor w = be.allocate(DType.FLOAT32, 128, 784);
 *      Tensor y = be.allocate(DType.FLOAT32, 64, 128)) {
 *     be.gemm(false, true, 1f, x, w, 0f, y);
 * }
 * }</pre>
 */
public final class CudaBackend implements Backend {
    private final Device device;
    private final int index;
    private final Precision precision;
    private final Cuda.DeviceInfo info;
    private final IntFunction<LaunchTarget> kernelSource;
    private final LaunchTarget target;
    private final CudaStream stream;
    private final Cublas blas;
    private final Kernels kernels;
    private final CachingAllocator allocator;
    private final PinnedStaging staging;
    private final StepGraphs graphs;
    private Tensor workspace;   // cuBLAS's, once step graphs are on (freed with the allocator)
    private final java.util.List<CudaUploadQueue> uploadQueues = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Tensor partials;   // [Kernels.PARTIALS] doubles (as 2 * PARTIALS floats) for reductions
    private final Tensor flag;       // [1] INT32 for allFinite and sumFiniteInto
    private final Tensor firstBad;   // [Kernels.PARTIALS] longs (as 2 * PARTIALS floats) for gradientStats
    private boolean closed;

    private CudaBackend(Device device, Precision precision, IntFunction<LaunchTarget> kernelSource) {
        this.device = device;
        this.index = device.index();
        this.precision = precision;
        this.kernelSource = kernelSource;
        Cuda.setDevice(index);
        this.info = Cuda.deviceInfo(index);
        this.target = kernelSource.apply(index);
        CudaStream s = CudaStream.create(index);
        Cublas b = null;
        Kernels k = null;
        PinnedStaging st = null;
        try {
            b = Cublas.create(s);
            k = new Kernels(recording(target, s));
            st = new PinnedStaging(s);
        } catch (RuntimeException e) {
            closeAll(e, st, k, b, s);
            throw e;
        }
        this.stream = s;
        this.blas = b;
        this.kernels = k;
        this.staging = st;
        this.graphs = new StepGraphs(s, target.runsOnHost());
        this.allocator = new CachingAllocator(index, CachingAllocator.RawMemory.cuda(index), graphs::flush);
        try {
            this.partials = scratch(DType.FLOAT32, 2 * Kernels.PARTIALS);
            this.flag = scratch(DType.INT32, 1);
            this.firstBad = scratch(DType.FLOAT32, 2 * Kernels.PARTIALS);
        } catch (RuntimeException e) {
            closeAll(e, allocator, st, k, b, s);
            throw e;
        }
    }

    private static void closeAll(RuntimeException failure, AutoCloseable... resources) {
        for (AutoCloseable r : resources) {
            if (r != null) {
                try {
                    r.close();
                } catch (Exception e) {
                    failure.addSuppressed(e);
                }
            }
        }
    }

    // ---- CUDA graphs of repeated steps (StepGraphs) ----------------------------------------------------------------
    // Every op this backend queues on its compute stream goes through graphs.submit, with a key of every byte that
    // identifies it; what meets the world outside the stream (events, communicators, uploads, downloads,
    // synchronisation) first calls graphs.flush. The raw stream is handed out only flushed (stream()).

    private static final long KERNEL = 1;
    private static final long GEMM = 2;
    private static final long MEMSET = 3;
    private static final long COPY = 4;

    /** {@code inner}, with launches on {@code compute} going through the step graphs. */
    private LaunchTarget recording(LaunchTarget inner, CudaStream compute) {
        KernelArgs replayArgs = new KernelArgs(32);
        return new LaunchTarget() {
            @Override
            public void launch(KernelSpec kernel, int gridX, int blockX, int blockY, CudaStream s, KernelArgs args) {
                if (s != compute || !graphs.recording()) {
                    inner.launch(kernel, gridX, blockX, blockY, s, args);
                    return;
                }
                int n = args.count();
                long[] slots = new long[n];
                long[] key = new long[5 + n];
                key[0] = KERNEL;
                key[1] = graphs.id(kernel);
                key[2] = gridX;
                key[3] = blockX;
                key[4] = blockY;
                for (int i = 0; i < n; i++) {
                    slots[i] = args.slot(i);
                    key[5 + i] = slots[i];
                }
                graphs.submit(key, () -> {
                    replayArgs.clear();
                    for (long v : slots) {
                        replayArgs.raw(v);
                    }
                    inner.launch(kernel, gridX, blockX, blockY, compute, replayArgs);
                });
            }

            @Override
            public boolean runsOnHost() { return inner.runsOnHost(); }

            @Override
            public int multiprocessors() { return inner.multiprocessors(); }
        };
    }

    private void memset(long address, long bytes) {
        if (!graphs.recording()) {
            Cuda.memsetAsync(address, 0, bytes, stream);
            return;
        }
        graphs.submit(new long[] {MEMSET, address, bytes}, () -> Cuda.memsetAsync(address, 0, bytes, stream));
    }


    /**
     * Replays repeated step work as CUDA graphs (see {@link StepGraphs}: exact, a graph is launched only where the
     * step queues exactly its ops) when {@code on}; eager launches otherwise (the default).
     */
    @Override
    public void useStepGraphs(boolean on) {
        enter();
        if (on && workspace == null) {
            // cuBLAS allocates its workspace on first use unless given one, and an allocation cannot be captured
            workspace = scratch(DType.FLOAT32, CUBLAS_WORKSPACE_BYTES / 4);
            blas.setWorkspace(addr("useStepGraphs", "workspace", workspace), CUBLAS_WORKSPACE_BYTES);
        }
        graphs.setEnabled(on);
    }

    /** cuBLAS's workspace when steps are captured: 32 MiB, what NVIDIA recommends for Hopper. */
    static final int CUBLAS_WORKSPACE_BYTES = 32 << 20;

    @Override
    public void beginStep() {
        enter();
        graphs.beginStep();
    }

    @Override
    public void endStep() {
        enter();
        graphs.endStep();
    }

    @Override
    public String stepGraphReport() {
        return graphs.report();
    }

    /** Graph launches so far, each standing for a whole segment of a step (for tests and {@code --verbose}). */
    public long graphLaunches() { return graphs.graphLaunches(); }

    /** Segments whose capture the driver refused, which run eagerly ({@link #stepGraphReport} says why). */
    public int graphCaptureFailures() { return graphs.captureFailures(); }

    /**
     * A backend on {@code device} ({@code cuda:N}) computing GEMMs in {@code precision}. The caller must have checked
     * {@link CudaBackendProvider#availability()}; a device index that is not present is a {@link UserInputException}.
     */
    public static CudaBackend open(Device device, Precision precision) {
        return open(device, precision, CudaBackend::nvrtcKernels);
    }

    /**
     * As {@link #open(Device, Precision)}, with the kernels launched on {@code kernelSource.apply(deviceIndex)}
     * instead of the NVRTC-compiled ones: {@code dev.quadrant.kernels.HostKernels} under the stub libraries of the
     * {@code -Pfakes} tests. {@link #sibling} backends and the CUDA communicators use the same source.
     */
    public static CudaBackend open(Device device, Precision precision, IntFunction<LaunchTarget> kernelSource) {
        if (device.kind() != Device.Kind.CUDA) {
            throw new IllegalArgumentException("CudaBackend needs a cuda:N device, got " + device);
        }
        int n = Cuda.deviceCount();
        if (device.index() >= n) {
            throw new UserInputException("--devices " + device + ": this machine has " + n + " CUDA device"
                    + (n == 1 ? "" : "s") + " (cuda:0" + (n > 1 ? "..cuda:" + (n - 1) : "") + "); see `quadrant devices`");
        }
        return new CudaBackend(device, precision, kernelSource);
    }

    private static LaunchTarget nvrtcKernels(int device) {
        return LaunchTarget.cuda(DeviceKernels.forDevice(device));
    }

    /** {@code be} itself, the CUDA backend it forwards to ({@link CudaBacked}), or null for any other backend. */
    public static CudaBackend of(dev.quadrant.device.Backend be) {
        if (be instanceof CudaBackend c) {
            return c;
        }
        return be instanceof CudaBacked w ? w.cudaBackend() : null;
    }

    /** A new backend on {@code other} (a {@code cuda:N} device) with this one's precision and kernels. */
    public CudaBackend sibling(Device other) {
        return open(other, precision, kernelSource);
    }

    /** A CUDA event of this backend's device (see {@link CudaStreamEvent}). */
    @Override
    public StreamEvent newEvent() {
        return new CudaStreamEvent(this);
    }

    /** A copy stream of its own with pinned staging (see {@link CudaUploadQueue}). */
    @Override
    public UploadQueue newUploadQueue() {
        enter();
        CudaUploadQueue q = new CudaUploadQueue(this);
        uploadQueues.add(q);
        return q;
    }

    /** Timing events on this backend's stream (see {@link CudaTimeline}). */
    @Override
    public Timeline newTimeline() {
        return new CudaTimeline(this);
    }

    /** For a {@code cuda:N} device a {@link #sibling}; for another kind, that kind's one-thread backend. */
    @Override
    public Backend like(Device other) {
        return other.kind() == Device.Kind.CUDA ? sibling(other) : Backend.super.like(other);
    }

    /** Where this backend's kernels are launched (thread-safe; communicators on this device launch there too). */
    public LaunchTarget kernelTarget() { return target; }

    @Override
    public Device device() { return device; }

    /** True at {@link Precision#BF16}: a trainer then passes its bf16 weight copy to {@link #gemm}. */
    @Override
    public boolean gemmRoundsToBf16() { return precision == Precision.BF16; }

    /** The GEMM precision. */
    public Precision precision() { return precision; }

    /**
     * The stream every op is queued on (for communicators and events that must order their work after it), with every
     * op queued so far on it: ops a step graph was holding back are launched first.
     */
    public CudaStream stream() {
        graphs.flush();
        return stream;
    }

    /** What a user of the raw {@link #stream()} calls first (a communicator rank, before each collective). */
    public void flushQueued() {
        graphs.flush();
    }

    /** Number of {@code cudaMalloc} calls so far; a steady-state step adds none. */
    public long deviceMallocCalls() { return allocator.mallocCalls(); }

    @Override
    public String describe() {
        return "cuda (" + info.name() + ", " + info.arch() + ", " + (info.totalMemory() >> 20) + " MiB, " + device
                + ", gemm " + precision.optionName() + ")";
    }

    // ---- plumbing ---------------------------------------------------------------------------------------------

    private void enter() {
        if (closed) {
            throw new IllegalStateException("backend on " + device + " is closed");
        }
        Cuda.setDevice(index);
    }

    /** Byte address of {@code t}'s first element, after checking it lives on this backend's device. */
    private long addr(String op, String name, Tensor t) {
        if (!(t.storage() instanceof CudaStorage) || !t.device().equals(device)) {
            throw new IllegalArgumentException(op + ": " + name + " is on " + t.device() + ", this backend computes on "
                    + device);
        }
        return ((CudaStorage) t.storage()).address() + t.offset() * t.dtype().bytes();
    }

    private long f32(String op, String name, Tensor t) {
        Checks.dtype(op, name, t, DType.FLOAT32);
        return addr(op, name, t);
    }

    private long i32(String op, String name, Tensor t) {
        Checks.dtype(op, name, t, DType.INT32);
        return addr(op, name, t);
    }

    // ---- memory ----------------------------------------------------------------------------------------------

    @Override
    public Tensor allocate(DType dtype, int... shape) {
        enter();
        Tensor t = scratch(dtype, shape);
        memset(((CudaStorage) t.storage()).address(), t.size() * dtype.bytes());
        return t;
    }

    /** A tensor from the allocator without the zero fill (its contents are whatever the block held). */
    private Tensor scratch(DType dtype, int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("allocate: negative dimension in shape " + java.util.Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        long bytes = n * dtype.bytes();
        long[] block = allocator.allocate(bytes);
        return Tensor.root(new CudaStorage(device, bytes, block[0], block[1], allocator), dtype, shape);
    }

    /**
     * How often an upload so far had to wait for the device: its pinned staging slot was still being copied (more
     * than {@value PinnedStaging#SLOTS} uploads in flight), or a slot grew and freeing the old one synchronised. Zero
     * in a steady-state step; {@code HostWaitCounter} counts it with the synchronising Backend calls.
     */
    public long stagingWaits() {
        long n = staging.waits();
        for (CudaUploadQueue q : uploadQueues) {
            n += q.stagingWaits();
        }
        return n;
    }

    @Override
    public void upload(float[] src, int srcOffset, Tensor dst) {
        enter();
        graphs.flush();   // a boundary: it meets the host
        long d = f32("upload", "dst", dst);
        Checks.range("upload", "src", src.length, srcOffset, dst.size());
        int n = dst.intSize();
        if (n == 0) {
            return;
        }
        int slot = staging.acquire(4L * n);
        DevPtr.floats(staging.address(slot), n).put(src, srcOffset, n);
        Cuda.memcpyAsync(d, staging.address(slot), 4L * n, stream);
        staging.submitted(slot);
    }

    @Override
    public void upload(int[] src, int srcOffset, Tensor dst) {
        enter();
        graphs.flush();   // a boundary: it meets the host
        Checks.dtype("upload", "dst", dst, DType.INT32);
        long d = addr("upload", "dst", dst);
        Checks.range("upload", "src", src.length, srcOffset, dst.size());
        int n = dst.intSize();
        if (n == 0) {
            return;
        }
        int slot = staging.acquire(4L * n);
        DevPtr.ints(staging.address(slot), n).put(src, srcOffset, n);
        Cuda.memcpyAsync(d, staging.address(slot), 4L * n, stream);
        staging.submitted(slot);
    }

    @Override
    public void download(Tensor src, float[] dst, int dstOffset) {
        enter();
        graphs.flush();   // a boundary: it meets the host
        long s = f32("download", "src", src);
        Checks.range("download", "dst", dst.length, dstOffset, src.size());
        int n = src.intSize();
        int slot = staging.acquire(4L * n);
        Cuda.memcpyAsync(staging.address(slot), s, 4L * n, stream);
        stream.synchronize();
        DevPtr.floats(staging.address(slot), n).get(dst, dstOffset, n);
    }

    @Override
    public void download(Tensor src, int[] dst, int dstOffset) {
        enter();
        graphs.flush();   // a boundary: it meets the host
        Checks.dtype("download", "src", src, DType.INT32);
        long s = addr("download", "src", src);
        Checks.range("download", "dst", dst.length, dstOffset, src.size());
        int n = src.intSize();
        int slot = staging.acquire(4L * n);
        Cuda.memcpyAsync(staging.address(slot), s, 4L * n, stream);
        stream.synchronize();
        DevPtr.ints(staging.address(slot), n).get(dst, dstOffset, n);
    }

    @Override
    public void synchronize() {
        enter();
        graphs.flush();   // a boundary: it meets the host
        stream.synchronize();
    }

    // ---- BLAS-like ---------------------------------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        multiply(false, transA, transB, alpha, a, b, beta, c);
    }

    @Override
    public void gemmBatched(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        multiply(true, transA, transB, alpha, a, b, beta, c);
    }

    /**
     * {@link #gemm} ({@code batched} false: one matrix per tensor) or {@link #gemmBatched} (3-D tensors, a batch of
     * matrices one after another): the argument checks, the empty and {@code k == 0} cases, then the cuBLAS call in
     * this backend's precision.
     */
    private void multiply(boolean batched, boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta,
                          Tensor c) {
        enter();
        String op = OpChecks.gemmName(batched ? "gemmBatched" : "gemm", transA, transB);
        long pa = batched ? f32(op, "a", a) : operand(op, "a", a);
        long pb = batched ? f32(op, "b", b) : operand(op, "b", b);
        long pc = f32(op, "c", c);
        int[] bmnk = batched ? SequenceOpChecks.gemmBatched(transA, transB, a, b, c) : batchOfOne(
                OpChecks.gemm(transA, transB, a, b, c));
        int batch = bmnk[0];
        int m = bmnk[1];
        int n = bmnk[2];
        int k = bmnk[3];
        if (m == 0 || n == 0 || batch == 0) {
            return;
        }
        if (k == 0) {   // cuBLAS with k == 0 scales C by beta
            if (beta == 0f) {
                memset(pc, 4L * c.size());
            } else {
                kernels.scale(stream, pc, c.size(), beta);
            }
            return;
        }
        int o = batched ? 1 : 0;   // the first matrix dimension
        GemmPlan g = GemmPlan.rowMajor(transA, transB, a.dim(o), a.dim(o + 1), b.dim(o), b.dim(o + 1));
        long strideA = (long) m * k;
        long strideB = (long) k * n;
        long strideC = (long) m * n;
        DType want = precision == Precision.BF16 ? DType.BF16 : DType.FLOAT32;
        // An operand not in the GEMM's input type goes through scratch: fp32 rounded to bf16 (round to nearest even)
        // at --precision bf16, a BF16 operand (a trainer's bf16 weight copy) widened exactly otherwise.
        try (Tensor a2 = a.dtype() == want ? null : scratch(want, a.shape());
             Tensor b2 = b.dtype() == want ? null : scratch(want, b.shape())) {
            long qa = a2 == null ? pa : converted(op, a, pa, a2);
            long qb = b2 == null ? pb : converted(op, b, pb, b2);
            if (want == DType.BF16) {
                cublasGemm(g, batched, batch, alpha, qa, strideA, qb, strideB, Cublas.DataType.BF16,
                        Cublas.Compute.FP32, beta, pc, strideC);
            } else {   // fp32 inputs: IEEE fp32 or TF32 tensor cores
                cublasGemm(g, batched, batch, alpha, qa, strideA, qb, strideB, Cublas.DataType.FLOAT32,
                        precision == Precision.TF32 ? Cublas.Compute.TF32 : Cublas.Compute.FP32, beta, pc, strideC);
            }
        }   // the scratch returns to the allocator; its next user is queued after this GEMM
    }

    /** The address of a gemm operand, FLOAT32 or BF16 (see {@link Backend#gemm}). */
    private long operand(String op, String name, Tensor t) {
        if (t.dtype() != DType.FLOAT32 && t.dtype() != DType.BF16) {
            throw new IllegalArgumentException(op + ": " + name + " is " + t.dtype() + " " + t
                    + ", expected FLOAT32 or BF16");
        }
        return addr(op, name, t);
    }

    /** Converts operand {@code t} (at {@code from}) into {@code to}, of the other of FLOAT32 and BF16; its address. */
    private long converted(String op, Tensor t, long from, Tensor to) {
        long dst = addr(op, "scratch", to);
        if (to.dtype() == DType.BF16) {
            kernels.toBf16(stream, from, dst, t.size());
        } else {
            kernels.fromBf16(stream, from, dst, t.size());
        }
        return dst;
    }

    private static int[] batchOfOne(int[] mnk) {
        return new int[] {1, mnk[0], mnk[1], mnk[2]};
    }

    /**
     * The cuBLAS call for plan {@code g} (B first, A second: see {@link GemmPlan}): {@code sgemm} for one fp32 matrix,
     * {@code gemmEx} for one matrix of another type or compute, {@code gemmStridedBatchedEx} for a batch. Strides in
     * elements.
     */
    private void cublasGemm(GemmPlan g, boolean batched, int batch, float alpha, long pa, long strideA, long pb,
                            long strideB, Cublas.DataType type, Cublas.Compute compute, float beta, long pc,
                            long strideC) {
        if (!graphs.recording()) {
            queueGemm(g, batched, batch, alpha, pa, strideA, pb, strideB, type, compute, beta, pc, strideC);
            return;
        }
        long[] key = {GEMM, g.transFirst() ? 1 : 0, g.transSecond() ? 1 : 0, g.rows(), g.cols(), g.inner(), g.ldFirst(),
            g.ldSecond(), g.ldc(), batched ? 1 : 0, batch, Float.floatToRawIntBits(alpha), pa, strideA, pb, strideB,
            type.ordinal(), compute.ordinal(), Float.floatToRawIntBits(beta), pc, strideC};
        graphs.submit(key, () -> queueGemm(g, batched, batch, alpha, pa, strideA, pb, strideB, type, compute, beta, pc,
                strideC));
    }

    private void queueGemm(GemmPlan g, boolean batched, int batch, float alpha, long pa, long strideA, long pb,
                           long strideB, Cublas.DataType type, Cublas.Compute compute, float beta, long pc,
                           long strideC) {
        if (batched) {
            blas.gemmStridedBatchedEx(g.transFirst(), g.transSecond(), g.rows(), g.cols(), g.inner(), alpha, pb, type,
                    g.ldFirst(), strideB, pa, type, g.ldSecond(), strideA, beta, pc, g.ldc(), strideC, batch, compute);
        } else if (type == Cublas.DataType.FLOAT32 && compute == Cublas.Compute.FP32) {
            blas.sgemm(g.transFirst(), g.transSecond(), g.rows(), g.cols(), g.inner(), alpha, pb, g.ldFirst(), pa,
                    g.ldSecond(), beta, pc, g.ldc());
        } else {
            blas.gemmEx(g.transFirst(), g.transSecond(), g.rows(), g.cols(), g.inner(), alpha, pb, type, g.ldFirst(), pa,
                    type, g.ldSecond(), beta, pc, g.ldc(), compute);
        }
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        enter();
        Checks.sameSize("axpy", "x", x, "y", y);
        kernels.axpy(stream, f32("axpy", "x", x), f32("axpy", "y", y), x.size(), alpha);
    }

    @Override
    public void scale(Tensor x, float alpha) {
        enter();
        kernels.scale(stream, f32("scale", "x", x), x.size(), alpha);
    }

    @Override
    public void fill(Tensor x, float value) {
        enter();
        kernels.fill(stream, f32("fill", "x", x), x.size(), value);
    }

    /**
     * Copies {@code src} into {@code dst} on this backend's stream. {@code dst} must be on this backend's device;
     * {@code src} may be on another GPU, in which case the copy is a peer copy (direct where the two GPUs support
     * peer access, staged by the driver otherwise). The caller orders the copy after the writes to {@code src} that
     * another stream made (see {@link StreamEvent}).
     */
    @Override
    public void copy(Tensor src, Tensor dst) {
        enter();
        Checks.sameSize("copy", "src", src, "dst", dst);
        Checks.dtype("copy", "dst", dst, src.dtype());
        long bytes = src.size() * src.dtype().bytes();
        long d = addr("copy", "dst", dst);
        if (src.device().equals(device) || src.device().kind() != Device.Kind.CUDA) {
            long from = addr("copy", "src", src);
            if (graphs.recording()) {
                graphs.submit(new long[] {COPY, d, from, bytes}, () -> Cuda.memcpyAsync(d, from, bytes, stream));
            } else {
                Cuda.memcpyAsync(d, from, bytes, stream);
            }
        } else {
            graphs.flush();   // a peer copy: a boundary
            if (!(src.storage() instanceof CudaStorage cs)) {
                throw new IllegalArgumentException("copy: src " + src + " is not CUDA memory");
            }
            int peer = src.device().index();
            PeerAccess.enable(index, peer);
            Cuda.memcpyPeerAsync(d, index, cs.address() + src.offset() * src.dtype().bytes(), peer, bytes, stream);
        }
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        enter();
        Checks.sameSize("mul", "a", a, "b", b);
        Checks.sameSize("mul", "a", a, "out", out);
        kernels.mul(stream, f32("mul", "a", a), f32("mul", "b", b), f32("mul", "out", out), a.size());
    }

    // ---- layers ------------------------------------------------------------------------------------------------

    @Override
    public void addBias(Tensor x, Tensor bias) {
        enter();
        Checks.rank2("addBias", "x", x);
        Checks.size("addBias", "bias", bias, x.dim(1), "one per column of x " + Checks.shape(x));
        kernels.addBias(stream, f32("addBias", "x", x), f32("addBias", "bias", bias), x.dim(0), x.dim(1));
    }

    @Override
    public void columnSums(Tensor x, float beta, Tensor out) {
        enter();
        Checks.rank2("columnSums", "x", x);
        Checks.size("columnSums", "out", out, x.dim(1), "one per column of x " + Checks.shape(x));
        kernels.columnSums(stream, f32("columnSums", "x", x), f32("columnSums", "out", out), x.dim(0), x.dim(1), beta);
    }

    @Override
    public void activationForward(Activation f, Tensor x, Tensor y) {
        enter();
        Checks.sameSize("activationForward", "x", x, "y", y);
        kernels.activationForward(stream, f.ordinal(), f32("activationForward", "x", x),
                f32("activationForward", "y", y), x.size());
    }

    @Override
    public void activationBackward(Activation f, Tensor x, Tensor dy, Tensor dx) {
        enter();
        Checks.sameSize("activationBackward", "x", x, "dy", dy);
        Checks.sameSize("activationBackward", "x", x, "dx", dx);
        kernels.activationBackward(stream, f.ordinal(), f32("activationBackward", "x", x),
                f32("activationBackward", "dy", dy), f32("activationBackward", "dx", dx), x.size());
    }

    @Override
    public void dropoutMask(Tensor mask, float p, long seed, long firstIndex) {
        enter();
        OpChecks.dropoutMask(p);
        float keep = (float) (1.0 / (1.0 - p));   // as the CPU backend: one mask, bit for bit, wherever it is made
        long pm = f32("dropoutMask", "mask", mask);
        graphs.eagerly(() -> kernels.dropoutMask(stream, pm, mask.size(), seed, firstIndex, p, keep));   // a seed a step
    }

    // ---- losses and metrics ------------------------------------------------------------------------------------

    private void checkLabels(String op, Tensor logits, Tensor labels) {
        Checks.rank2(op, "logits", logits);
        Checks.dtype(op, "labels", labels, DType.INT32);
        Checks.size(op, "labels", labels, logits.dim(0), "one per row of logits " + Checks.shape(logits));
    }

    // ---- sequence models ----------------------------------------------------------------------------------------

    @Override
    public void embeddingForward(Tensor table, Tensor ids, Tensor out) {
        enter();
        String op = "embeddingForward";
        long pt = f32(op, "table", table);
        long pi = i32(op, "ids", ids);
        long po = f32(op, "out", out);
        SequenceOpChecks.embeddingForward(table, ids, out);
        kernels.embeddingForward(stream, pt, pi, po, ids.size(), table.dim(0), table.dim(1));
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTable) {
        enter();
        String op = "embeddingBackward";
        long pi = i32(op, "ids", ids);
        long pd = f32(op, "dOut", dOut);
        long pt = f32(op, "dTable", dTable);
        SequenceOpChecks.embeddingBackward(ids, dOut, dTable);
        kernels.embeddingBackward(stream, pi, pd, pt, ids.intSize(), dTable.dim(0), dTable.dim(1));
    }

    @Override
    public void layerNormForward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) {
        enter();
        String op = "layerNormForward";
        long px = f32(op, "x", x);
        long pg = f32(op, "gamma", gamma);
        long pb = f32(op, "beta", beta);
        long py = f32(op, "y", y);
        long pm = f32(op, "mean", mean);
        long ps = f32(op, "rstd", rstd);
        SequenceOpChecks.layerNormForward(x, gamma, beta, y, mean, rstd);
        kernels.layerNormForward(stream, px, pg, pb, py, pm, ps, x.dim(0), x.dim(1), eps);
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, Tensor dGamma,
                                  Tensor dBeta) {
        enter();
        String op = "layerNormBackward";
        long px = f32(op, "x", x);
        long pg = f32(op, "gamma", gamma);
        long pm = f32(op, "mean", mean);
        long ps = f32(op, "rstd", rstd);
        long pdy = f32(op, "dy", dy);
        long pdx = f32(op, "dx", dx);
        long pdg = f32(op, "dGamma", dGamma);
        long pdb = f32(op, "dBeta", dBeta);
        SequenceOpChecks.layerNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta);
        int rows = x.dim(0);
        int cols = x.dim(1);
        if (rows == 0) {
            return;
        }
        try (Tensor partials = scratch(DType.FLOAT32, 2 * Kernels.layerNormChunks(rows), cols)) {
            kernels.layerNormBackward(stream, px, pg, pm, ps, pdy, pdx, pdg, pdb, addr(op, "partials", partials), rows,
                    cols);
        }   // the scratch returns to the allocator; its next user is queued after these kernels
    }

    @Override
    public void causalSoftmaxForward(Tensor scores, Tensor probs) {
        enter();
        String op = "causalSoftmaxForward";
        long ps = f32(op, "scores", scores);
        long pp = f32(op, "probs", probs);
        SequenceOpChecks.causalSoftmaxForward(scores, probs);
        kernels.causalSoftmaxForward(stream, ps, pp, attentionRows(op, scores), scores.dim(2));
    }

    @Override
    public void causalSoftmaxBackward(Tensor probs, Tensor dProbs, Tensor dScores) {
        enter();
        String op = "causalSoftmaxBackward";
        long pp = f32(op, "probs", probs);
        long pdp = f32(op, "dProbs", dProbs);
        long pds = f32(op, "dScores", dScores);
        SequenceOpChecks.causalSoftmaxBackward(probs, dProbs, dScores);
        kernels.causalSoftmaxBackward(stream, pp, pdp, pds, attentionRows(op, probs), probs.dim(2));
    }

    /** {@code batch * T} rows of scores {@code [batch, T, T]}, which the kernels index with an int. */
    private static int attentionRows(String op, Tensor scores) {
        long rows = (long) scores.dim(0) * scores.dim(1);
        if (rows > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + Checks.shape(scores) + " has " + rows + " rows of scores, more "
                    + "than the 2^31 - 1 the kernels index: split the batch");
        }
        return (int) rows;
    }

    @Override
    public void permute(Tensor x, int[] perm, Tensor y) {
        enter();
        String op = "permute";
        long px = f32(op, "x", x);
        long py = f32(op, "y", y);
        SequenceOpChecks.permute(x, perm, y);
        kernels.permute(stream, px, py, x.shape(), perm.clone());
    }

    @Override
    public void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor losses) {
        enter();
        checkLabels("softmaxCrossEntropyForward", logits, labels);
        Checks.size("softmaxCrossEntropyForward", "losses", losses, logits.dim(0), "one per row of logits");
        kernels.softmaxXentForward(stream, f32("softmaxCrossEntropyForward", "logits", logits),
                addr("softmaxCrossEntropyForward", "labels", labels), f32("softmaxCrossEntropyForward", "losses", losses),
                logits.dim(0), logits.dim(1));
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor logits, Tensor labels, float scale, Tensor dLogits) {
        enter();
        checkLabels("softmaxCrossEntropyBackward", logits, labels);
        Checks.sameShape("softmaxCrossEntropyBackward", "logits", logits, "dLogits", dLogits);
        kernels.softmaxXentBackward(stream, f32("softmaxCrossEntropyBackward", "logits", logits),
                addr("softmaxCrossEntropyBackward", "labels", labels), scale,
                f32("softmaxCrossEntropyBackward", "dLogits", dLogits), logits.dim(0), logits.dim(1));
    }

    @Override
    public void mseForward(Tensor pred, Tensor target, Tensor losses) {
        enter();
        Checks.rank2("mseForward", "pred", pred);
        Checks.sameSize("mseForward", "pred", pred, "target", target);
        Checks.size("mseForward", "losses", losses, pred.dim(0), "one per row of pred");
        kernels.mseForward(stream, f32("mseForward", "pred", pred), f32("mseForward", "target", target),
                f32("mseForward", "losses", losses), pred.dim(0), pred.dim(1));
    }

    @Override
    public void mseBackward(Tensor pred, Tensor target, float scale, Tensor dPred) {
        enter();
        Checks.rank2("mseBackward", "pred", pred);
        Checks.sameSize("mseBackward", "pred", pred, "target", target);
        Checks.sameSize("mseBackward", "pred", pred, "dPred", dPred);
        kernels.mseBackward(stream, f32("mseBackward", "pred", pred), f32("mseBackward", "target", target), scale,
                f32("mseBackward", "dPred", dPred), pred.size(), pred.dim(1));
    }

    @Override
    public void argmax(Tensor x, Tensor out) {
        enter();
        Checks.rank2("argmax", "x", x);
        Checks.dtype("argmax", "out", out, DType.INT32);
        Checks.size("argmax", "out", out, x.dim(0), "one per row of x");
        kernels.argmaxRows(stream, f32("argmax", "x", x), addr("argmax", "out", out), x.dim(0), x.dim(1));
    }

    @Override
    public void countCorrect(Tensor logits, Tensor labels, Tensor acc) {
        enter();
        checkLabels("countCorrect", logits, labels);
        Checks.size("countCorrect", "acc", acc, 1, "an accumulator");
        kernels.countCorrect(stream, f32("countCorrect", "logits", logits), addr("countCorrect", "labels", labels),
                f32("countCorrect", "acc", acc), logits.dim(0), logits.dim(1));
    }

    @Override
    public void sumInto(Tensor x, Tensor acc) {
        enter();
        Checks.size("sumInto", "acc", acc, 1, "an accumulator");
        long px = f32("sumInto", "x", x);
        long pacc = f32("sumInto", "acc", acc);
        if (x.size() == 0) {
            return;
        }
        long parts = addr("sumInto", "partials", partials);
        kernels.sumPartials(stream, px, x.size(), parts);
        kernels.finishSumInto(stream, parts, Kernels.partialCount(x.size()), pacc);
    }

    @Override
    public double l2Norm(Tensor x) {
        enter();
        graphs.flush();   // a boundary: it meets the host
        long px = f32("l2Norm", "x", x);
        if (x.size() == 0) {
            return 0;
        }
        int count = Kernels.partialCount(x.size());
        kernels.sumSquaresPartials(stream, px, x.size(), addr("l2Norm", "partials", partials));
        int slot = staging.acquire(8L * count);
        Cuda.memcpyAsync(staging.address(slot), addr("l2Norm", "partials", partials), 8L * count, stream);
        stream.synchronize();
        DoubleBuffer d = DevPtr.bytes(staging.address(slot), 8L * count).asByteBuffer().order(ByteOrder.nativeOrder())
                .asDoubleBuffer();
        double s = 0;
        for (int i = 0; i < count; i++) {
            s += d.get(i);
        }
        return Math.sqrt(s);
    }

    @Override
    public boolean allFinite(Tensor x) {
        enter();
        graphs.flush();   // a boundary: it meets the host
        long px = f32("allFinite", "x", x);
        long pf = addr("allFinite", "flag", flag);
        Cuda.memsetAsync(pf, 0, 4, stream);
        kernels.flagNonFinite(stream, px, x.size(), pf);
        int slot = staging.acquire(4);
        Cuda.memcpyAsync(staging.address(slot), pf, 4, stream);
        stream.synchronize();
        return DevPtr.ints(staging.address(slot), 1).get(0) == 0;
    }

    @Override
    public void gradientStats(Tensor grad, float maxNorm, long step, Tensor stats) {
        enter();
        long pg = f32("gradientStats", "grad", grad);
        long ps = f32("gradientStats", "stats", stats);
        OpChecks.gradientStats(grad, step, stats);
        graphs.eagerly(() -> kernels.gradientStats(stream, pg, grad.size(), addr("gradientStats", "partials", partials),
                addr("gradientStats", "firstBad", firstBad), maxNorm, step, ps));   // step changes every step
    }

    @Override
    public void sumFiniteInto(Tensor x, float terms, Tensor acc) {
        enter();
        long px = f32("sumFiniteInto", "x", x);
        long pacc = f32("sumFiniteInto", "acc", acc);
        OpChecks.sumFiniteInto(x, terms, acc);
        long pf = addr("sumFiniteInto", "flag", flag);
        long parts = addr("sumFiniteInto", "partials", partials);
        memset(pf, 4);
        kernels.flagNonFinite(stream, px, x.size(), pf);
        kernels.sumPartials(stream, px, x.size(), parts);
        kernels.finishSumFiniteInto(stream, parts, Kernels.partialCount(x.size()), pf, terms, pacc);
    }

    /** The device address of an update's guard (0 for none), after its checks. */
    private long guard(String op, Tensor param, Tensor guard) {
        OpChecks.guard(op, param, guard);
        return guard == null ? 0 : f32(op, "guard", guard);
    }

    // ---- optimizers --------------------------------------------------------------------------------------------

    /** The address of an update's bf16 copy (0 for none), after checking its dtype and size against {@code param}. */
    private long copyOf(String op, Tensor param, Tensor copy) {
        if (copy == null) {
            return 0;
        }
        Checks.dtype(op, "copy", copy, DType.BF16);
        Checks.sameSize(op, "param", param, "copy", copy);
        return addr(op, "copy", copy);
    }



    @Override
    public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, boolean nesterov,
                          float weightDecay, Tensor guard) {
        sgdUpdate(param, grad, velocity, lr, momentum, nesterov, weightDecay, guard, null);
    }

    /** One kernel: the update and, when {@code copy} is not null, its bf16 copy. */
    @Override
    public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, boolean nesterov,
                          float weightDecay, Tensor guard, Tensor copy) {
        enter();
        long pc = copyOf("sgdUpdate", param, copy);
        long pguard = guard("sgdUpdate", param, guard);
        Checks.sameSize("sgdUpdate", "param", param, "grad", grad);
        long pv = 0;
        if (momentum != 0f) {
            if (velocity == null) {
                throw new IllegalArgumentException("sgdUpdate: velocity is null but momentum is " + momentum);
            }
            Checks.sameSize("sgdUpdate", "param", param, "velocity", velocity);
            pv = f32("sgdUpdate", "velocity", velocity);
        }
        long pp = f32("sgdUpdate", "param", param);
        long pg = f32("sgdUpdate", "grad", grad);
        long velocityAt = pv;
        graphs.eagerly(() -> kernels.sgdUpdate(stream, pp, pg, velocityAt, param.size(), lr, momentum, nesterov,
                weightDecay, pguard, pc));   // the learning rate may follow a schedule
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                           float weightDecay, boolean decoupled, int step, Tensor guard) {
        adamUpdate(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step, guard, null);
    }

    /** One kernel: the update and, when {@code copy} is not null, its bf16 copy. */
    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                           float weightDecay, boolean decoupled, int step, Tensor guard, Tensor copy) {
        enter();
        long pc = copyOf("adamUpdate", param, copy);
        long pguard = guard("adamUpdate", param, guard);
        if (step < 1) {
            throw new IllegalArgumentException("adamUpdate: step counts from 1, got " + step);
        }
        Checks.sameSize("adamUpdate", "param", param, "grad", grad);
        Checks.sameSize("adamUpdate", "param", param, "m", m);
        Checks.sameSize("adamUpdate", "param", param, "v", v);
        long pp = f32("adamUpdate", "param", param);
        long pg = f32("adamUpdate", "grad", grad);
        long pm = f32("adamUpdate", "m", m);
        long pv = f32("adamUpdate", "v", v);
        graphs.eagerly(() -> kernels.adamUpdate(stream, pp, pg, pm, pv, param.size(), lr, beta1, beta2, eps,
                weightDecay, decoupled, step, pguard, pc));   // its step changes every step
    }

    // ---- casts -------------------------------------------------------------------------------------------------

    @Override
    public void castToBf16(Tensor src, Tensor dst) {
        enter();
        Checks.sameSize("castToBf16", "src", src, "dst", dst);
        Checks.dtype("castToBf16", "dst", dst, DType.BF16);
        kernels.toBf16(stream, f32("castToBf16", "src", src), addr("castToBf16", "dst", dst), src.size());
    }

    @Override
    public void castFromBf16(Tensor src, Tensor dst) {
        enter();
        Checks.sameSize("castFromBf16", "src", src, "dst", dst);
        Checks.dtype("castFromBf16", "src", src, DType.BF16);
        kernels.fromBf16(stream, addr("castFromBf16", "src", src), f32("castFromBf16", "dst", dst), src.size());
    }

    // ---- lifetime ----------------------------------------------------------------------------------------------

    /** Waits for queued work, then frees the scratch, the cache, the staging ring, cuBLAS and the stream. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        Cuda.setDevice(index);
        try {
            graphs.close();   // what a graph held back is queued, then the graphs are freed
            stream.synchronize();
        } finally {
            closed = true;
            for (CudaUploadQueue q : uploadQueues) {
                q.close();   // one its owner left open: its copies end before the memory they write goes back
            }
            partials.close();
            if (workspace != null) {
                workspace.close();
            }
            firstBad.close();
            flag.close();
            staging.close();
            allocator.close();
            kernels.close();
            blas.close();
            stream.close();
        }
    }

    // ---- images (channels-last [N, H, W, C]; image.cu) ------------------------------------------------------------
    // Arguments are evaluated left to right: each tensor's dtype and device are checked, then the shared shape rules.

    @Override
    public void im2col(Tensor x, Window2d w, Tensor col) {
        enter();
        kernels.im2col(stream, f32("im2col", "x", x), f32("im2col", "col", col),
                window(ImageOpChecks.im2col(x, w, col)));
    }

    @Override
    public void col2im(Tensor col, Window2d w, Tensor dx) {
        enter();
        kernels.col2im(stream, f32("col2im", "col", col), f32("col2im", "dx", dx),
                window(ImageOpChecks.col2im(col, w, dx)));
    }

    /** The generic im2col convolution ({@link dev.quadrant.device.Im2colConvolution}) on this backend's ops. */
    @Override
    public void conv2dForward(Tensor x, Window2d w, Tensor weight, Tensor bias, Tensor col, Tensor y) {
        dev.quadrant.device.Im2colConvolution.forward(this, x, w, weight, bias, col, y);
    }

    /** The generic backward ({@link dev.quadrant.device.Im2colConvolution}), reading the forward's {@code col}. */
    @Override
    public void conv2dBackward(Tensor x, Tensor dy, Window2d w, Tensor weight, Tensor col, Tensor dcol,
                               Tensor dWeight, Tensor dBias, Tensor dx) {
        dev.quadrant.device.Im2colConvolution.backward(this, x, dy, w, weight, col, dcol, dWeight, dBias, dx);
    }

    @Override
    public void maxPool2dForward(Tensor x, Window2d w, Tensor y, Tensor argmax) {
        enter();
        String op = "maxPool2dForward";
        kernels.maxPool2dForward(stream, f32(op, "x", x), f32(op, "y", y), i32(op, "argmax", argmax),
                window(ImageOpChecks.maxPool2dForward(x, w, y, argmax)));
    }

    @Override
    public void maxPool2dBackward(Tensor dy, Tensor argmax, Window2d w, Tensor dx) {
        enter();
        String op = "maxPool2dBackward";
        kernels.maxPool2dBackward(stream, f32(op, "dy", dy), i32(op, "argmax", argmax), f32(op, "dx", dx),
                window(ImageOpChecks.maxPool2dBackward(dy, argmax, w, dx)));
    }

    @Override
    public void avgPool2dForward(Tensor x, Window2d w, Tensor y) {
        enter();
        kernels.avgPool2dForward(stream, f32("avgPool2dForward", "x", x), f32("avgPool2dForward", "y", y),
                window(ImageOpChecks.avgPool2dForward(x, w, y)));
    }

    @Override
    public void avgPool2dBackward(Tensor dy, Window2d w, Tensor dx) {
        enter();
        kernels.avgPool2dBackward(stream, f32("avgPool2dBackward", "dy", dy), f32("avgPool2dBackward", "dx", dx),
                window(ImageOpChecks.avgPool2dBackward(dy, w, dx)));
    }

    // ---- batch normalisation (batchnorm.cu) -----------------------------------------------------------------

    @Override
    public void centeredSquareSums(Tensor x, Tensor sum, float count, Tensor out) {
        enter();
        String op = "centeredSquareSums";
        long px = f32(op, "x", x);
        long ps = f32(op, "sum", sum);
        long po = f32(op, "out", out);
        BatchNormOpChecks.centeredSquareSums(x, sum, count, out);
        int rows = x.dim(0);
        int cols = x.dim(1);
        try (Tensor partials = scratch(DType.FLOAT32, Kernels.batchNormChunks(rows), cols)) {
            kernels.centeredSquareSums(stream, px, ps, po, addr(op, "partials", partials), rows, cols, count);
        }   // the scratch returns to the allocator; its next user is queued after these kernels
    }

    @Override
    public void batchNormForward(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor gamma, Tensor beta,
                                 Tensor y) {
        enter();
        String op = "batchNormForward";
        long px = f32(op, "x", x);
        long ps = f32(op, "sum", sum);
        long pq = f32(op, "sqSum", sqSum);
        long pg = f32(op, "gamma", gamma);
        long pb = f32(op, "beta", beta);
        long py = f32(op, "y", y);
        BatchNormOpChecks.batchNormForward(x, sum, sqSum, count, eps, gamma, beta, y);
        kernels.batchNormForward(stream, px, ps, pq, pg, pb, py, x.dim(0), x.dim(1), count, eps);
    }

    @Override
    public void batchNormRunningUpdate(Tensor sum, Tensor sqSum, float count, float momentum, Tensor runningMean,
                                       Tensor runningVar) {
        enter();
        String op = "batchNormRunningUpdate";
        long ps = f32(op, "sum", sum);
        long pq = f32(op, "sqSum", sqSum);
        long pm = f32(op, "runningMean", runningMean);
        long pv = f32(op, "runningVar", runningVar);
        BatchNormOpChecks.batchNormRunningUpdate(sum, sqSum, count, momentum, runningMean, runningVar);
        kernels.batchNormRunningUpdate(stream, ps, pq, pm, pv, sum.intSize(), count, momentum);
    }

    @Override
    public void batchNormBackwardSums(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor dy,
                                      Tensor sums) {
        enter();
        String op = "batchNormBackwardSums";
        long px = f32(op, "x", x);
        long ps = f32(op, "sum", sum);
        long pq = f32(op, "sqSum", sqSum);
        long pdy = f32(op, "dy", dy);
        long pout = f32(op, "sums", sums);
        BatchNormOpChecks.batchNormBackwardSums(x, sum, sqSum, count, eps, dy, sums);
        int rows = x.dim(0);
        int cols = x.dim(1);
        try (Tensor partials = scratch(DType.FLOAT32, 2 * Kernels.batchNormChunks(rows), cols)) {
            kernels.batchNormBackwardSums(stream, px, ps, pq, pdy, pout, addr(op, "partials", partials), rows, cols,
                    count, eps);
        }   // as in centeredSquareSums
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor gamma,
                                  Tensor sums, Tensor dy, Tensor dx) {
        enter();
        String op = "batchNormBackward";
        long px = f32(op, "x", x);
        long ps = f32(op, "sum", sum);
        long pq = f32(op, "sqSum", sqSum);
        long pg = f32(op, "gamma", gamma);
        long psums = f32(op, "sums", sums);
        long pdy = f32(op, "dy", dy);
        long pdx = f32(op, "dx", dx);
        BatchNormOpChecks.batchNormBackward(x, sum, sqSum, count, eps, gamma, sums, dy, dx);
        kernels.batchNormBackward(stream, px, ps, pq, pg, psums, pdy, pdx, x.dim(0), x.dim(1), count, eps);
    }

    /** The launch geometry of checked image-op sizes. */
    private static ImageWindow window(ImageOpChecks.Geometry g) {
        Window2d w = g.win();
        return new ImageWindow(g.n(), g.h(), g.w(), g.c(), w.kh(), w.kw(), w.sh(), w.sw(), w.ph(), w.pw());
    }
}
