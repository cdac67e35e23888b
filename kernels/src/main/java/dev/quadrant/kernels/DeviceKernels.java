package dev.quadrant.kernels;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaException;
import dev.quadrant.bindings.cuda.CudaFunction;
import dev.quadrant.bindings.cuda.CudaModule;
import dev.quadrant.bindings.cuda.Nvrtc;

/**
 * Every kernel family compiled for one device and loaded into its primary context, with each {@link KernelSpec}'s
 * function resolved up front (a missing kernel fails here, not at the first launch).
 *
 * <p>{@link #forDevice(int)} loads once per device per JVM and shares the result: modules are immutable once loaded
 * and may be used by any thread that has the device current. Thread-safe.
 *
 * <pre>{@code
 * DeviceKernels dk = DeviceKernels.forDevice(0);
 * Kernels k = new Kernels(dk);
 * }</pre>
 */
public final class DeviceKernels {
    private static final Map<Integer, DeviceKernels> LOADED = new ConcurrentHashMap<>();

    private final int device;
    private final Cuda.DeviceInfo info;
    private final KernelCompiler.Target target;
    private final Map<KernelFamily, CudaModule> modules;
    private final Map<String, CudaFunction> functions;
    private final Map<KernelFamily, KernelCompiler.Image> images;

    private DeviceKernels(int device, Cuda.DeviceInfo info, KernelCompiler.Target target,
                          Map<KernelFamily, CudaModule> modules, Map<String, CudaFunction> functions,
                          Map<KernelFamily, KernelCompiler.Image> images) {
        this.device = device;
        this.info = info;
        this.target = target;
        this.modules = modules;
        this.functions = functions;
        this.images = images;
    }

    /** The kernels of {@code device}, compiled (or read from the cache) and loaded on first use. */
    public static DeviceKernels forDevice(int device) {
        return LOADED.computeIfAbsent(device, d -> load(d, KernelCompiler.withNvrtc()));
    }

    /** Compiles and loads every family for {@code device} with {@code compiler}; not cached in this class. */
    public static DeviceKernels load(int device, KernelCompiler compiler) {
        Cuda.setDevice(device);
        Cuda.DeviceInfo info = Cuda.deviceInfo(device);
        KernelCompiler.Target target = KernelCompiler.Target.choose(info.major(), info.minor(), Nvrtc.supportedArchs());
        Map<KernelFamily, CudaModule> modules = new EnumMap<>(KernelFamily.class);
        Map<KernelFamily, KernelCompiler.Image> images = new EnumMap<>(KernelFamily.class);
        for (KernelFamily f : KernelFamily.values()) {
            KernelCompiler.Image img = compiler.compile(f, target);
            CudaModule m;
            try {
                m = CudaModule.load(loadable(img.bytes(), target));
            } catch (CudaException e) {
                if (!img.fromCache()) {
                    throw e;
                }
                // a stale or damaged cache entry: compile afresh (this also rewrites the entry)
                deleteQuietly(img.cacheFile());
                img = compiler.compileFresh(f, target);
                m = CudaModule.load(loadable(img.bytes(), target));
            }
            modules.put(f, m);
            images.put(f, img);
        }
        Map<String, CudaFunction> functions = new HashMap<>();
        for (KernelSpec k : Kernels.specs()) {
            functions.put(k.name(), modules.get(k.family()).function(k.name()));
        }
        return new DeviceKernels(device, info, target, modules, functions, images);
    }

    /** PTX must end with a NUL byte for cuModuleLoadData; NVRTC's PTX already does, a cached file too. */
    private static byte[] loadable(byte[] image, KernelCompiler.Target target) {
        if (target.cubin() || (image.length > 0 && image[image.length - 1] == 0)) {
            return image;
        }
        return java.util.Arrays.copyOf(image, image.length + 1);
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (java.io.IOException | SecurityException e) {
                // the fresh compile overwrites it anyway
            }
        }
    }

    public int device() { return device; }

    /** The device's name, architecture and multiprocessor count. */
    public Cuda.DeviceInfo info() { return info; }

    /** What the kernels were compiled for. */
    public KernelCompiler.Target target() { return target; }

    /** The loaded image of each family (for diagnostics: cache file, size, compiler log). */
    public Map<KernelFamily, KernelCompiler.Image> images() { return java.util.Collections.unmodifiableMap(images); }

    CudaFunction function(KernelSpec k) {
        CudaFunction f = functions.get(k.name());
        if (f == null) {
            throw new IllegalStateException("kernel " + k + " was not loaded on cuda:" + device);
        }
        return f;
    }

    CudaModule module(KernelFamily f) { return modules.get(f); }
}
