package dev.quadrant.kernels;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import dev.quadrant.bindings.cuda.Nvrtc;

/**
 * Compiles a {@link KernelFamily} with NVRTC for one GPU architecture and caches the image on disk.
 *
 * <p>The target is a CUBIN for {@code sm_XY} when this NVRTC supports the device's architecture, else PTX for the
 * newest architecture it supports below the device's (the driver compiles PTX for newer GPUs). Cache files are
 * named by family, the sha256 of source and options, the target and the NVRTC version, under
 * {@code -Dquadrant.kernel.cache}, else {@code $XDG_CACHE_HOME/quadrant/kernels}, else
 * {@code ~/.cache/quadrant/kernels}; a cache that cannot be written is skipped (compiled every run). Files are
 * written to a temporary name and moved into place, so concurrent processes never read half a file.
 *
 * <p>Thread-safe (no mutable state; NVRTC calls are independent).
 *
 * <pre>{@code
 * KernelCompiler kc = KernelCompiler.withNvrtc();
 * KernelCompiler.Image img = kc.compile(KernelFamily.ELEMENTWISE, KernelCompiler.Target.choose(9, 0, Nvrtc.supportedArchs()));
 * }</pre>
 */
public final class KernelCompiler {

    /** What to compile for: a real architecture (CUBIN) or a virtual one (PTX). */
    public record Target(int arch, boolean cubin) {
        /** {@code sm_90} or {@code compute_90}. */
        public String archName() { return (cubin ? "sm_" : "compute_") + arch; }

        /**
         * CUBIN for the device's {@code major.minor} if {@code supported} lists it; else PTX for the newest supported
         * architecture below it; an exception if there is none.
         */
        public static Target choose(int major, int minor, int[] supported) {
            int want = 10 * major + minor;
            int best = -1;
            for (int a : supported) {
                if (a == want) {
                    return new Target(want, true);
                }
                if (a < want && a > best) {
                    best = a;
                }
            }
            if (best < 0) {
                throw new IllegalStateException("this NVRTC cannot compile for sm_" + want + " (it supports "
                        + Arrays.toString(supported) + "): the GPU is older than CUDA supports");
            }
            return new Target(best, false);
        }
    }

    /** A compiled image, where it came from and the compiler's log. */
    public record Image(KernelFamily family, Target target, byte[] bytes, boolean fromCache, Path cacheFile, String log) {}

    /** The compile step (NVRTC in production; a stand-in in tests). */
    @FunctionalInterface
    public interface Backend {
        Nvrtc.Output compile(String source, String name, List<String> options);
    }

    private final Path cacheDir;
    private final Backend backend;
    private final String compilerVersion;

    /**
     * @param cacheDir        where images are cached, or null for no cache
     * @param backend         the compiler
     * @param compilerVersion part of the cache key, e.g. {@code "nvrtc13.1"}
     */
    public KernelCompiler(Path cacheDir, Backend backend, String compilerVersion) {
        this.cacheDir = cacheDir;
        this.backend = backend;
        this.compilerVersion = compilerVersion;
    }

    /** NVRTC with the default cache folder. Loads the NVRTC presets. */
    public static KernelCompiler withNvrtc() {
        int[] v = Nvrtc.version();
        return new KernelCompiler(defaultCacheDir(), Nvrtc::compile, "nvrtc" + v[0] + "." + v[1]);
    }

    /** {@code -Dquadrant.kernel.cache}, else {@code $XDG_CACHE_HOME/quadrant/kernels}, else {@code ~/.cache/quadrant/kernels}. */
    public static Path defaultCacheDir() {
        String prop = System.getProperty("quadrant.kernel.cache");
        if (prop != null && !prop.isBlank()) {
            return Paths.get(prop);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Paths.get(xdg, "quadrant", "kernels");
        }
        return Paths.get(System.getProperty("user.home"), ".cache", "quadrant", "kernels");
    }

    /** The NVRTC options for {@code target}. */
    public static List<String> options(Target target) {
        return List.of("--gpu-architecture=" + target.archName(), "-default-device", "--std=c++17", "-lineinfo");
    }

    /** The cache file name of {@code family} compiled for {@code target}. */
    public String cacheName(KernelFamily family, Target target) {
        String source = family.source();
        String key = sha256(source + "\n//" + String.join(" ", options(target)));
        return family.name().toLowerCase(java.util.Locale.ROOT) + "-" + key.substring(0, 24) + "-" + target.archName()
                + "-" + compilerVersion + (target.cubin() ? ".cubin" : ".ptx");
    }

    /** The cache folder, or null. */
    public Path cacheDir() { return cacheDir; }

    /** Compiles {@code family} for {@code target}, or reads it from the cache. */
    public Image compile(KernelFamily family, Target target) {
        Path file = cacheDir == null ? null : cacheDir.resolve(cacheName(family, target));
        if (file != null && Files.isRegularFile(file)) {
            try {
                byte[] b = Files.readAllBytes(file);
                if (b.length > 0) {
                    return new Image(family, target, b, true, file, "");
                }
            } catch (IOException e) {
                // unreadable cache entry: compile again below
            }
        }
        return compileFresh(family, target);
    }

    /** Compiles without reading the cache (still writes it), e.g. after a cached image failed to load. */
    public Image compileFresh(KernelFamily family, Target target) {
        Nvrtc.Output out = backend.compile(family.source(), family.file(), options(target));
        Path file = cacheDir == null ? null : cacheDir.resolve(cacheName(family, target));
        Path written = file != null && write(file, out.image()) ? file : null;
        return new Image(family, target, out.image(), false, written, out.log());
    }

    private static boolean write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            try {
                Files.write(tmp, bytes);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return true;
        } catch (IOException | SecurityException e) {
            return false;   // a read-only home: run without a cache
        }
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }
}
