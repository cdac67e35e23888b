package dev.quadrant.device.cuda;

import java.util.ArrayList;
import java.util.List;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaProbe;
import dev.quadrant.bindings.cuda.Glibc;
import dev.quadrant.bindings.cuda.Nccl;
import dev.quadrant.bindings.cuda.NativeLibraries;
import dev.quadrant.bindings.cuda.Nvrtc;

/**
 * The text of {@code quadrant devices} for CUDA: whether CUDA is usable (or why not), the driver, runtime, NVRTC
 * and NCCL versions, one line per GPU (name, compute capability, multiprocessors, memory), and where each library
 * was found or that it is missing. Never throws; on a machine without CUDA it prints the probe's reason and the
 * directories searched. Stateless and thread-safe.
 *
 * <pre>{@code
 * CudaInfo.describe().forEach(System.out::println);
 * }</pre>
 */
public final class CudaInfo {
    private CudaInfo() {}

    /** The lines to print. */
    public static List<String> describe() {
        List<String> out = new ArrayList<>();
        CudaProbe.Result r;
        try {
            r = CudaProbe.get();
        } catch (RuntimeException e) {
            out.add("CUDA: unusable (probe failed: " + e + ")");
            return out;
        }
        int major = r.libraries().cudaMajor();
        out.add("CUDA: " + (r.usable() ? "usable" : "unusable") + " -- " + r.reason());
        out.add("  presets: org.bytedeco:cuda for CUDA " + major + " (needs a driver for CUDA " + major + ".0 or newer)");
        String glibc = Glibc.problem(java.nio.file.Path.of("/"));
        if (glibc != null) {
            out.add("  " + glibc);
        }
        out.add("  libcuda: " + r.libraries().driverChoice());
        if (r.usable()) {
            try {
                int[] nv = Nvrtc.version();
                out.add("  driver supports CUDA " + CudaProbe.versionString(r.driverVersion()) + ", runtime "
                        + CudaProbe.versionString(r.runtimeVersion()) + ", NVRTC " + nv[0] + "." + nv[1]
                        + ", NCCL " + (r.ncclUsable() ? Nccl.versionString(Nccl.version()) : "unavailable (" + r.ncclReason() + ")"));
                for (int d = 0; d < r.deviceCount(); d++) {
                    Cuda.DeviceInfo i = Cuda.deviceInfo(d);
                    Cuda.setDevice(d);
                    long[] mem = Cuda.memoryInfo();
                    out.add(String.format("  cuda:%d  %s  compute %d.%d (%s)  %d SMs  %d MiB (%d MiB free)  PCI bus %d", d,
                            i.name(), i.major(), i.minor(), i.arch(), i.multiprocessors(), i.totalMemory() >> 20,
                            mem[0] >> 20, i.pciBus()));
                }
            } catch (RuntimeException e) {
                out.add("  querying the devices failed: " + e.getMessage());
            }
        }
        out.add("  libraries:");
        NativeLibraries libs = r.libraries();
        for (NativeLibraries.Library l : NativeLibraries.libraries(major)) {
            java.nio.file.Path p = libs.found().get(l);
            out.add(String.format("    %-24s %s", l.soname(), p != null ? p.toString()
                    : "MISSING -- " + l.purpose() + (l.required() ? "" : " (optional)")));
        }
        if (!r.usable()) {
            out.add("  searched: " + String.join(":", libs.searched().stream().map(Object::toString).toList()));
        }
        return out;
    }
}
