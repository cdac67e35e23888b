package dev.quadrant.device.reference;

import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Storage;

/**
 * Memory of a {@link ReferenceBackend} tensor: a {@code double[]} for FLOAT32 and BF16 (a BF16 element holds a
 * value bf16 represents exactly), an {@code int[]} for INT32. {@link #bytes()} is the size the tensor would have on
 * a real device ({@code n * dtype.bytes()}), so that views and overlap checks work as on every backend.
 *
 * <p>{@link #close()} drops the arrays; later use throws {@link IllegalStateException}. Not thread-safe.
 */
final class ReferenceStorage extends Storage {
    private final DType dtype;
    private double[] values;
    private int[] ints;

    ReferenceStorage(Device device, DType dtype, int n) {
        super(device, (long) n * dtype.bytes());
        this.dtype = dtype;
        if (dtype == DType.INT32) {
            ints = new int[n];
        } else {
            values = new double[n];
        }
    }

    DType dtype() {
        return dtype;
    }

    boolean isClosed() {
        return values == null && ints == null;
    }

    /** The elements of a FLOAT32 or BF16 storage. */
    double[] values() {
        live();
        return values;
    }

    /** The elements of an INT32 storage. */
    int[] ints() {
        live();
        return ints;
    }

    private void live() {
        if (isClosed()) {
            throw new IllegalStateException("use of a closed reference tensor storage (" + bytes() + " bytes): the "
                    + "root tensor that owned it was closed");
        }
    }

    @Override
    public void close() {
        values = null;
        ints = null;
    }
}
