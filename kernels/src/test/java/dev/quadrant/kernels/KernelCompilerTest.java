package dev.quadrant.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.quadrant.bindings.cuda.Nvrtc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Target choice and the disk cache, with a stand-in compiler (NVRTC itself needs the CUDA libraries). */
class KernelCompilerTest {

    private static final class CountingCompiler implements KernelCompiler.Backend {
        final List<String> calls = new ArrayList<>();

        @Override
        public Nvrtc.Output compile(String source, String name, List<String> options) {
            calls.add(name + " " + options);
            return new Nvrtc.Output((name + options).getBytes(StandardCharsets.UTF_8), options.get(0).contains("sm_"), "");
        }
    }

    @Test
    void chooseTarget() {
        int[] supported = {75, 80, 86, 89, 90, 100, 120};
        assertEquals(new KernelCompiler.Target(90, true), KernelCompiler.Target.choose(9, 0, supported));
        assertEquals(new KernelCompiler.Target(120, false), KernelCompiler.Target.choose(12, 1, supported),
                "a GPU newer than NVRTC gets PTX of the newest architecture below it");
        assertThrows(IllegalStateException.class, () -> KernelCompiler.Target.choose(6, 1, supported));
        assertEquals("sm_90", new KernelCompiler.Target(90, true).archName());
        assertEquals("compute_120", new KernelCompiler.Target(120, false).archName());
    }

    @Test
    void cachesByFamilyTargetAndCompilerVersion(@TempDir Path dir) throws Exception {
        CountingCompiler cc = new CountingCompiler();
        KernelCompiler kc = new KernelCompiler(dir, cc, "nvrtc13.1");
        KernelCompiler.Target sm90 = new KernelCompiler.Target(90, true);
        KernelCompiler.Image a = kc.compile(KernelFamily.ELEMENTWISE, sm90);
        assertFalse(a.fromCache());
        assertTrue(Files.isRegularFile(a.cacheFile()), "written to " + a.cacheFile());
        assertTrue(a.cacheFile().getFileName().toString().matches("elementwise-[0-9a-f]{24}-sm_90-nvrtc13\\.1\\.cubin"),
                a.cacheFile().toString());
        KernelCompiler.Image b = kc.compile(KernelFamily.ELEMENTWISE, sm90);
        assertTrue(b.fromCache());
        assertArrayEquals(a.bytes(), b.bytes());
        assertEquals(1, cc.calls.size());
        kc.compile(KernelFamily.ELEMENTWISE, new KernelCompiler.Target(80, true));
        kc.compile(KernelFamily.CASTS, sm90);
        new KernelCompiler(dir, cc, "nvrtc13.2").compile(KernelFamily.ELEMENTWISE, sm90);
        assertEquals(4, cc.calls.size(), "another architecture, family or NVRTC version is another entry");
        assertNotEquals(kc.cacheName(KernelFamily.ELEMENTWISE, sm90), kc.cacheName(KernelFamily.ACTIVATIONS, sm90));
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")), "no temporary files left");
        }
        assertTrue(cc.calls.get(0).contains("-default-device"), cc.calls.get(0));
    }

    @Test
    void unwritableCacheStillCompiles(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("not-a-dir");
        Files.writeString(file, "x");
        CountingCompiler cc = new CountingCompiler();
        KernelCompiler kc = new KernelCompiler(file.resolve("sub"), cc, "nvrtc13.1");
        KernelCompiler.Image img = kc.compile(KernelFamily.DROPOUT, new KernelCompiler.Target(90, true));
        assertNull(img.cacheFile());
        assertTrue(img.bytes().length > 0);
        KernelCompiler none = new KernelCompiler(null, cc, "nvrtc13.1");
        assertFalse(none.compile(KernelFamily.DROPOUT, new KernelCompiler.Target(90, true)).fromCache());
    }

    @Test
    void sourceStartsWithCommonHeaderAndLineDirectives() {
        String src = KernelFamily.REDUCTIONS.source();
        assertTrue(src.startsWith("#line 1 \"common.cuh\""));
        assertTrue(src.contains("#line 1 \"reductions.cu\""));
        assertTrue(src.contains("qd_block_sum_d"));
    }
}
