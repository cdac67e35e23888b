package dev.quadrant.device.cuda;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.quadrant.bindings.cuda.CudaStream;
import dev.quadrant.bindings.cuda.KernelArgs;
import dev.quadrant.kernels.KernelFamily;
import dev.quadrant.kernels.KernelSpec;
import dev.quadrant.kernels.LaunchTarget;

/**
 * Runs the real kernel sources on the host (src/test/native/cuda_host_emu.hpp: one std::thread per CUDA thread,
 * barriers for __syncthreads and warp shuffles), compiled with g++ by {@link #start()}. "Device memory" lives in the
 * runner process; an address is {@code (buffer id + 1) << 36} plus a byte offset. A {@link LaunchTarget}, so the
 * real {@link dev.quadrant.kernels.Kernels} launchers (arguments, grid shapes) drive it. Not thread-safe.
 */
final class KernelEmulator implements LaunchTarget, AutoCloseable {
    private static final int SHIFT = 36;

    private final Process process;
    private final BufferedWriter in;
    private final BufferedReader out;
    private final List<Character> types = new ArrayList<>();
    private final List<Integer> counts = new ArrayList<>();

    private KernelEmulator(Process p) {
        this.process = p;
        this.in = new BufferedWriter(new OutputStreamWriter(p.getOutputStream(), StandardCharsets.US_ASCII));
        this.out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
    }

    /** Compiles the runner (null if g++ is not installed) and starts it. */
    static KernelEmulator start() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("quadrant-kernel-emu");
        for (String f : new String[] {"cuda_host_emu.hpp", "kernel_host_runner.cpp"}) {
            Files.copy(Path.of("src/test/native", f), dir.resolve(f));
        }
        List<String> sources = new ArrayList<>(List.of(KernelFamily.COMMON));
        for (KernelFamily f : KernelFamily.values()) {
            sources.add(f.file());
        }
        for (String s : sources) {
            try (InputStream r = KernelFamily.class.getResourceAsStream(KernelFamily.RESOURCE_DIR + s)) {
                Files.copy(r, dir.resolve(s));
            }
        }
        Path exe = dir.resolve("runner");
        Process cc;
        try {
            cc = new ProcessBuilder("g++", "-std=c++20", "-O1", "-pthread", "-w", "-x", "c++", "kernel_host_runner.cpp",
                    "-o", exe.toString()).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException noCompiler) {
            return null;
        }
        String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!cc.waitFor(120, TimeUnit.SECONDS) || cc.exitValue() != 0) {
            throw new IllegalStateException("compiling the kernels for the host emulator failed:\n" + log);
        }
        KernelEmulator emu = new KernelEmulator(new ProcessBuilder(exe.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start());
        emu.zeros(1);   // buffer 0 stands for null pointers
        return emu;
    }

    private void send(String s) {
        try {
            in.write(s);
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String line() {
        try {
            String l = out.readLine();
            if (l == null) {
                throw new IllegalStateException("the kernel emulator exited (status "
                        + (process.isAlive() ? "running" : process.exitValue()) + ")");
            }
            return l;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private long define(char type, int n, String hex) {
        int id = types.size();
        types.add(type);
        counts.add(n);
        send("buf " + id + " " + type + " " + n + "\n" + hex + "\n");
        return (long) (id + 1) << SHIFT;
    }

    long floats(float[] v) {
        StringBuilder b = new StringBuilder();
        for (float f : v) {
            b.append(Integer.toHexString(Float.floatToRawIntBits(f))).append(' ');
        }
        return define('f', v.length, b.toString());
    }

    long zeros(int n) {
        return floats(new float[n]);
    }

    long ints(int[] v) {
        StringBuilder b = new StringBuilder();
        for (int x : v) {
            b.append(Integer.toHexString(x)).append(' ');
        }
        return define('i', v.length, b.toString());
    }

    long halves(int n) {
        return define('h', n, "0 ".repeat(n));
    }

    private String[] get(long address) {
        int id = (int) (address >>> SHIFT) - 1;
        send("get " + id + "\n");
        String l = line().trim();
        return l.isEmpty() ? new String[0] : l.split(" ");
    }

    float[] readFloats(long address) {
        String[] h = get(address);
        float[] f = new float[h.length];
        for (int i = 0; i < h.length; i++) {
            f[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(h[i], 16));
        }
        return f;
    }

    int[] readInts(long address) {
        String[] h = get(address);
        int[] v = new int[h.length];
        for (int i = 0; i < h.length; i++) {
            v[i] = Integer.parseUnsignedInt(h[i], 16);
        }
        return v;
    }

    short[] readHalves(long address) {
        String[] h = get(address);
        short[] v = new short[h.length];
        for (int i = 0; i < h.length; i++) {
            v[i] = (short) Integer.parseUnsignedInt(h[i], 16);
        }
        return v;
    }

    /** A buffer of float pairs read back as doubles (the reductions' partials). */
    double[] readDoubles(long address, int n) {
        float[] f = readFloats(address);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            long lo = Float.floatToRawIntBits(f[2 * i]) & 0xffffffffL;
            long hi = Float.floatToRawIntBits(f[2 * i + 1]) & 0xffffffffL;
            d[i] = Double.longBitsToDouble(hi << 32 | lo);
        }
        return d;
    }

    @Override
    public void launch(KernelSpec kernel, int gridX, int blockX, int blockY, CudaStream stream, KernelArgs args) {
        StringBuilder b = new StringBuilder("launch ").append(kernel.name()).append(' ').append(gridX).append(' ')
                .append(blockX).append(' ').append(blockY).append(' ').append(kernel.arity()).append('\n');
        for (int i = 0; i < kernel.arity(); i++) {
            long raw = args.slot(i);
            switch (kernel.arg(i)) {
                case PTR:
                    if (raw == 0) {
                        b.append("b0:0 ");   // a null pointer the kernel must not touch (sgd without momentum)
                    } else {
                        b.append('b').append((raw >>> SHIFT) - 1).append(':').append(raw & ((1L << SHIFT) - 1)).append(' ');
                    }
                    break;
                case F32:
                    b.append('f').append(Long.toHexString(raw & 0xffffffffL)).append(' ');
                    break;
                case I32:
                    b.append('l').append((int) raw).append(' ');
                    break;
                default:
                    b.append('l').append(raw).append(' ');
            }
        }
        send(b.append('\n').toString());
        String ok = line();
        if (!ok.equals("ok")) {
            throw new IllegalStateException("emulator: " + ok);
        }
    }

    @Override
    public int multiprocessors() {
        return 1;   // element-wise grids capped at 16 blocks: sizes above 4096 exercise the grid-stride loops
    }

    @Override
    public void close() {
        send("quit\n");
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            process.destroy();
        }
    }
}
