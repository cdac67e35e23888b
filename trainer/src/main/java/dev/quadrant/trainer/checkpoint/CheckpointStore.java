package dev.quadrant.trainer.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.io.InputFiles;
import dev.quadrant.trainer.io.SafeTensors;
import dev.quadrant.trainer.io.SafeTensorsFile;

/**
 * Finding, checking and loading checkpoints. A checkpoint directory is {@code ROOT/step-NNNNNN} (the step, at least
 * six digits); it counts only if its {@code manifest.json} reads ({@link ManifestReader}) and each file it lists has
 * the recorded size and SHA-256. Names that start with a dot are a writer's temporary or discarded directories and
 * never count.
 *
 * <pre>{@code
 * Checkpoint newest = CheckpointStore.resolve(Path.of("runs/ck"));              // the newest valid one
 * Checkpoint one = CheckpointStore.resolve(Path.of("runs/ck/step-000200"));     // exactly this one
 * }</pre>
 *
 * <p>Stateless; thread-safe (but a directory that another process is pruning may vanish while it is read; that
 * checkpoint then does not count).
 */
public final class CheckpointStore {
    /** The parameters: one F32 tensor per parameter, as {@code quadrant train --save} writes them. */
    public static final String MODEL = "model.safetensors";
    /** The optimizer state: {@code STATE/PARAMETER} tensors and metadata {@code optimizer}, {@code steps}. */
    public static final String OPTIMIZER = "optimizer.safetensors";
    /** The manifest, written last. */
    public static final String MANIFEST = "manifest.json";
    /**
     * The manifest's own SHA-256, in {@code sha256sum} format ({@code HEX  manifest.json}), so that the manifest is
     * covered by a checksum like the files it lists ({@code sha256sum -c manifest.sha256} checks it by hand).
     */
    public static final String MANIFEST_SHA256 = "manifest.sha256";

    private static final Logger log = LoggerFactory.getLogger(CheckpointStore.class);
    private static final Pattern NAME = Pattern.compile("step-(\\d{6,18})");

    private CheckpointStore() {}

    /** The directory name of the checkpoint after {@code step} steps: {@code step-000123}. */
    public static String dirName(long step) {
        return String.format("step-%06d", step);
    }

