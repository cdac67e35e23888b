package dev.quadrant.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe compiles a kernel before it says "usable", and finds NVRTC's builtins where the dynamic linker would
 * not: each case runs {@link CudaProbe#get()} in a child JVM against the stub libraries and the real NVRTC of the
 * {@code -Pfakes} setup, with {@code libnvrtc.so.13} copied into a directory of its own (as a pip wheel has it, no
 * RUNPATH). Without the builtins anywhere the probe must say NVRTC cannot compile; with them in a directory that only
 * {@code -Dquadrant.cuda.libdirs} names (not the linker's path) it must preload them and say usable.
 */
@Tag("fakes")
class ProbeCompilesFakesTest {
    private static Path fakes;
    private static Path builtins;

    @BeforeAll
    static void needFakesAndNvrtc() throws IOException {
        String dir = System.getProperty("quadrant.fakes");
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "lib", "libcuda.so.1")),
                "stub libraries not built (native-bindings/src/test/fakes/setup-fakes.sh)");
        fakes = Path.of(dir);
        Assumptions.assumeTrue(Files.isRegularFile(fakes.resolve("nvrtc/libnvrtc.so.13")), "no NVRTC in the fakes");
        try (var s = Files.list(fakes.resolve("nvrtc"))) {
            builtins = s.filter(p -> p.getFileName().toString().matches("libnvrtc-builtins\\.so\\.13\\.\\d+"))
                    .findFirst().orElse(null);
        }
        Assumptions.assumeTrue(builtins != null, "no libnvrtc-builtins.so.13.* in the fakes");
    }

    /** Prints the probe's answer: "usable=<bool> <reason>". */
    public static final class Main {
        public static void main(String[] args) {
            CudaProbe.Result r = CudaProbe.get();
            System.out.println("usable=" + r.usable() + " " + r.reason());
            System.out.println("builtins=" + r.libraries().path("libnvrtc-builtins.so.13"));
        }
    }

    private static String probe(Path nvrtcDir, String libdirs) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                "-Dorg.bytedeco.javacpp.cachedir=" + fakes.resolve("javacpp-cache"),
                "-Dquadrant.cuda.libdirs=" + libdirs, Main.class.getName());
        pb.environment().put("LD_LIBRARY_PATH", fakes.resolve("lib") + ":" + nvrtcDir);
        pb.environment().put("LD_PRELOAD", fakes.resolve("lib/libfakecudart_shim.so").toString());
        pb.environment().remove("CUDA_HOME");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe did not finish");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void withoutTheBuiltinsTheProbeSaysNvrtcCannotCompile(@TempDir Path tmp) throws Exception {
        Path wheel = Files.createDirectories(tmp.resolve("cu13/lib"));
        Files.copy(fakes.resolve("nvrtc/libnvrtc.so.13"), wheel.resolve("libnvrtc.so.13"));
        String out = probe(wheel, "");
        List<String> lines = out.lines().filter(l -> l.startsWith("usable=") || l.startsWith("builtins=")).toList();
        Assumptions.assumeTrue(lines.get(1).equals("builtins=null"), "this machine has NVRTC builtins elsewhere: " + out);
        assertTrue(lines.get(0).startsWith("usable=false"), out);
        assertTrue(lines.get(0).contains("libnvrtc-builtins.so.13"), out);
    }

    @Test
    void builtinsOutsideTheLinkerPathArePreloadedAndTheProbeCompiles(@TempDir Path tmp) throws Exception {
        Path wheel = Files.createDirectories(tmp.resolve("cu13/lib"));
        Path elsewhere = Files.createDirectories(tmp.resolve("builtins"));
        Files.copy(fakes.resolve("nvrtc/libnvrtc.so.13"), wheel.resolve("libnvrtc.so.13"));
        Files.copy(builtins, elsewhere.resolve(builtins.getFileName()));
        String out = probe(wheel, elsewhere.toString());
        assertTrue(out.contains("usable=true"), out);
        assertTrue(out.contains("builtins=" + elsewhere.resolve(builtins.getFileName())), out);
    }
}
