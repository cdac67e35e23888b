package dev.quadrant.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk search of {@link NativeLibraries} over fake file trees standing for {@code /}. Pure Java. */
class NativeLibrariesTest {

    private static void touch(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {0});
    }

    @Test
    void findsToolkitDriverAndPipWheels(@TempDir Path root) throws IOException {
        touch(root.resolve("usr/lib/x86_64-linux-gnu/libcuda.so.1"));
        touch(root.resolve("usr/local/cuda-13.0/targets/x86_64-linux/lib/libcudart.so.13"));
        Path wheels = root.resolve("venv/lib/python3.12/site-packages/nvidia");
        touch(wheels.resolve("cublas/lib/libcublas.so.13"));
        touch(wheels.resolve("cublas/lib/libcublasLt.so.13"));
        touch(wheels.resolve("cu13/lib/libnvrtc.so.13"));
        touch(wheels.resolve("cu13/lib/libnvrtc-builtins.so.13.0"));
        touch(wheels.resolve("nccl/lib/libnccl.so.2"));
        NativeLibraries libs = NativeLibraries.search(13, Map.of("VIRTUAL_ENV", root.resolve("venv").toString()), "",
                root.resolve("home"), root);
        assertTrue(libs.missingRequired().isEmpty(), libs.report());
        assertTrue(libs.missingOptional().isEmpty(), libs.report());
        assertEquals(root.resolve("usr/local/cuda-13.0/targets/x86_64-linux/lib/libcudart.so.13"), libs.path("libcudart.so.13"));
        NativeLibraries.Library driver = NativeLibraries.libraries(13).get(0);
        assertTrue(libs.onLinkerPath(driver), "system directory is on the linker path");
        NativeLibraries.Library cublas = NativeLibraries.libraries(13).get(3);
        assertEquals("libcublas.so.13", cublas.soname());
        assertFalse(libs.onLinkerPath(cublas), "a pip wheel is not on the linker path");
        assertNull(CudaProbe.checkFiles(libs));
        assertTrue(libs.foundDirs().contains(wheels.resolve("nccl/lib")));
    }

    @Test
    void missingDriverIsReportedWithTheSearchedPaths(@TempDir Path root) throws IOException {
        touch(root.resolve("usr/local/cuda/lib64/libcudart.so.13"));
        NativeLibraries libs = NativeLibraries.search(13, Map.of("LD_LIBRARY_PATH", "/opt/x/lib"), "", root.resolve("home"), root);
        List<NativeLibraries.Library> missing = libs.missingRequired();
        assertEquals("libcuda.so.1", missing.get(0).soname());
        assertTrue(libs.searched().contains(Path.of("/opt/x/lib")));
        CudaProbe.Result r = CudaProbe.checkFiles(libs);
        assertNotNull(r);
        assertFalse(r.usable());
        assertFalse(r.nativeLoaded());
        assertTrue(r.reason().contains("libcuda.so.1"), r.reason());
        assertTrue(r.reason().contains("/opt/x/lib"), r.reason());
        assertTrue(r.details().contains("MISSING"), r.details());
    }

    @Test
    void ldSoConfAndMajorVersionAreHonoured(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("etc/ld.so.conf.d"));
        Files.writeString(root.resolve("etc/ld.so.conf.d/cuda.conf"), "# comment\n/opt/cuda12/lib\n");
        touch(root.resolve("opt/cuda12/lib/libcudart.so.12"));
        touch(root.resolve("opt/cuda12/lib/libcudart.so.13"));
        NativeLibraries libs12 = NativeLibraries.search(12, Map.of(), "", root.resolve("home"), root);
        assertEquals(root.resolve("opt/cuda12/lib/libcudart.so.12"), libs12.path("libcudart.so.12"));
        assertTrue(libs12.onLinkerPath(NativeLibraries.libraries(12).get(1)));
        assertNull(libs12.path("libcudart.so.13"), "only the major version asked for is looked for");
    }

    @Test
    void danglingSymlinkDoesNotCount(@TempDir Path root) throws IOException {
        Path dir = root.resolve("usr/lib64");
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve("libcuda.so.1"), dir.resolve("libcuda.so.580.1"));
        NativeLibraries libs = NativeLibraries.search(13, Map.of(), "", root.resolve("home"), root);
        assertNull(libs.path("libcuda.so.1"));
    }

    @Test
    void presetsVersionGivesTheCudaMajor() {
        int major = NativeLibraries.cudaMajorOfPresets();   // 13 by default, 12 with -Dcuda12
        assertTrue(major == 13 || major == 12, "major " + major);
    }

    @Test
    void theDriversLibcudaWinsOverACompatOneUnlessAskedFor(@TempDir Path root) throws IOException {
        touch(root.resolve("usr/local/cuda-13.0/compat/libcuda.so.1"));
        touch(root.resolve("usr/lib/x86_64-linux-gnu/libcuda.so.1"));
        NativeLibraries libs = NativeLibraries.search(13, Map.of(), "", root.resolve("home"), root);
        assertEquals(root.resolve("usr/lib/x86_64-linux-gnu/libcuda.so.1"), libs.path("libcuda.so.1"));
        assertTrue(libs.driverChoice().contains("the installed driver's"), libs.driverChoice());
        NativeLibraries compat = NativeLibraries.search(13, Map.of(), "", root.resolve("home"), root, true);
        assertEquals(root.resolve("usr/local/cuda-13.0/compat/libcuda.so.1"), compat.path("libcuda.so.1"));
        assertTrue(compat.driverChoice().contains("forward-compatibility"), compat.driverChoice());
        assertTrue(compat.driverChoice().contains(NativeLibraries.PREFER_COMPAT), compat.driverChoice());
    }

    @Test
    void aCompatLibcudaIsTheFallbackWhenNoDriverOneIsInstalled(@TempDir Path root) throws IOException {
        touch(root.resolve("usr/local/cuda/compat/libcuda.so.1"));
        NativeLibraries libs = NativeLibraries.search(13, Map.of(), "", root.resolve("home"), root);
        assertEquals(root.resolve("usr/local/cuda/compat/libcuda.so.1"), libs.path("libcuda.so.1"));
        assertTrue(libs.driverChoice().contains("no driver libcuda.so.1 was found"), libs.driverChoice());
    }

    @Test
    void nvrtcBuiltinsAreFoundBesideNvrtcNewestMinorFirst(@TempDir Path root) throws IOException {
        Path wheel = root.resolve("venv/lib/python3.12/site-packages/nvidia/cu13/lib");
        touch(wheel.resolve("libnvrtc.so.13"));
        touch(wheel.resolve("libnvrtc-builtins.so.13.0"));
        touch(wheel.resolve("libnvrtc-builtins.so.13.1"));
        touch(root.resolve("usr/local/cuda/lib64/libnvrtc-builtins.so.13.2"));   // searched earlier, not beside nvrtc
        NativeLibraries libs = NativeLibraries.search(13, Map.of("VIRTUAL_ENV", root.resolve("venv").toString()), "",
                root.resolve("home"), root);
        assertEquals(wheel.resolve("libnvrtc-builtins.so.13.1"), libs.path("libnvrtc-builtins.so.13"), libs.report());
        Path other = root.resolve("other");
        touch(other.resolve("usr/local/cuda/lib64/libnvrtc.so.13"));
        NativeLibraries none = NativeLibraries.search(13, Map.of(), "", root.resolve("home"), other);
        assertTrue(none.missingRequired().stream().anyMatch(l -> l.soname().equals("libnvrtc-builtins.so.13")),
                none.report());
        assertTrue(CudaProbe.checkFiles(none).reason().contains("libnvrtc-builtins.so.13"));
    }

    @Test
    void glibcVersionIsReadFromTheSymbolVersionsOfLibc(@TempDir Path root) throws IOException {
        Path libc = root.resolve("lib/x86_64-linux-gnu/libc.so.6");
        Files.createDirectories(libc.getParent());
        Files.write(libc, "\0GLIBC_2.2.5\0GLIBC_2.17\0GLIBC_2.31\0GLIBC_PRIVATE\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertEquals(31, Glibc.minorVersion(Glibc.find(root)));
        String problem = Glibc.problem(root);
        assertNotNull(problem);
        assertTrue(problem.contains("glibc 2.31") && problem.contains("2.34"), problem);
        Files.write(libc, "\0GLIBC_2.34\0GLIBC_2.39\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertNull(Glibc.problem(root));
        assertEquals(-1, Glibc.minorVersion(root.resolve("missing")));
    }

    @Test
    void thisMachinesGlibcIsReadable() {
        int minor = Glibc.minorVersion(Glibc.find(Path.of("/")));
        assertTrue(minor >= 17, "glibc 2." + minor + " from " + Glibc.find(Path.of("/")));
    }
}
