package dev.quadrant.bindings.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import java.util.HashMap;
import java.util.Map;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.javacpp.BytePointer;

/**
 * A loaded kernel image (CUBIN, fatbin or NUL-terminated PTX) in the current device's primary context, through the
 * driver API. Functions are looked up by their {@code extern "C"} name and cached.
 *
 * <p>A module belongs to one device. Looking up functions is synchronised; {@link #close()} must not race with
 * launches.
 *
 * <pre>{@code
 * Cuda.setDevice(0);
 * try (CudaModule m = CudaModule.load(cubin)) { CudaFunction f = m.function("saxpy"); ... }
 * }</pre>
 */
public final class CudaModule implements AutoCloseable {
    private CUmod_st handle;
    private final int device;
    private final Map<String, CudaFunction> functions = new HashMap<>();

    private CudaModule(CUmod_st handle, int device) {
        this.handle = handle;
        this.device = device;
    }

    /** Loads {@code image} into the current device (the driver copies it). */
    public static CudaModule load(byte[] image) {
        int device = Cuda.getDevice();
        CUmod_st m = new CUmod_st();
        try (BytePointer img = new BytePointer(image)) {
            Cuda.checkDriver(cuModuleLoadData(m, img), "cuModuleLoadData(" + image.length + " bytes)");
        }
        return new CudaModule(m, device);
    }

    /** The device the module was loaded on. */
    public int device() { return device; }

    /** The kernel named {@code name}. */
    public synchronized CudaFunction function(String name) {
        if (handle == null) {
            throw new IllegalStateException("module is closed");
        }
        CudaFunction f = functions.get(name);
        if (f == null) {
            CUfunc_st h = new CUfunc_st();
            Cuda.checkDriver(cuModuleGetFunction(h, handle, name), "cuModuleGetFunction(" + name + ")");
            f = new CudaFunction(name, h);
            functions.put(name, f);
        }
        return f;
    }

    /** Unloads the module; its functions become invalid. Idempotent. */
    @Override
    public synchronized void close() {
        if (handle != null) {
            CUmod_st h = handle;
            handle = null;
            functions.clear();
            Cuda.checkDriver(cuModuleUnload(h), "cuModuleUnload");
        }
    }
}
