package dev.quadrant.bindings.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Wraps a raw address (device memory from {@code cudaMalloc}, pinned host memory) as a JavaCPP pointer for one native
 * call. The wrappers own nothing: closing or collecting them never frees the memory.
 *
 * <p>The offset trap: on a {@code void*} parameter JavaCPP adds {@code position()} in <em>bytes</em>, on a
 * {@code float*} one in floats. Quadrant never sets a position: callers add the byte offset to the address
 * ({@code base + 4L * elementOffset}) and wrap the result.
 *
 * <p>Stateless and thread-safe. Example: {@code Cuda.memsetAsync(base + 4L * 256, 0, 1024, stream)}.
 */
public final class DevPtr {
    private DevPtr() {}

    /** An untyped view at {@code address}; position, limit and capacity count bytes. */
    public static BytePointer bytes(long address, long sizeBytes) {
        return new Raw(address, sizeBytes);
    }

    /** A {@code float*} view at {@code address} of {@code count} floats. */
    public static FloatPointer floats(long address, long count) {
        return new RawFloat(address, count);
    }

    /** An {@code int*} view at {@code address} of {@code count} ints. */
    public static IntPointer ints(long address, long count) {
        return new RawInt(address, count);
    }

    /** The address a native call receives for {@code p}: {@code address() + position() * sizeof()}. */
    public static long effectiveAddress(Pointer p) {
        return p.address() + p.position() * p.sizeof();
    }

    // BytePointer, not Pointer: a direct Pointer subclass has sizeof() == 8, which would scale positions by 8.
    // The constructor parameters are not called "address": inside the subclass the inherited field would shadow them.
    private static final class Raw extends BytePointer {
        Raw(long addr, long n) {
            address = addr;
            limit = n;
            capacity = n;
        }
    }

    private static final class RawFloat extends FloatPointer {
        RawFloat(long addr, long n) {
            address = addr;
            limit = n;
            capacity = n;
        }
    }

    private static final class RawInt extends IntPointer {
        RawInt(long addr, long n) {
            address = addr;
            limit = n;
            capacity = n;
        }
    }
}