    /** The step in a checkpoint directory's name, or -1 if it is not one. */
    public static long stepOf(Path dir) {
        Path name = dir.getFileName();
        Matcher m = name == null ? null : NAME.matcher(name.toString());
        return m != null && m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /** The checkpoint directories under {@code root} by name (not checked), highest step first; none if root is missing. */
    public static List<Path> list(Path root) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                if (stepOf(p) >= 0 && Files.isDirectory(p)) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw new UserInputException("checkpoint directory " + root + ": cannot list: " + e, e);
        }
        out.sort(Comparator.comparingLong(CheckpointStore::stepOf).reversed());
        return out;
    }

    /**
     * The {@code --resume} argument: {@code path} is one checkpoint (it holds a {@code manifest.json}), which must be
     * valid, or a directory of checkpoints, of which the newest valid one is taken (invalid ones are logged and
     * passed over).
     *
     * @throws UserInputException if there is no such directory or no valid checkpoint; the message says why each
     *     candidate was rejected
     */
    public static Checkpoint resolve(Path path) {
        if (!Files.isDirectory(path)) {
            throw new UserInputException("--resume " + path + ": " + (Files.exists(path) ? "not a directory"
                    : "no such directory") + "; expected a checkpoint directory (written by --checkpoint-dir)");
        }
        if (Files.exists(path.resolve(MANIFEST)) || stepOf(path) >= 0) {
            return load(path);
        }
        List<Path> candidates = list(path);
        if (candidates.isEmpty()) {
            throw new UserInputException("--resume " + path + ": no checkpoint in it (no step-NNNNNN directory with a "
                    + MANIFEST + "); was the run started with --checkpoint-dir " + path + "?");
        }
        List<String> rejected = new ArrayList<>();
        for (Path c : candidates) {
            try {
                Checkpoint ok = load(c);
                if (!rejected.isEmpty()) {
                    log.warn("resuming from {}, the newest valid checkpoint; passed over: {}", c,
                            String.join("; ", rejected));
                }
                return ok;
            } catch (UserInputException e) {
                rejected.add(e.getMessage());
            }
        }
        throw new UserInputException("--resume " + path + ": no valid checkpoint among " + candidates.size() + ": "
                + String.join("; ", rejected.subList(0, Math.min(3, rejected.size())))
                + (rejected.size() > 3 ? "; ..." : ""));
    }

    /**
     * Loads one checkpoint directory: reads the manifest, checks every file's size and SHA-256, reads the
     * safetensors files and checks that the optimizer file agrees with the manifest.
     *
     * @throws CheckpointFormatException naming the file and what is wrong
     */
    public static Checkpoint load(Path dir) {
        CheckpointManifest m = readManifest(dir);
        for (Map.Entry<String, CheckpointManifest.FileEntry> e : m.files().entrySet()) {
            verify(dir, e.getKey(), e.getValue());
        }
        SafeTensorsFile model = readSafeTensors(dir.resolve(MODEL));
        SafeTensorsFile optimizer = readSafeTensors(dir.resolve(OPTIMIZER));
        String kind = optimizer.metadata().get("optimizer");
        String steps = optimizer.metadata().get("steps");
        if (!m.run().optimizer().equals(kind)
                || !String.valueOf(m.progress().optimizerSteps()).equals(steps)) {
            throw new CheckpointFormatException("checkpoint " + dir + ": " + OPTIMIZER + " holds optimizer " + kind
                    + " after " + steps + " steps, the manifest says " + m.run().optimizer() + " after "
                    + m.progress().optimizerSteps());
        }
        return new Checkpoint(dir, m, model, optimizer);
    }

    /**
     * Reads the manifest of {@code dir} (a regular file, read once) and checks it against {@link #MANIFEST_SHA256}.
     * A checkpoint written before manifests had their checksum has none: it is read, with a warning.
     */
    private static CheckpointManifest readManifest(Path dir) {
        Path file = dir.resolve(MANIFEST);
        if (!Files.exists(file)) {
            return ManifestReader.read(file); // its message: an incomplete checkpoint
        }
        byte[] bytes;
        try {
            InputFiles.requireRegular("checkpoint manifest", file);
            bytes = InputFiles.readBounded("checkpoint manifest", file, ManifestReader.MAX_BYTES);
        } catch (UserInputException e) {
            throw new CheckpointFormatException(e.getMessage(), e);
        }
        CheckpointManifest manifest = ManifestReader.read(bytes, file.toString()); // its own errors first
        Path sums = dir.resolve(MANIFEST_SHA256);
        String actual = HexFormat.of().formatHex(newSha256().digest(bytes));
        if (Files.exists(sums, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            byte[] line;
            try {
                line = InputFiles.readBounded("checkpoint manifest checksum", sums, 4096);
            } catch (UserInputException e) {
                throw new CheckpointFormatException(e.getMessage(), e);
            }
            String expected = manifestSumLine(actual);
            if (!new String(line, java.nio.charset.StandardCharsets.UTF_8).equals(expected)) {
                throw new CheckpointFormatException("checkpoint " + dir + ": " + MANIFEST + " has sha256 " + actual
                        + ", which " + MANIFEST_SHA256 + " does not record (the manifest changed or is damaged)");
            }
        } else {
            log.warn("checkpoint {} has no {} (written by an older build): its manifest cannot be checked", dir,
                    MANIFEST_SHA256);
        }
        return manifest;
    }

    /** The content of {@link #MANIFEST_SHA256} for a manifest of SHA-256 {@code hex}. */
    static String manifestSumLine(String hex) {
        return hex + "  " + MANIFEST + "\n";
    }

    private static void verify(Path dir, String name, CheckpointManifest.FileEntry expected) {
        Path f = dir.resolve(name);
        try {
            long size = Files.size(f);
            if (size != expected.bytes()) {
                throw new CheckpointFormatException("checkpoint " + dir + ": " + name + " is " + size
                        + " bytes, the manifest records " + expected.bytes() + " (the file changed or is damaged)");
            }
            String sha = sha256(f);
            if (!sha.equals(expected.sha256())) {
                throw new CheckpointFormatException("checkpoint " + dir + ": " + name + ": sha256 is " + sha
                        + ", the manifest records " + expected.sha256() + " (the file changed or is damaged)");
            }
        } catch (NoSuchFileException e) {
            throw new CheckpointFormatException("checkpoint " + dir + ": " + name + " is missing");
        } catch (IOException e) {
            throw new CheckpointFormatException("checkpoint " + dir + ": cannot read " + name + ": " + e, e);
        }
    }

    private static SafeTensorsFile readSafeTensors(Path f) {
        try {
            return SafeTensors.read(f);
        } catch (IOException e) {
            throw new CheckpointFormatException("checkpoint file " + f + ": cannot read: " + e, e);
        }
    }

    /** The SHA-256 of a file's content, in lowercase hex. */
    static String sha256(Path f) throws IOException {
        MessageDigest md = newSha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
