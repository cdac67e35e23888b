package dev.quadrant.device.cpu;

import java.util.Arrays;

import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;

/**
 * Argument checks of {@link CpuBackend}, with messages that name the op, the argument, what was seen and what was
 * expected, e.g. {@code "gemm(transA=false, transB=false): b has shape [3, 5], expected [4, 5] (b is [k, n] with k = 4 from a, n = 5 from c)"}.
 * Every failure is an {@link IllegalArgumentException}. Stateless.
 */
final class Checks {
    private Checks() {}

    /** The tensor is non-null, lives on {@code device} in a live CPU storage, and has {@code dtype}. */
    static CpuStorage storage(String op, String name, Tensor t, DType dtype, Device device) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null");
        }
        if (!(t.storage() instanceof CpuStorage s)) {
            throw new IllegalArgumentException(op + ": " + name + " is on " + t.device()
                    + ", this backend computes on " + device + " (copy it to the host first)");
        }
        if (!t.device().equals(device)) {
            throw new IllegalArgumentException(op + ": " + name + " is on " + t.device() + ", expected " + device);
        }
        if (s.isClosed()) {
            throw new IllegalStateException(op + ": " + name + " (" + t + ") uses a closed storage: "
                    + "its root tensor was closed");
        }
        if (dtype != null && t.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": " + name + " has dtype " + t.dtype() + ", expected " + dtype);
        }
        return s;
    }

    /** The tensor has exactly {@code expected} as its shape; {@code why} explains where the numbers come from. */
    static void shape(String op, String name, Tensor t, String why, int... expected) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(expected) + (why.isEmpty() ? "" : " (" + why + ")"));
        }
    }

    /** The tensor is 2-D. */
    static void matrix(String op, String name, Tensor t) {
        if (t.rank() != 2) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected a 2-D [rows, cols] tensor");
        }
    }

    /** The tensor holds {@code expected} elements (any shape); {@code why} explains the number. */
    static void size(String op, String name, Tensor t, long expected, String why) {
        if (t.size() != expected) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Arrays.toString(t.shape())
                    + " (" + t.size() + " elements), expected " + expected + " elements (" + why + ")");
        }
    }

    /** The two tensors hold the same number of elements. */
    static void sameSize(String op, String name, Tensor t, String refName, Tensor ref) {
        size(op, name, t, ref.size(), "as many as " + refName + " " + Arrays.toString(ref.shape()));
    }

    /**
     * {@code a} and {@code b} must not share a byte of memory; when {@code exactAliasOk}, they may also be the very
     * same elements (same storage, offset, size and dtype), which element-wise ops handle in place.
     */
    static void noOverlap(String op, String aName, Tensor a, String bName, Tensor b, boolean exactAliasOk) {
        if (a.storage() != b.storage()) {
            return;
        }
        long aFrom = a.offset() * a.dtype().bytes();
        long aTo = aFrom + a.size() * a.dtype().bytes();
        long bFrom = b.offset() * b.dtype().bytes();
        long bTo = bFrom + b.size() * b.dtype().bytes();
        if (aFrom >= bTo || bFrom >= aTo || a.size() == 0 || b.size() == 0) {
            return;
        }
        if (exactAliasOk && aFrom == bFrom && aTo == bTo && a.dtype() == b.dtype()) {
            return;
        }
        throw new IllegalArgumentException(op + ": " + aName + " (bytes " + aFrom + ".." + aTo + ") and " + bName
                + " (bytes " + bFrom + ".." + bTo + ") overlap in one storage"
                + (exactAliasOk ? "; they may be the same tensor but not partly overlap" : "; use separate buffers"));
    }

    /** A host array holds {@code count} elements from {@code offset}. */
    static void hostRange(String op, String name, int length, int offset, long count) {
        if (offset < 0 || offset + count > length) {
            throw new IllegalArgumentException(op + ": " + name + " has " + length + " elements, expected at least "
                    + "offset " + offset + " + " + count + " = " + (offset + count));
        }
    }
}
