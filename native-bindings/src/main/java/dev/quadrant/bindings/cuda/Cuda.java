package dev.quadrant.bindings.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * Checked calls into the CUDA runtime and driver API: devices, memory, copies, peer access, kernel launch. Streams,
 * events, graphs and modules are objects of their own ({@link CudaStream}, {@link CudaEvent}, {@link CudaGraph},
 * {@link CudaModule}).
 *
 * <p>Addresses are {@code long}s; byte offsets are added by the caller. Most calls act on the calling thread's
 * current device ({@link #setDevice}), as in CUDA. Call only after {@link CudaProbe#get()} reported CUDA usable.
 * Thread-safe as far as CUDA is (the current device is per thread).
 *
 * <pre>{@code
 * Cuda.setDevice(0);
 * long buf = Cuda.malloc(4L * n);
 * Cuda.memsetAsync(buf, 0, 4L * n, stream);
 * Cuda.free(buf);
 * }</pre>
 */
public final class Cuda {
    private Cuda() {}

    // ---- checking ------------------------------------------------------------------------------------------

    /** Throws a {@link CudaException} unless {@code status} is {@code cudaSuccess}. */
    public static void check(int status, String call) {
        if (status != cudaSuccess) {
            throw error(status, call, currentDeviceOrNone());
        }
    }

    /** Throws a {@link CudaException} unless the driver API {@code result} is {@code CUDA_SUCCESS}. */
    public static void checkDriver(int result, String call) {
        if (result != CUDA_SUCCESS) {
            String name = "CUresult " + result;
            String msg = "";
            BytePointer p = new BytePointer();   // receives a pointer to a static string (@ByPtrPtr); owns nothing
            if (cuGetErrorName(result, p) == CUDA_SUCCESS && !p.isNull()) {
                name = p.getString();
            }
            p = new BytePointer();
            if (cuGetErrorString(result, p) == CUDA_SUCCESS && !p.isNull()) {
                msg = p.getString();
            }
            throw new CudaException("CUDA driver", call, result, name, msg, currentDeviceOrNone(), hint(result));
        }
    }

    static CudaException error(int status, String call, int device) {
        return new CudaException("CUDA runtime", call, status, cudaGetErrorName(status).getString(),
                cudaGetErrorString(status).getString(), device, hint(status));
    }

    /** What to try next for a runtime or driver status (the common codes are the same in both APIs). */
    static String hint(int status) {
        switch (status) {
            case cudaErrorMemoryAllocation:
                return "the GPU is out of memory: lower the batch size or the number of replicas on this GPU";
            case cudaErrorInsufficientDriver:
                return "the NVIDIA driver is older than this CUDA runtime: update the driver, or build with -Dcuda12";
            case cudaErrorNoDevice:
                return "no CUDA device is visible: check nvidia-smi and CUDA_VISIBLE_DEVICES";
            case cudaErrorInvalidDevice:
                return "no such device: `quadrant devices` lists the GPUs, check --devices and CUDA_VISIBLE_DEVICES";
            case cudaErrorNoKernelImageForDevice:
            case cudaErrorUnsupportedPtxVersion:
                return "the kernel image does not match this GPU or driver: delete the kernel cache "
                        + "(~/.cache/quadrant/kernels) and retry; update the driver if it persists";
            case cudaErrorIllegalAddress:
            case cudaErrorLaunchFailure:
                return "a kernel failed and the CUDA context is no longer usable: restart the process; rerun with "
                        + "CUDA_LAUNCH_BLOCKING=1 to find the op that failed, and report it";
            case cudaErrorPeerAccessAlreadyEnabled:
                return "peer access was already enabled (harmless)";
            default:
                return "see the CUDA runtime documentation for this status";
        }
    }

    private static int currentDeviceOrNone() {
        int[] d = {CudaException.NO_DEVICE};
        return cudaGetDevice(d) == cudaSuccess ? d[0] : CudaException.NO_DEVICE;
    }

    // ---- devices ---------------------------------------------------------------------------------------------

    /** Number of CUDA devices. */
    public static int deviceCount() {
        int[] n = {0};
        check(cudaGetDeviceCount(n), "cudaGetDeviceCount");
        return n[0];
    }

    /** Makes {@code device} current for the calling thread. */
    public static void setDevice(int device) {
        int s = cudaSetDevice(device);
        if (s != cudaSuccess) {
            throw error(s, "cudaSetDevice(" + device + ")", device);
        }
    }

    /** The calling thread's current device. */
    public static int getDevice() {
        int[] d = {0};
        check(cudaGetDevice(d), "cudaGetDevice");
        return d[0];
    }

    /** Waits for all work on the current device. */
    public static void deviceSynchronize() {
        check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    }

    /** CUDA version the driver supports, {@code 1000 * major + 10 * minor}. */
    public static int driverVersion() {
        int[] v = {0};
        check(cudaDriverGetVersion(v), "cudaDriverGetVersion");
        return v[0];
    }

    /** Version of the loaded CUDA runtime, {@code 1000 * major + 10 * minor}. */
    public static int runtimeVersion() {
        int[] v = {0};
        check(cudaRuntimeGetVersion(v), "cudaRuntimeGetVersion");
        return v[0];
    }

    /** An integer device attribute ({@code cudaDevAttr*}). */
    public static int attribute(int device, int attribute) {
        int[] v = {0};
        int s = cudaDeviceGetAttribute(v, attribute, device);
        if (s != cudaSuccess) {
            throw error(s, "cudaDeviceGetAttribute(" + attribute + ")", device);
        }
        return v[0];
    }

    /** Static facts about one device. */
    public record DeviceInfo(int index, String name, int major, int minor, long totalMemory, int multiprocessors,
                             int pciBus) {
        /** {@code "sm_90"}: the architecture name NVRTC compiles for. */
        public String arch() { return "sm_" + major + minor; }
    }

    /** Name, compute capability, memory and multiprocessor count of {@code device}. */
    public static DeviceInfo deviceInfo(int device) {
        try (cudaDeviceProp p = new cudaDeviceProp()) {
            int s = cudaGetDeviceProperties(p, device);
            if (s != cudaSuccess) {
                throw error(s, "cudaGetDeviceProperties(" + device + ")", device);
            }
            return new DeviceInfo(device, p.name().getString(), p.major(), p.minor(), p.totalGlobalMem(),
                    p.multiProcessorCount(), p.pciBusID());
        }
    }

    /** {@code {free, total}} bytes on the current device. */
    public static long[] memoryInfo() {
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
            check(cudaMemGetInfo(free, total), "cudaMemGetInfo");
            return new long[] {free.get(), total.get()};
        }
    }

    // ---- memory ----------------------------------------------------------------------------------------------

    /** Allocates {@code bytes} of device memory on the current device; free with {@link #free}. */
    public static long malloc(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cudaMalloc size must be >= 0, got " + bytes);
        }
        Pointer p = new Pointer();
        int s = cudaMalloc(p, Math.max(bytes, 1));
        if (s != cudaSuccess) {
            throw new CudaException("CUDA runtime", "cudaMalloc(" + bytes + " bytes)", s, cudaGetErrorName(s).getString(),
                    cudaGetErrorString(s).getString(), currentDeviceOrNone(), hint(s));
        }
        return p.address();
    }

    /** Frees device memory from {@link #malloc}; 0 is ignored. */
    public static void free(long address) {
        if (address != 0) {
            check(cudaFree(DevPtr.bytes(address, 0)), "cudaFree");
        }
    }

    /** Allocates pinned (page-locked) host memory; free with {@link #freeHost}. */
    public static long mallocHost(long bytes) {
        Pointer p = new Pointer();
        check(cudaMallocHost(p, Math.max(bytes, 1)), "cudaMallocHost(" + bytes + " bytes)");
        return p.address();
    }

    /** Frees pinned host memory from {@link #mallocHost}; 0 is ignored. */
    public static void freeHost(long address) {
        if (address != 0) {
            check(cudaFreeHost(DevPtr.bytes(address, 0)), "cudaFreeHost");
        }
    }

    /** Queues a copy of {@code bytes} on {@code stream}; the direction is inferred from the addresses (UVA). */
    public static void memcpyAsync(long dst, long src, long bytes, CudaStream stream) {
        if (bytes > 0) {
            check(cudaMemcpyAsync(DevPtr.bytes(dst, bytes), DevPtr.bytes(src, bytes), bytes, cudaMemcpyDefault,
                    stream.handle()), "cudaMemcpyAsync(" + bytes + " bytes)");
        }
    }

    /** Queues {@code memset(dst, value, bytes)} on {@code stream}. */
    public static void memsetAsync(long dst, int value, long bytes, CudaStream stream) {
        if (bytes > 0) {
            check(cudaMemsetAsync(DevPtr.bytes(dst, bytes), value, bytes, stream.handle()),
                    "cudaMemsetAsync(" + bytes + " bytes)");
        }
    }

    /** Queues a copy between two devices on {@code stream} (works with or without peer access). */
    public static void memcpyPeerAsync(long dst, int dstDevice, long src, int srcDevice, long bytes, CudaStream stream) {
        if (bytes > 0) {
            check(cudaMemcpyPeerAsync(DevPtr.bytes(dst, bytes), dstDevice, DevPtr.bytes(src, bytes), srcDevice, bytes,
                    stream.handle()), "cudaMemcpyPeerAsync(cuda:" + srcDevice + " -> cuda:" + dstDevice + ")");
        }
    }

    /** True if {@code device} can address {@code peer}'s memory directly. */
    public static boolean canAccessPeer(int device, int peer) {
        int[] can = {0};
        check(cudaDeviceCanAccessPeer(can, device, peer), "cudaDeviceCanAccessPeer(" + device + ", " + peer + ")");
        return can[0] != 0;
    }

    /** Lets the current device address {@code peer}'s memory; already enabled is fine. */
    public static void enablePeerAccess(int peer) {
        int s = cudaDeviceEnablePeerAccess(peer, 0);
        if (s == cudaErrorPeerAccessAlreadyEnabled) {
            cudaGetLastError();   // clear the error so that the next call does not report it
            return;
        }
        check(s, "cudaDeviceEnablePeerAccess(" + peer + ")");
    }

    // ---- kernels ---------------------------------------------------------------------------------------------

    /**
     * Launches {@code fn} on {@code stream} with a {@code grid} of blocks of {@code block} threads (x, y) and the
     * arguments in {@code args} (which may be reused as soon as this returns: the driver copies them).
     */
    public static void launch(CudaFunction fn, int gridX, int gridY, int blockX, int blockY, int sharedBytes,
                              CudaStream stream, KernelArgs args) {
        int r = cuLaunchKernel(fn.handle(), gridX, gridY, 1, blockX, blockY, 1, sharedBytes, stream.handle(),
                args.pointers(), (org.bytedeco.javacpp.PointerPointer<?>) null);
        if (r != CUDA_SUCCESS) {
            checkDriver(r, "cuLaunchKernel(" + fn.name() + ", grid " + gridX + "x" + gridY + ", block " + blockX + "x"
                    + blockY + ")");
        }
    }

    /** True if the process can resolve the C symbol {@code name} (a function newer than CUDA 13.0, say). */
    public static boolean hasSymbol(String name) {
        Pointer p = org.bytedeco.javacpp.Loader.addressof(name);
        return p != null && !p.isNull();
    }
}
