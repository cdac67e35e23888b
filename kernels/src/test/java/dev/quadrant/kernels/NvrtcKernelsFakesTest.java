package dev.quadrant.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kernel family compiled by the real NVRTC (the presets need a libcuda.so.1, which the stubs provide), exactly
 * as at run time: CUBIN for sm_90 and sm_80, PTX for compute_90, then read back from the disk cache. Run with
 * {@code -Pfakes -Dquadrant.fakes=DIR}; skipped without NVRTC.
 */
@Tag("fakes")
class NvrtcKernelsFakesTest {

    @Test
    void everyFamilyCompilesWithNvrtc(@TempDir Path cache) throws Exception {
        String dir = System.getProperty("quadrant.fakes");
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "nvrtc", "libnvrtc.so.13")),
                "no NVRTC next to the stubs (native-bindings/src/test/fakes/setup-fakes.sh)");
        int[] v = dev.quadrant.bindings.cuda.Nvrtc.version();
        KernelCompiler kc = new KernelCompiler(cache, dev.quadrant.bindings.cuda.Nvrtc::compile, "nvrtc" + v[0] + "." + v[1]);
        for (KernelCompiler.Target t : new KernelCompiler.Target[] {
                new KernelCompiler.Target(90, true), new KernelCompiler.Target(80, true), new KernelCompiler.Target(90, false)}) {
            for (KernelFamily f : KernelFamily.values()) {
                KernelCompiler.Image img = kc.compile(f, t);
                assertFalse(img.fromCache());
                assertTrue(img.log().isBlank(), f.file() + " " + t.archName() + " compiled with warnings:\n" + img.log());
                if (t.cubin()) {
                    assertEquals('E', img.bytes()[1], "CUBIN is an ELF file");
                } else {
                    String ptx = new String(img.bytes(), StandardCharsets.US_ASCII);
                    assertTrue(ptx.contains(".target sm_90"), ptx.substring(0, 200));
                    for (KernelSpec k : Kernels.specs()) {
                        if (k.family() == f) {
                            assertTrue(ptx.contains(".entry " + k.name() + "("), "PTX of " + f.file() + " has " + k.name());
                        }
                    }
                }
                assertTrue(kc.compile(f, t).fromCache());
                System.out.printf("%-16s %-11s %7d bytes%n", f.file(), t.archName(), img.bytes().length);
            }
        }
    }
}
