package dev.quadrant.bindings.cuda;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Answers "is CUDA usable here, and if not, why" without crashing the JVM and without poisoning classes.
 *
 * <p>Two stages. First the libraries are looked for on disk ({@link NativeLibraries}); if a required one is missing
 * the answer is "no", naming the missing files and every directory searched, and no native code and no
 * {@code org.bytedeco.cuda} class has been touched. Only when all are present are the presets loaded (libraries found
 * outside the linker's path are first loaded by absolute path), the driver and runtime versions read and the devices
 * counted; a failure there is caught and explained (driver too old, no device, a library that does not load).
 *
 * <p>{@link #get()} runs the probe once per JVM and caches the answer: a failed native load cannot be retried in the
 * same JVM anyway. Thread-safe.
 *
 * <pre>{@code
 * CudaProbe.Result r = CudaProbe.get();
 * if (!r.usable()) System.err.println("CUDA unavailable: " + r.reason());
 * }</pre>
 */
public final class CudaProbe {

    /**
     * The probe's answer.
     *
     * @param usable        true when the driver, runtime, cuBLAS and NVRTC load, NVRTC compiles a tiny kernel (its
     *                      builtins are found) and at least one device is present
     * @param reason        one line: what was found ("2 devices, driver 13.0, runtime 13.0") or why CUDA is unusable
     * @param libraries     where each library was found, and every directory searched
     * @param driverVersion CUDA version the driver supports, as {@code 1000 * major + 10 * minor}; 0 if unknown
     * @param runtimeVersion CUDA runtime version, same encoding; 0 if unknown
     * @param deviceCount   number of CUDA devices; 0 if unusable
     * @param ncclUsable    true when NCCL also loaded (needed for several GPUs only)
     * @param ncclReason    why NCCL is not usable, or its soname's path
     * @param nativeLoaded  true when the probe got as far as loading native code
     */
    public record Result(boolean usable, String reason, NativeLibraries libraries, int driverVersion,
                         int runtimeVersion, int deviceCount, boolean ncclUsable, String ncclReason,
                         boolean nativeLoaded) {

        /** The reason plus one line per library and the directories searched. */
        public String details() {
            return reason + System.lineSeparator() + libraries.report();
        }
    }

    private static Result cached;

    private CudaProbe() {}

    /** Probes once per JVM (the libraries for the CUDA major version of the bundled presets) and caches the answer. */
    public static synchronized Result get() {
        if (cached == null) {
            cached = probe(NativeLibraries.search(NativeLibraries.cudaMajorOfPresets()));
        }
        return cached;
    }

    /** Runs both stages over {@code libs}; never throws. Not cached: prefer {@link #get()}. */
    public static Result probe(NativeLibraries libs) {
        Result files = checkFiles(libs);
        if (files != null) {
            return files;
        }
        try {
            return CudaRuntimeProbe.probe(libs);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {   // the runtime probe catches what it expects; this is a last line of defence
            return new Result(false, "CUDA probe failed: " + describe(t), libs, 0, 0, 0, false, "not probed", true);
        }
    }

    /**
     * The first stage alone: null when every required library was found, else the "unusable" answer naming what is
     * missing. Pure Java, touches no native code.
     */
    public static Result checkFiles(NativeLibraries libs) {
        List<NativeLibraries.Library> missing = libs.missingRequired();
        if (missing.isEmpty()) {
            return null;
        }
        String names = missing.stream().map(l -> l.soname() + " (" + l.purpose() + ")").collect(Collectors.joining(", "));
        String hint = missing.get(0).soname().equals("libcuda.so.1")
                ? "; no NVIDIA driver is installed (is there a GPU on this machine?)"
                : "; install the CUDA " + libs.cudaMajor() + " libraries (the CUDA toolkit, or pip packages "
                        + "nvidia-cuda-runtime, nvidia-cublas, nvidia-cuda-nvrtc) or point LD_LIBRARY_PATH or "
                        + "-Dquadrant.cuda.libdirs at them";
        String dirs = libs.searched().stream().map(Path::toString).collect(Collectors.joining(":"));
        String reason = "not found: " + names + hint + " [searched " + dirs + "]";
        return new Result(false, reason, libs, 0, 0, 0, false, "not probed", false);
    }

    /** {@code "ExceptionType: root cause message"}. */
    static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage();
        return t.getClass().getSimpleName() + ": " + (msg == null ? root.getClass().getSimpleName() : msg);
    }

    /** {@code 13000 -> "13.0"}. */
    public static String versionString(int v) {
        return v <= 0 ? "unknown" : (v / 1000) + "." + (v % 1000) / 10;
    }
}
