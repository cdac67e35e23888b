package dev.quadrant.bindings.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Finds the CUDA and NCCL shared libraries on disk, in pure Java: no native code is loaded and no
 * {@code org.bytedeco.cuda} class is touched, so this is safe on any machine.
 *
 * <p>Searched, in order: the directories in the system property {@code quadrant.cuda.libdirs} (path-separated),
 * {@code LD_LIBRARY_PATH}, {@code $CUDA_HOME}/{@code $CUDA_PATH}, {@code /usr/local/cuda*}, Python
 * {@code site-packages/nvidia/*}{@code /lib} (pip wheels, in {@code $VIRTUAL_ENV}, {@code $CONDA_PREFIX},
 * {@code ~/.local}, {@code /usr/local}, {@code /usr}, {@code /opt/conda}), the directories listed in
 * {@code /etc/ld.so.conf.d}, and the system library directories.
 *
 * <p>Immutable and thread-safe once built.
 *
 * <pre>{@code
 * NativeLibraries libs = NativeLibraries.search(NativeLibraries.cudaMajorOfPresets());
 * if (libs.missingRequired().isEmpty()) ...; else System.out.println(libs.report());
 * }</pre>
 */
public final class NativeLibraries {

    /**
     * One library Quadrant needs: its soname, what it is for, and whether CUDA is unusable without it. A
     * {@code versioned} library's file names carry a minor version after the soname ({@code libnvrtc-builtins.so.13.0}
     * for {@code libnvrtc-builtins.so.13}); the newest file found is taken.
     */
    public record Library(String soname, String purpose, boolean required, boolean versioned) {
        public Library(String soname, String purpose, boolean required) {
            this(soname, purpose, required, false);
        }
    }

    /** The system property that makes a forward-compatibility {@code compat/libcuda.so.1} win over the driver's. */
    public static final String PREFER_COMPAT = "quadrant.cuda.compat";

    private final int cudaMajor;
    private final List<Path> searched;
    private final Map<Library, Path> found;
    private final Set<Path> linkerDirs;
    private final boolean preferCompat;

    private NativeLibraries(int cudaMajor, List<Path> searched, Map<Library, Path> found, Set<Path> linkerDirs,
                            boolean preferCompat) {
        this.cudaMajor = cudaMajor;
        this.preferCompat = preferCompat;
        this.searched = List.copyOf(searched);
        this.found = Collections.unmodifiableMap(new LinkedHashMap<>(found));
        this.linkerDirs = Set.copyOf(linkerDirs);
    }

    /** The libraries the CUDA backend needs for CUDA {@code major}, in the order they must be loaded. */
    public static List<Library> libraries(int major) {
        return List.of(
                new Library("libcuda.so.1", "the NVIDIA driver", true),
                new Library("libcudart.so." + major, "the CUDA " + major + " runtime", true),
                new Library("libcublasLt.so." + major, "cuBLASLt (needed by cuBLAS)", true),
                new Library("libcublas.so." + major, "cuBLAS", true),
                new Library("libnvrtc.so." + major, "NVRTC (compiles Quadrant's kernels)", true),
                new Library("libnvrtc-builtins.so." + major, "NVRTC's built-in headers (loaded by NVRTC at its first "
                        + "compile)", true, true),
                new Library("libnccl.so.2", "NCCL (multi-GPU collectives)", false));
    }

    /**
     * The CUDA major version the bundled presets were built for, read from the presets jar's Maven metadata (a plain
     * resource read, no class loading); 13 when it cannot be read.
     */
    public static int cudaMajorOfPresets() {
        try (InputStream in = NativeLibraries.class.getResourceAsStream("/META-INF/maven/org.bytedeco/cuda/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                int dot = v.indexOf('.');
                if (dot > 0) {
                    return Integer.parseInt(v.substring(0, dot));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through to the default: the presets this build pins by default
        }
        return 13;
    }

    /** Searches the standard places of this machine for CUDA {@code major}'s libraries. */
    public static NativeLibraries search(int major) {
        return search(major, System.getenv(), System.getProperty("quadrant.cuda.libdirs", ""),
                Paths.get(System.getProperty("user.home", "/nonexistent")), Paths.get("/"),
                Boolean.getBoolean(PREFER_COMPAT));
    }

    /** As {@link #search(int, Map, String, Path, Path, boolean)}, preferring the installed driver's libcuda. */
    public static NativeLibraries search(int major, Map<String, String> env, String extraDirs, Path home, Path root) {
        return search(major, env, extraDirs, home, root, false);
    }

    /**
     * Searches with an explicit environment, extra directories and file-system root (for tests: a fake tree under a
     * temporary directory stands for {@code /}).
     *
     * <p>{@code libcuda.so.1} is taken from the installed driver (the system directories, the linker path) before
     * any {@code compat/} directory of a CUDA toolkit: a forward-compatibility libcuda works only with the datacenter
     * driver branch it was made for, and loading it over a newer driver breaks CUDA. {@code preferCompat} (the system
     * property {@value #PREFER_COMPAT}) reverses that. {@code libnvrtc-builtins} is looked for next to the
     * {@code libnvrtc} found first (the pip wheel's libnvrtc has no {@code $ORIGIN} RUNPATH, so NVRTC cannot find it
     * by itself), then everywhere else.
     */
    public static NativeLibraries search(int major, Map<String, String> env, String extraDirs, Path home, Path root,
                                         boolean preferCompat) {
        Set<Path> dirs = new LinkedHashSet<>();
        Set<Path> linker = new LinkedHashSet<>();
        addPathList(dirs, extraDirs, null);
        addPathList(dirs, env.getOrDefault("LD_LIBRARY_PATH", ""), linker);
        for (String var : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
            String v = env.get(var);
            if (v != null && !v.isEmpty()) {
                addCudaHome(dirs, Paths.get(v));
            }
        }
        Path usrLocal = root.resolve("usr/local");
        addCudaHome(dirs, usrLocal.resolve("cuda"));
        for (Path p : globDirs(usrLocal, "cuda-*")) {
            addCudaHome(dirs, p);
        }
        List<Path> pyBases = new ArrayList<>();
        for (String var : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
            String v = env.get(var);
            if (v != null && !v.isEmpty()) {
                pyBases.add(Paths.get(v));
            }
        }
        pyBases.add(home.resolve(".local"));
        pyBases.add(usrLocal);
        pyBases.add(root.resolve("usr"));
        pyBases.add(root.resolve("opt/conda"));
        for (Path base : pyBases) {
            for (Path py : globDirs(base.resolve("lib"), "python3*")) {
                for (String pk : new String[] {"site-packages", "dist-packages"}) {
                    for (Path nv : globDirs(py.resolve(pk).resolve("nvidia"), "*")) {
                        dirs.add(nv.resolve("lib"));
                    }
                }
            }
        }
        for (Path d : ldSoConfDirs(root)) {
            dirs.add(d);
            linker.add(d);
        }
        for (String sys : new String[] {"usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu", "usr/lib64", "lib64",
                "usr/lib", "lib", "usr/lib/wsl/lib"}) {
            Path d = root.resolve(sys);
            dirs.add(d);
            linker.add(d);
        }
        Map<Library, Path> found = new LinkedHashMap<>();
        for (Library lib : libraries(major)) {
            List<Path> order = new ArrayList<>(dirs);
            if (lib.soname().equals("libcuda.so.1")) {
                order.sort(Comparator.comparing(d -> isCompat(d) != preferCompat));   // stable: otherwise as searched
            } else if (lib.versioned()) {
                Path nvrtc = found.get(libraries(major).get(4));
                if (nvrtc != null) {
                    order.add(0, nvrtc.getParent());
                }
            }
            for (Path d : order) {
                Path f = lib.versioned() ? newestVersioned(d, lib.soname()) : d.resolve(lib.soname());
                if (f != null && Files.isRegularFile(f)) {   // follows symbolic links: a dangling link does not count
                    found.put(lib, f);
                    break;
                }
            }
        }
        return new NativeLibraries(major, new ArrayList<>(dirs), found, linker, preferCompat);
    }

    /** A CUDA toolkit's forward-compatibility directory ({@code /usr/local/cuda-13.0/compat}). */
    static boolean isCompat(Path dir) {
        Path name = dir.getFileName();
        return name != null && name.toString().equals("compat");
    }

    /** {@code dir/soname} itself, else the newest {@code dir/soname.N...}, else null. */
    private static Path newestVersioned(Path dir, String soname) {
        if (Files.isRegularFile(dir.resolve(soname))) {
            return dir.resolve(soname);
        }
        if (!Files.isDirectory(dir)) {
            return null;
        }
        List<Path> hits = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, soname + ".*")) {
            ds.forEach(hits::add);
        } catch (IOException | SecurityException e) {
            return null;
        }
        hits.removeIf(p -> !Files.isRegularFile(p));
        hits.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
        return hits.isEmpty() ? null : hits.get(0);
    }

    private static void addPathList(Set<Path> dirs, String list, Set<Path> alsoTo) {
        for (String s : list.split(java.io.File.pathSeparator)) {
            if (!s.isBlank()) {
                Path p = Paths.get(s.trim());
                dirs.add(p);
                if (alsoTo != null) {
                    alsoTo.add(p);
                }
            }
        }
    }

    private static void addCudaHome(Set<Path> dirs, Path home) {
        dirs.add(home.resolve("lib64"));
        dirs.add(home.resolve("targets/x86_64-linux/lib"));
        dirs.add(home.resolve("lib"));
        dirs.add(home.resolve("compat"));
    }

    /** Subdirectories of {@code dir} matching {@code glob}, newest version first (reverse name order). */
    private static List<Path> globDirs(Path dir, String glob) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            for (Path p : ds) {
                if (Files.isDirectory(p)) {
                    out.add(p);
                }
            }
        } catch (IOException | SecurityException e) {
            return out;   // an unreadable directory holds nothing we can use
        }
        out.sort(Comparator.comparing(Path::toString).reversed());
        return out;
    }

    /** Absolute directories from {@code /etc/ld.so.conf.d/*.conf} (what the dynamic linker's cache covers). */
    private static List<Path> ldSoConfDirs(Path root) {
        List<Path> out = new ArrayList<>();
        Path confD = root.resolve("etc/ld.so.conf.d");
        if (!Files.isDirectory(confD)) {
            return out;
        }
        List<Path> confs = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(confD, "*.conf")) {
            ds.forEach(confs::add);
        } catch (IOException | SecurityException e) {
            return out;
        }
        Collections.sort(confs);
        for (Path conf : confs) {
            try {
                for (String line : Files.readAllLines(conf)) {
                    String s = line.strip();
                    if (s.startsWith("/")) {
                        out.add(root.resolve(s.substring(1)));
                    }
                }
            } catch (IOException | SecurityException e) {
                // skip an unreadable file
            }
        }
        return out;
    }

    /**
     * Which libcuda was found, for {@code quadrant devices}: the installed driver's, or a toolkit's forward-compatibility
     * one (and whether that was asked for).
     */
    public String driverChoice() {
        Path p = path("libcuda.so.1");
        if (p == null) {
            return "no libcuda.so.1 found";
        }
        if (isCompat(p.getParent())) {
            return p + ": a CUDA forward-compatibility libcuda (" + (preferCompat ? "-D" + PREFER_COMPAT + "=true"
                    : "no driver libcuda.so.1 was found") + ")";
        }
        return p + ": the installed driver's" + (preferCompat ? " (no compat/ libcuda was found although -D"
                + PREFER_COMPAT + "=true)" : " (a compat/ libcuda is used only with -D" + PREFER_COMPAT + "=true)");
    }

    /** The CUDA major version searched for. */
    public int cudaMajor() { return cudaMajor; }

    /** Every directory looked in, in order. */
    public List<Path> searched() { return searched; }

    /** Where each found library is. */
    public Map<Library, Path> found() { return found; }

    /** The file of {@code soname}, or null. */
    public Path path(String soname) {
        for (Map.Entry<Library, Path> e : found.entrySet()) {
            if (e.getKey().soname().equals(soname)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** Required libraries that were not found. */
    public List<Library> missingRequired() {
        List<Library> out = new ArrayList<>();
        for (Library l : libraries(cudaMajor)) {
            if (l.required() && !found.containsKey(l)) {
                out.add(l);
            }
        }
        return out;
    }

    /** Optional libraries that were not found. */
    public List<Library> missingOptional() {
        List<Library> out = new ArrayList<>();
        for (Library l : libraries(cudaMajor)) {
            if (!l.required() && !found.containsKey(l)) {
                out.add(l);
            }
        }
        return out;
    }

    /**
     * True if the dynamic linker finds {@code lib} by itself (its directory is in {@code LD_LIBRARY_PATH}, the
     * linker cache's configuration or a system directory); a library found elsewhere (a pip wheel, say) must be
     * loaded by absolute path before the presets load.
     */
    public boolean onLinkerPath(Library lib) {
        Path p = found.get(lib);
        return p != null && linkerDirs.contains(p.getParent());
    }

    /** The directories of found libraries, without repeats, for {@code LD_LIBRARY_PATH}. */
    public List<Path> foundDirs() {
        Set<Path> s = new LinkedHashSet<>();
        for (Path p : found.values()) {
            s.add(p.getParent());
        }
        return new ArrayList<>(s);
    }

    /** Multi-line text: one line per library (path or "missing"), then the directories searched. */
    public String report() {
        StringBuilder b = new StringBuilder();
        for (Library l : libraries(cudaMajor)) {
            Path p = found.get(l);
            b.append(String.format("  %-22s %s%n", l.soname(), p != null ? p
                    : "MISSING (" + l.purpose() + (l.required() ? ", required)" : ", optional)")));
        }
        b.append("  searched: ");
        int n = 0;
        for (Path d : searched) {
            if (n++ > 0) {
                b.append(':');
            }
            b.append(d);
        }
        return b.toString();
    }
}
