package dev.quadrant.device.cuda;

import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;

/**
 * Device addresses of CUDA tensors, for code outside this package that hands them to native calls (the CUDA
 * communicators). Stateless and thread-safe.
 *
 * <pre>{@code
 * long base = CudaTensors.baseAddress(grads);                 // element 0 of the storage
 * long at = base + 4L * grads.offset();                       // == CudaTensors.address(grads)
 * }</pre>
 */
public final class CudaTensors {
    private CudaTensors() {}

    /** True if {@code t} lives in CUDA device memory. */
    public static boolean isCuda(Tensor t) {
        return t.storage() instanceof CudaStorage;
    }

    /** Byte address of the first byte of {@code t}'s storage (not of {@code t}'s first element). */
    public static long baseAddress(Tensor t) {
        return storage(t).address();
    }

    /** Byte address of {@code t}'s first element. */
    public static long address(Tensor t) {
        return storage(t).address() + t.offset() * t.dtype().bytes();
    }

    /** The GPU number of {@code t}'s device. */
    public static int deviceIndex(Tensor t) {
        storage(t);
        return t.device().index();
    }

    private static CudaStorage storage(Tensor t) {
        if (!(t.storage() instanceof CudaStorage s) || t.device().kind() != Device.Kind.CUDA) {
            throw new IllegalArgumentException("not a CUDA tensor: " + t);
        }
        return s;
    }
}
