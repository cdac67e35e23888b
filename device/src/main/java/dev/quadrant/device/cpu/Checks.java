package dev.quadrant.device.cpu;

import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;

/**
 * The argument check only {@link CpuBackend} can make: that a tensor lives in a live CPU storage on its device, with
 * the dtype the op takes. Shapes, sizes and overlaps are the rules every backend shares, in
 * {@link dev.quadrant.device.checks.OpChecks}. Every failure is an {@link IllegalArgumentException} (an
 * {@link IllegalStateException} for a closed storage). Stateless.
 */
final class Checks {
    private Checks() {}

    /** The tensor is non-null, lives on {@code device} in a live CPU storage, and has {@code dtype}. */
    static CpuStorage storage(String op, String name, Tensor t, DType dtype, Device device) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null");
        }
        if (!(t.storage() instanceof CpuStorage s)) {
            throw new IllegalArgumentException(op + ": " + name + " is on " + t.device() + " in a "
                    + t.storage().getClass().getSimpleName() + ", this backend computes on " + device
                    + " in a CpuStorage (copy it to the host through its own backend first)");
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
}
