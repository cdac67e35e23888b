package dev.quadrant.bindings.cuda;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The {@code void** kernelParams} array of {@code cuLaunchKernel}, allocated once and refilled for every launch:
 * one 8-byte slot per argument and an array of pointers to the slots. A 4-byte argument ({@code int},
 * {@code float}) occupies the low half of its slot (little-endian), which is where the driver reads it.
 *
 * <p>Not thread-safe: one instance per launching thread (a backend owns its own). Reusable right after
 * {@link Cuda#launch} returns, because the driver copies the arguments at launch.
 *
 * <pre>{@code
 * KernelArgs a = new KernelArgs(8);
 * a.clear().ptr(x).ptr(y).i32(n).f32(alpha);
 * Cuda.launch(fn, grid, 1, 256, 1, 0, stream, a);
 * }</pre>
 */
public final class KernelArgs implements AutoCloseable {
    private final int capacity;
    private final LongPointer values;
    private final PointerPointer<Pointer> pointers;   // void*[capacity]: pointers[i] = &values[i]
    private int count;

    /** Room for {@code capacity} arguments. */
    public KernelArgs(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
        this.values = new LongPointer(capacity);
        this.pointers = new PointerPointer<>(capacity);
        long base = values.address();
        for (int i = 0; i < capacity; i++) {
            pointers.put(i, DevPtr.bytes(base + 8L * i, 8));
        }
    }

    /** Forgets the arguments set so far. */
    public KernelArgs clear() {
        count = 0;
        return this;
    }

    /** Appends a device address ({@code T*}). */
    public KernelArgs ptr(long address) {
        return put(address);
    }

    /** Appends a 64-bit integer ({@code long long}). */
    public KernelArgs i64(long v) {
        return put(v);
    }

    /** Appends a 32-bit integer ({@code int}). */
    public KernelArgs i32(int v) {
        return put(v & 0xFFFFFFFFL);
    }

    /** Appends a {@code float}. */
    public KernelArgs f32(float v) {
        return put(Float.floatToRawIntBits(v) & 0xFFFFFFFFL);
    }

    /** Appends a raw 8-byte slot as {@link #slot} returned it (to replay a recorded launch). */
    public KernelArgs raw(long slot) {
        return put(slot);
    }

    private KernelArgs put(long raw) {
        if (count == capacity) {
            throw new IllegalStateException("more than " + capacity + " kernel arguments");
        }
        values.put(count++, raw);
        return this;
    }

    /** Number of arguments set. */
    public int count() { return count; }

    /** The raw 8-byte slot {@code i} (for tests). */
    public long slot(int i) { return values.get(i); }

    /**
     * The {@code void**} to pass as {@code kernelParams}: an array of addresses, one per slot. (It must go to the
     * {@code PointerPointer} overload of {@code cuLaunchKernel}: the {@code Pointer} overload is {@code @ByPtrPtr}
     * and would pass the address of a temporary holding this array's address.)
     */
    public PointerPointer<Pointer> pointers() { return pointers; }

    /** The address stored in {@code kernelParams[i]} (for tests). */
    public long pointerSlot(int i) { return pointers.get(i).address(); }

    @Override
    public void close() {
        pointers.close();
        values.close();
    }
}
