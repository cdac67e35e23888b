package dev.quadrant.device.cpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;

import dev.quadrant.device.Device;
import dev.quadrant.device.Storage;

/**
 * Host memory behind a CPU {@link dev.quadrant.device.Tensor}: one zero-filled, direct, native-order
 * {@link ByteBuffer} with cached views of every element type (FLOAT32 as a {@link FloatBuffer}, INT32 as an
 * {@link IntBuffer}, BF16 as a {@link ShortBuffer} holding the upper 16 bits of a float32).
 *
 * <p>Views span the whole allocation and are indexed absolutely: element {@code i} of a tensor {@code t} is
 * {@code floats().get((int) t.offset() + i)}. Never change their position or limit.
 *
 * <p>{@link #close()} drops the buffers (the memory returns when the garbage collector frees them, as for every
 * direct buffer) and makes every later accessor throw an {@link IllegalStateException}, so that a use after close
 * fails with a clear message instead of reading stale data. Not thread-safe, like every {@link Storage}.
 *
 * <pre>{@code
 * CpuStorage s = CpuStorage.allocate(Device.cpu(), 4 * 10);
 * s.floats().put(3, 1.5f);
 * }</pre>
 */
public final class CpuStorage extends Storage {
    private ByteBuffer buffer;
    private FloatBuffer floats;
    private IntBuffer ints;
    private ShortBuffer shorts;

    private CpuStorage(Device device, ByteBuffer buffer) {
        super(device, buffer.capacity());
        this.buffer = buffer;
        this.floats = buffer.asFloatBuffer();
        this.ints = buffer.asIntBuffer();
        this.shorts = buffer.asShortBuffer();
    }

    /**
     * A new zero-filled allocation of {@code byteCount} bytes on {@code device} (a CPU device).
     *
     * @throws IllegalArgumentException if {@code byteCount} is negative or above the 2 GiB a direct buffer can hold
     */
    public static CpuStorage allocate(Device device, long byteCount) {
        if (!device.isCpu()) {
            throw new IllegalArgumentException("CpuStorage needs a cpu device, got " + device);
        }
        if (byteCount < 0 || byteCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("CPU tensors hold 0 to " + Integer.MAX_VALUE + " bytes (a direct "
                    + "buffer's limit), asked for " + byteCount + "; split the tensor or use a smaller model");
        }
        // allocateDirect zero-fills.
        return new CpuStorage(device, ByteBuffer.allocateDirect((int) byteCount).order(ByteOrder.nativeOrder()));
    }

    /** The whole allocation as bytes (native order). */
    public ByteBuffer buffer() {
        return live(buffer);
    }

    /** The whole allocation as float32 elements. */
    public FloatBuffer floats() {
        return live(floats);
    }

    /** The whole allocation as int32 elements. */
    public IntBuffer ints() {
        return live(ints);
    }

    /** The whole allocation as bf16 elements (raw 16-bit patterns). */
    public ShortBuffer shorts() {
        return live(shorts);
    }

    /** True once {@link #close()} has run. */
    public boolean isClosed() {
        return buffer == null;
    }

    private <T> T live(T view) {
        if (view == null) {
            throw new IllegalStateException("use of a closed CPU tensor storage (" + bytes() + " bytes on "
                    + device() + "): the root tensor that owned it was closed");
        }
        return view;
    }

    @Override
    public void close() {
        buffer = null;
        floats = null;
        ints = null;
        shorts = null;
    }
}
