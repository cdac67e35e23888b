package dev.quadrant.bindings.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The C library's version, read in pure Java from the symbol versions {@code libc.so.6} defines ({@code GLIBC_2.34}
 * and every older one): no native code is loaded, so it can explain why the presets' JNI libraries, which need
 * glibc {@value #NEEDED_MINOR_TEXT} or newer, do not load. Stateless and thread-safe.
 *
 * <pre>{@code
 * String problem = Glibc.problem(Path.of("/"));   // null when new enough or unknown
 * }</pre>
 */
public final class Glibc {
    /** The glibc minor version (2.x) the presets' native glue and the bundled JDK need. */
    public static final int NEEDED_MINOR = 34;
    static final String NEEDED_MINOR_TEXT = "2.34";

    private static final Pattern VERSION = Pattern.compile("GLIBC_2\\.(\\d+)");
    private static final String[] DIRS = {"lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib64",
            "lib", "usr/lib"};

    private Glibc() {}

    /** The libc.so.6 under {@code root} (the first of the system directories that has one), or null. */
    public static Path find(Path root) {
        for (String d : DIRS) {
            Path p = root.resolve(d).resolve("libc.so.6");
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    /** The highest {@code 2.x} symbol version {@code libc} defines, as x, or -1 when it cannot be read. */
    public static int minorVersion(Path libc) {
        if (libc == null) {
            return -1;
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(libc);
        } catch (IOException | SecurityException | OutOfMemoryError e) {
            return -1;
        }
        Matcher m = VERSION.matcher(new String(bytes, StandardCharsets.ISO_8859_1));
        int best = -1;
        while (m.find()) {
            try {
                best = Math.max(best, Integer.parseInt(m.group(1)));
            } catch (NumberFormatException e) {
                // a version number too long for an int is not a glibc version
            }
        }
        return best;
    }

    /**
     * One line saying the C library is too old for the CUDA presets, or null when it is new enough or cannot be read
     * (the presets' own load error then says the rest).
     */
    public static String problem(Path root) {
        Path libc = find(root);
        int minor = minorVersion(libc);
        if (minor < 0 || minor >= NEEDED_MINOR) {
            return null;
        }
        return "glibc 2." + minor + " (" + libc + ") is older than " + NEEDED_MINOR_TEXT + ", which the CUDA presets' "
                + "native libraries need: their JNI glue will not load; use a newer OS image (Ubuntu 22.04, RHEL 9 or "
                + "later) or a container with glibc >= " + NEEDED_MINOR_TEXT;
    }
}
