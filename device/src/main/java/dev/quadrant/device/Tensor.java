package dev.quadrant.device;

import java.util.Arrays;

/**
 * A row-major, contiguous region of one {@link Storage}: element offset, shape and element type. Views share the
 * storage and cost nothing; only the root tensor (the one {@link Backend#allocate} returned) frees it on
 * {@link #close()}.
 *
 * <pre>{@code
 * Tensor flat = backend.allocate(DType.FLOAT32, 1000);
 * Tensor w = flat.view(0, 20, 40);   // [20, 40] at element 0
 * Tensor b = flat.view(800, 40);     // [40] at element 800
 * }</pre>
 *
 * <p>Immutable handle; the memory it points at is not synchronised.
 */
public final class Tensor implements AutoCloseable {
    private final Storage storage;
    private final DType dtype;
    private final long offset;
    private final int[] shape;
    private final long size;
    private final boolean owner;

    /** For backends: wraps a fresh storage as a root tensor. */
    public static Tensor root(Storage storage, DType dtype, int... shape) {
        return new Tensor(storage, dtype, 0, shape.clone(), true);
    }

    private Tensor(Storage storage, DType dtype, long offset, int[] shape, boolean owner) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        if (offset < 0 || (offset + n) * dtype.bytes() > storage.bytes()) {
            throw new IllegalArgumentException("view of " + n + " " + dtype + " elements at offset " + offset
                    + " does not fit in a storage of " + storage.bytes() + " bytes");
        }
        this.storage = storage;
        this.dtype = dtype;
        this.offset = offset;
        this.shape = shape;
        this.size = n;
        this.owner = owner;
    }

    /** A view of {@code shape} starting {@code elementOffset} elements into this tensor. */
    public Tensor view(long elementOffset, int... shape) {
        return new Tensor(storage, dtype, offset + elementOffset, shape.clone(), false);
    }

    /** The same elements with another shape of equal size. */
    public Tensor reshape(int... newShape) {
        Tensor t = new Tensor(storage, dtype, offset, newShape.clone(), false);
        if (t.size != size) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " (" + size
                    + " elements) to " + Arrays.toString(newShape));
        }
        return t;
    }

    /** Rows {@code [from, to)} of a tensor with at least one dimension. */
    public Tensor rows(int from, int to) {
        if (shape.length == 0 || from < 0 || to < from || to > shape[0]) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") out of range for shape " + Arrays.toString(shape));
        }
        long rowSize = shape[0] == 0 ? 0 : size / shape[0];
        int[] s = shape.clone();
        s[0] = to - from;
        return new Tensor(storage, dtype, offset + from * rowSize, s, false);
    }

    /** Flat 1-D view of elements {@code [from, from + length)}. */
    public Tensor slice(long from, int length) {
        if (from < 0 || length < 0 || from + length > size) {
            throw new IllegalArgumentException("slice [" + from + ", " + (from + length) + ") out of range for " + size + " elements");
        }
        return new Tensor(storage, dtype, offset + from, new int[] {length}, false);
    }

    public Storage storage() { return storage; }

    public Device device() { return storage.device(); }

    public DType dtype() { return dtype; }

    /** Offset of the first element in the storage, in elements of {@link #dtype()}. */
    public long offset() { return offset; }

    public int[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public int dim(int i) { return shape[i]; }

    /** Number of elements. */
    public long size() { return size; }

    /** Size as an int, for element counts that index Java arrays. */
    public int intSize() { return Math.toIntExact(size); }

    /** True if this tensor frees its storage on {@link #close()}. */
    public boolean isRoot() { return owner; }

    /** Frees the storage if this is the root tensor; a no-op on views. */
    @Override
    public void close() {
        if (owner) {
            storage.close();
        }
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + " " + dtype + " @" + offset + " on " + storage.device();
    }
}
