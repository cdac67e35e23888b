package dev.quadrant.trainer.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

import dev.quadrant.device.UserInputException;

/**
 * Every file and directory one command reads and writes, declared up front and checked together before anything is
 * opened for writing: the one mechanism behind {@code --save}, {@code --metrics}, {@code --checkpoint-dir} and
 * {@code plot --out}. {@link #check()} refuses, with one line naming the option and the path:
 * <ul>
 *   <li>an output that is also an input ({@code --metrics} naming the {@code --load} file or the {@code --data csv:}
 *       file), or lies inside an input directory (a {@code --resume} checkpoint), or that two outputs share;</li>
 *   <li>an output file that is a directory, a symbolic link, a device, a FIFO or a socket. Outputs are written to a
 *       temporary file and renamed into place ({@link AtomicFiles}), which would replace a link or a device node
 *       instead of writing through it, so the policy is: outputs are regular files or new names; give a link's
 *       target path instead of the link. (Output directories and the parents of outputs may be links.)</li>
 *   <li>an output whose parent is not a directory or not writable, or whose nearest existing ancestor cannot hold
 *       the directories to be created; a name too long for the temporary file beside it
 *       ({@value #MAX_NAME_BYTES} bytes of file name, {@value #MAX_PATH_BYTES} of path);</li>
 *   <li>an input file that is not a regular file ({@link InputFiles#requireRegular}).</li>
 * </ul>
 * Checking writes nothing; the parents of outputs are created later, when the first output is written.
 *
 * <pre>{@code
 * OutputPaths.create()
 *         .inputFile("--load", load)
 *         .outputFile("--save", save)
 *         .outputDir("--checkpoint-dir", checkpoints)
 *         .check();
 * }</pre>
 *
 * <p>Mutable until {@link #check()}; not thread-safe.
 */
public final class OutputPaths {
    /** The longest output file name: 255 bytes less what {@link AtomicFiles} adds for its temporary file. */
    public static final int MAX_NAME_BYTES = 255 - AtomicFiles.TEMP_NAME_EXTRA_BYTES;
    /** The longest output path (Linux's PATH_MAX less the temporary file's extra bytes). */
    public static final int MAX_PATH_BYTES = 4095 - AtomicFiles.TEMP_NAME_EXTRA_BYTES;

    private enum Kind { INPUT_FILE, INPUT_TREE, OUTPUT_FILE, APPEND_FILE, OUTPUT_DIR }

    private record Entry(Kind kind, String option, Path path) {}

    private final List<Entry> entries = new ArrayList<>();

    private OutputPaths() {}

    /** An empty declaration. */
    public static OutputPaths create() {
        return new OutputPaths();
    }

    /** A file the command reads; null is ignored. */
    public OutputPaths inputFile(String option, Path file) {
        return add(Kind.INPUT_FILE, option, file);
    }

    /** A directory the command reads, none of whose files may be written (a checkpoint); null is ignored. */
    public OutputPaths inputTree(String option, Path dir) {
        return add(Kind.INPUT_TREE, option, dir);
    }

    /** A file the command replaces (or creates); null is ignored. */
    public OutputPaths outputFile(String option, Path file) {
        return add(Kind.OUTPUT_FILE, option, file);
    }

    /** A file the command appends to in place (a resumed run's metrics); it must be writable; null is ignored. */
    public OutputPaths appendFile(String option, Path file) {
        return add(Kind.APPEND_FILE, option, file);
    }

    /** A directory the command writes into (created if missing); null is ignored. */
    public OutputPaths outputDir(String option, Path dir) {
        return add(Kind.OUTPUT_DIR, option, dir);
    }

    private OutputPaths add(Kind kind, String option, Path p) {
        if (p != null) {
            entries.add(new Entry(kind, option, p));
        }
        return this;
    }

    /**
     * Checks every declared path (see the class comment); writes nothing.
     *
     * @throws UserInputException for the first problem, naming the option, the path and what was expected
     */
    public void check() {
        for (Entry e : entries) {
            switch (e.kind()) {
                case INPUT_FILE -> InputFiles.requireRegular(e.option(), e.path());
                case OUTPUT_FILE, APPEND_FILE -> checkOutputFile(e);
                case OUTPUT_DIR -> checkOutputDir(e);
                case INPUT_TREE -> { }
            }
        }
        for (int i = 0; i < entries.size(); i++) {
            Entry out = entries.get(i);
            if (!isOutputFile(out.kind())) {
                continue;
            }
            Path key = identity(out.path());
            for (int j = 0; j < entries.size(); j++) {
                Entry other = entries.get(j);
                if (i == j || other.kind() == Kind.OUTPUT_DIR || isOutputFile(other.kind()) && j > i) {
                    continue;
                }
                Path otherKey = identity(other.path());
                boolean clash = other.kind() == Kind.INPUT_TREE ? key.startsWith(otherKey) : key.equals(otherKey);
                if (clash) {
                    String role = isOutputFile(other.kind()) ? "the output of " : other.kind() == Kind.INPUT_TREE
                            ? "inside the input of " : "the input of ";
                    throw new UserInputException(out.option() + " " + out.path() + " is " + role + other.option()
                            + " " + other.path() + "; writing it would destroy "
                            + (isOutputFile(other.kind()) ? "the other output" : "what the run reads")
                            + ": choose another path for " + out.option());
                }
            }
        }
    }

