package dev.quadrant.bindings.cuda;

import java.nio.file.Path;

import org.bytedeco.javacpp.Loader;

/**
 * The second stage of {@link CudaProbe}: loads native code. Kept in its own class so that the first stage never
 * resolves an {@code org.bytedeco.cuda} class. Not thread-safe on its own; {@link CudaProbe#get()} serialises it.
 */
final class CudaRuntimeProbe {
    private static final String PRESETS = "org.bytedeco.cuda.global.";

    private CudaRuntimeProbe() {}

    static CudaProbe.Result probe(NativeLibraries libs) {
        // Libraries outside the linker's path (e.g. a pip wheel): load them by absolute path, in dependency order, so
        // that the JNI libraries' NEEDED entries resolve to them by soname. libcuda always (the one chosen, never a
        // compat/ one that LD_LIBRARY_PATH happens to name first), and NVRTC's builtins always (NVRTC dlopens them by
        // soname at its first compile, and the wheel's libnvrtc has no RUNPATH that would find them).
        for (NativeLibraries.Library lib : NativeLibraries.libraries(libs.cudaMajor())) {
            Path p = libs.found().get(lib);
            boolean always = lib.versioned() || lib.soname().equals("libcuda.so.1");
            if (p == null || (libs.onLinkerPath(lib) && !always)) {
                continue;
            }
            try {
                System.load(p.toAbsolutePath().toString());
            } catch (UnsatisfiedLinkError e) {
                if (lib.required()) {
                    return no(libs, "found " + p + " but it does not load: " + e.getMessage(), 0, 0, true);
                }
            }
        }
        String err = loadPreset("cudart");
        if (err != null) {
            String glibc = Glibc.problem(Path.of("/"));
            return no(libs, "the CUDA runtime presets did not load: " + err
                    + (glibc != null ? "; " + glibc : " (a library is missing, or too old for presets built against CUDA 13.1)"),
                    0, 0, true);
        }
        int[] v = {0};
        int driver = org.bytedeco.cuda.global.cudart.cudaDriverGetVersion(v) == 0 ? v[0] : 0;
        v[0] = 0;
        int runtime = org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion(v) == 0 ? v[0] : 0;
        int need = 1000 * libs.cudaMajor();
        if (driver > 0 && driver < need) {
            return no(libs, "the NVIDIA driver supports CUDA " + CudaProbe.versionString(driver) + " but these presets need "
                    + CudaProbe.versionString(need) + " or newer: update the driver"
                    + (libs.cudaMajor() > 12 ? ", or build with -Dcuda12 for the CUDA 12 presets" : ""), driver, runtime, true);
        }
        int[] n = {0};
        int status = org.bytedeco.cuda.global.cudart.cudaGetDeviceCount(n);
        if (status != 0) {
            String name = org.bytedeco.cuda.global.cudart.cudaGetErrorName(status).getString();
            String msg = org.bytedeco.cuda.global.cudart.cudaGetErrorString(status).getString();
            String why = status == org.bytedeco.cuda.global.cudart.cudaErrorNoDevice ? "no CUDA device is present"
                    : status == org.bytedeco.cuda.global.cudart.cudaErrorInsufficientDriver
                            ? "the NVIDIA driver (CUDA " + CudaProbe.versionString(driver) + ") is too old for runtime "
                                    + CudaProbe.versionString(runtime)
                            : "cudaGetDeviceCount failed";
            return no(libs, why + ": " + name + " (" + msg + ")", driver, runtime, true);
        }
        if (n[0] == 0) {
            return no(libs, "no CUDA device is present", driver, runtime, true);
        }
        for (String preset : new String[] {"cublas", "nvrtc"}) {
            String e = loadPreset(preset);
            if (e != null) {
                return no(libs, "the " + preset + " presets did not load: " + e, driver, runtime, true);
            }
        }
        String compiled = compileProbeKernel();
        if (compiled != null) {
            return no(libs, "NVRTC loaded but cannot compile a kernel: " + compiled
                    + " (is libnvrtc-builtins.so." + libs.cudaMajor() + ".* beside libnvrtc? found: "
                    + libs.path("libnvrtc-builtins.so." + libs.cudaMajor()) + ")", driver, runtime, true);
        }
        boolean ncclOk = false;
        String ncclReason;
        Path ncclPath = libs.path("libnccl.so.2");
        if (ncclPath == null) {
            ncclReason = "libnccl.so.2 not found (needed only for several GPUs; pip package nvidia-nccl-cu" + libs.cudaMajor() + ")";
        } else {
            String e = loadPreset("nccl");
            ncclOk = e == null;
            ncclReason = ncclOk ? ncclPath.toString() : "the nccl presets did not load: " + e;
        }
        String reason = n[0] + " CUDA device" + (n[0] == 1 ? "" : "s") + ", driver supports CUDA "
                + CudaProbe.versionString(driver) + ", runtime " + CudaProbe.versionString(runtime)
                + (ncclOk ? ", NCCL loaded" : ", NCCL unavailable");
        return new CudaProbe.Result(true, reason, libs, driver, runtime, n[0], ncclOk, ncclReason, true);
    }

    private static CudaProbe.Result no(NativeLibraries libs, String why, int driver, int runtime, boolean loaded) {
        return new CudaProbe.Result(false, why, libs, driver, runtime, 0, false, "not probed", loaded);
    }

    /** The kernel the probe compiles to PTX before it says "usable": the first compile loads NVRTC's builtins. */
    static final String PROBE_KERNEL = "extern \"C\" __global__ void quadrant_probe(float* x) { x[threadIdx.x] = 1.0f; }";

    /** Compiles {@link #PROBE_KERNEL}; null on success, else the reason with NVRTC's log. */
    static String compileProbeKernel() {
        try {
            Nvrtc.Output out = Nvrtc.compile(PROBE_KERNEL, "quadrant_probe.cu", java.util.List.of("--std=c++17"));
            return out.image().length > 0 ? null : "NVRTC returned an empty image";
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {   // CudaException with the log, or UnsatisfiedLinkError from a missing symbol
            return CudaProbe.describe(t);
        }
    }

    /** Loads one preset class's native library; null on success, else the reason. */
    static String loadPreset(String name) {
        try {
            Loader.load(Class.forName(PRESETS + name, false, CudaRuntimeProbe.class.getClassLoader()));
            return null;
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {   // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError
            return CudaProbe.describe(t);
        }
    }
}
