package dev.quadrant.bindings.cuda;

import static org.bytedeco.cuda.global.nvrtc.*;

import java.util.List;

import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * Checked NVRTC: compiles CUDA C++ source to a CUBIN (for a real architecture, {@code sm_XY}) or to PTX (for a
 * virtual one, {@code compute_XY}) on the host. A failed compilation throws a {@link CudaException} whose message
 * carries the compiler log.
 *
 * <p>Stateless and thread-safe (NVRTC programs are independent).
 *
 * <pre>{@code
 * Nvrtc.Output out = Nvrtc.compile(source, "elementwise.cu", List.of("--gpu-architecture=sm_90", "-default-device"));
 * byte[] cubin = out.image();
 * }</pre>
 */
public final class Nvrtc {
    private Nvrtc() {}

    /**
     * A compiled image and the compiler's log (warnings), or an empty log.
     *
     * @param image CUBIN when compiled for {@code sm_XY}, NUL-terminated PTX for {@code compute_XY}
     * @param cubin true if {@code image} is a CUBIN
     * @param log   the compiler's output
     */
    public record Output(byte[] image, boolean cubin, String log) {}

    /** Throws a {@link CudaException} unless {@code status} is {@code NVRTC_SUCCESS}. */
    static void check(int status, String call, String log) {
        if (status != NVRTC_SUCCESS) {
            String msg = nvrtcGetErrorString(status).getString();
            throw new CudaException("NVRTC", call, status, msg, log == null || log.isBlank() ? "" : "log:\n" + log.strip(),
                    CudaException.NO_DEVICE, status == NVRTC_ERROR_COMPILATION
                            ? "the kernel source does not compile with this NVRTC: see the log above"
                            : "see the NVRTC documentation for this status");
        }
    }

    /** The NVRTC version as {@code {major, minor}}. */
    public static int[] version() {
        int[] major = {0};
        int[] minor = {0};
        check(nvrtcVersion(major, minor), "nvrtcVersion", null);
        return new int[] {major[0], minor[0]};
    }

    /** The architectures this NVRTC can compile for, e.g. {@code [75, 80, ..., 120]}. */
    public static int[] supportedArchs() {
        int[] n = {0};
        check(nvrtcGetNumSupportedArchs(n), "nvrtcGetNumSupportedArchs", null);
        int[] archs = new int[n[0]];
        check(nvrtcGetSupportedArchs(archs), "nvrtcGetSupportedArchs", null);
        return archs;
    }

    /**
     * Compiles {@code source} (named {@code name} in messages) with {@code options}; the output is a CUBIN when an
     * {@code --gpu-architecture=sm_XY} option is given, else PTX.
     */
    public static Output compile(String source, String name, List<String> options) {
        boolean cubin = options.stream().anyMatch(o -> o.matches("(--gpu-architecture=|-arch=?)sm_\\d+[a-z]?"));
        _nvrtcProgram prog = new _nvrtcProgram();
        try (BytePointer src = new BytePointer(source); BytePointer nm = new BytePointer(name)) {
            check(nvrtcCreateProgram(prog, src, nm, 0, (PointerPointer<?>) null, (PointerPointer<?>) null),
                    "nvrtcCreateProgram(" + name + ")", null);
        }
        try (PointerPointer<BytePointer> opts = new PointerPointer<>(options.toArray(new String[0]))) {
            int r = nvrtcCompileProgram(prog, options.size(), opts);
            String log = log(prog);
            check(r, "nvrtcCompileProgram(" + name + ", " + String.join(" ", options) + ")", log);
            try (SizeTPointer size = new SizeTPointer(1)) {
                check(cubin ? nvrtcGetCUBINSize(prog, size) : nvrtcGetPTXSize(prog, size),
                        cubin ? "nvrtcGetCUBINSize" : "nvrtcGetPTXSize", log);
                byte[] image = new byte[Math.toIntExact(size.get())];
                try (BytePointer out = new BytePointer(size.get())) {
                    check(cubin ? nvrtcGetCUBIN(prog, out) : nvrtcGetPTX(prog, out), cubin ? "nvrtcGetCUBIN" : "nvrtcGetPTX", log);
                    out.get(image);
                }
                return new Output(image, cubin, log);
            }
        } finally {
            nvrtcDestroyProgram(prog);
        }
    }

    private static String log(_nvrtcProgram prog) {
        try (SizeTPointer size = new SizeTPointer(1)) {
            if (nvrtcGetProgramLogSize(prog, size) != NVRTC_SUCCESS || size.get() <= 1) {
                return "";
            }
            try (BytePointer log = new BytePointer(size.get())) {
                nvrtcGetProgramLog(prog, log);
                return log.getString();
            }
        }
    }
}