    private static boolean isOutputFile(Kind k) {
        return k == Kind.OUTPUT_FILE || k == Kind.APPEND_FILE;
    }

    private static void checkOutputFile(Entry e) {
        Path p = e.path();
        Path abs = p.toAbsolutePath().normalize();
        Path name = abs.getFileName();
        if (name == null) {
            throw new UserInputException(e.option() + " " + p + ": expected a file name, got a root directory");
        }
        int nameBytes = name.toString().getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes > MAX_NAME_BYTES) {
            throw new UserInputException(e.option() + " " + p + ": the file name is " + nameBytes + " bytes; at most "
                    + MAX_NAME_BYTES + " fit (its temporary file while it is written needs "
                    + AtomicFiles.TEMP_NAME_EXTRA_BYTES + " more of the file system's 255)");
        }
        int pathBytes = abs.toString().getBytes(StandardCharsets.UTF_8).length;
        if (pathBytes > MAX_PATH_BYTES) {
            throw new UserInputException(e.option() + " " + p + ": the path is " + pathBytes + " bytes; at most "
                    + MAX_PATH_BYTES + " are supported");
        }
        BasicFileAttributes a = attributes(p);
        if (a != null) {
            if (a.isSymbolicLink()) {
                throw new UserInputException(e.option() + " " + p + ": is a symbolic link; outputs are written to a "
                        + "temporary file and renamed into place, which would replace the link, not its target: give "
                        + "the target's path, or remove the link");
            }
            if (a.isDirectory()) {
                throw new UserInputException(e.option() + " " + p + ": is a directory; expected a file name (e.g. "
                        + p.resolve(e.option().equals("--metrics") ? "metrics.jsonl" : "model.safetensors") + ")");
            }
            if (!a.isRegularFile()) {
                throw new UserInputException(e.option() + " " + p + ": is " + InputFiles.kind(p) + ", not a regular "
                        + "file; outputs are only written to regular files or new names");
            }
            if (e.kind() == Kind.APPEND_FILE && !Files.isWritable(p)) {
                throw new UserInputException(e.option() + " " + p + ": not writable (permissions)");
            }
        }
        checkParent(e.option(), p, abs.getParent());
    }

    private static void checkOutputDir(Entry e) {
        Path p = e.path();
        Path abs = p.toAbsolutePath().normalize();
        int pathBytes = abs.toString().getBytes(StandardCharsets.UTF_8).length;
        if (pathBytes > MAX_PATH_BYTES - 64) {
            throw new UserInputException(e.option() + " " + p + ": the path is " + pathBytes + " bytes; at most "
                    + (MAX_PATH_BYTES - 64) + " leave room for the files written inside it");
        }
        if (Files.exists(p)) {
            if (!Files.isDirectory(p)) {
                throw new UserInputException(e.option() + " " + p + ": is not a directory (" + describe(p) + ")");
            }
            if (!Files.isWritable(p)) {
                throw new UserInputException(e.option() + " " + p + ": the directory is not writable (permissions "
                        + "or a read-only file system)");
            }
            return;
        }
        checkParent(e.option(), p, abs.getParent());
    }

    /** The parent must be a writable directory, or be creatable under the nearest existing ancestor. */
    private static void checkParent(String option, Path p, Path parent) {
        if (parent == null) {
            return;
        }
        Path existing = parent;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new UserInputException(option + " " + p + ": no part of its directory " + parent + " exists");
        }
        if (!Files.isDirectory(existing)) {
            throw new UserInputException(option + " " + p + ": " + existing + " is not a directory (" + describe(existing)
                    + "), so " + (existing.equals(parent) ? "the file" : "the directory " + parent)
                    + " cannot be created in it");
        }
        if (!Files.isWritable(existing) || !Files.isExecutable(existing)) {
            throw new UserInputException(option + " " + p + ": the directory " + existing + " is not writable "
                    + "(permissions or a read-only file system)" + (existing.equals(parent) ? ""
                    : ", so " + parent + " cannot be created"));
        }
    }

    private static String describe(Path p) {
        BasicFileAttributes a = attributes(p);
        return a == null ? "missing" : a.isRegularFile() ? "a file" : InputFiles.kind(p);
    }

    private static BasicFileAttributes attributes(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The path that {@code p} names on disk, links resolved: its real path, or (for a path not yet there) the real
     * path of its nearest existing ancestor with the rest appended.
     */
    static Path identity(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null) {
            try {
                Path real = existing.toRealPath();
                return real.resolve(existing.relativize(abs)).normalize();
            } catch (IOException e) {
                existing = existing.getParent();
            }
        }
        return abs;
    }
}
