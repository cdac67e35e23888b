package dev.quadrant.trainer.checkpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.io.AtomicFiles;
import dev.quadrant.trainer.io.NamedTensor;
import dev.quadrant.trainer.io.SafeTensors;
import dev.quadrant.trainer.nn.ParamLayout;

/**
 * Writes checkpoints into a root directory so that a crash at any moment (even {@code kill -9} or a power cut) leaves
 * only complete checkpoints visible, and keeps the newest {@code keep} of them.
 *
 * <p>One checkpoint, step by step: a temporary directory {@code .step-000123.tmp-RANDOM} is created; the two
 * safetensors files are written into it, each flushed and forced to disk ({@link AtomicFiles}) while its SHA-256 is
 * computed; then {@code manifest.json} with those sizes and checksums, last; the temporary directory is forced and
 * renamed to {@code step-000123} in one atomic rename; the root directory is forced so that the rename is durable.
 * Then the oldest checkpoints beyond {@code keep} are first renamed away ({@code .deleting-...}, atomically, so they
 * stop counting at once) and deleted. Temporary and half-deleted directories left by a crash start with a dot, never
 * count, and are removed when the next writer opens the root.
 *
 * <pre>{@code
 * CheckpointWriter w = new CheckpointWriter(Path.of("runs/ck"), 3);
 * Path written = w.write(manifest, layout, parameters, optimizer.downloadState());
 * }</pre>
 *
 * <p>Not thread-safe; one writer per root directory (two runs must not share one).
 */
public final class CheckpointWriter {
    private static final Logger log = LoggerFactory.getLogger(CheckpointWriter.class);
    private static final Pattern LEFTOVER = Pattern.compile("\\.(step-\\d+\\.(tmp|old)|deleting-step-\\d+)-[0-9a-f]+");

    private final Path root;
    private final int keep;

    /**
     * Opens (and creates) {@code root}, removing what crashed writers left there.
     *
     * @param keep how many checkpoints to keep, at least 1
     * @throws UserInputException if the directory cannot be created or {@code keep < 1}
     */
    public CheckpointWriter(Path root, int keep) {
        if (keep < 1) {
            throw new UserInputException("--keep-checkpoints must be >= 1, got " + keep);
        }
        this.root = root;
        this.keep = keep;
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UserInputException("--checkpoint-dir " + root + ": cannot create the directory: " + e, e);
        }
        removeLeftovers();
    }

    public Path root() { return root; }

    /** The checkpoints now in the root (by name, newest first), as {@link CheckpointStore#list}. */
    public List<Path> existing() {
        return CheckpointStore.list(root);
    }

    /**
     * Writes one checkpoint atomically (see the class comment) and prunes old ones.
     *
     * @param manifest the manifest; its {@code files} are replaced by the sizes and checksums written
     * @param layout the parameter layout of {@code parameters} and of each optimizer state buffer
     * @param parameters the flat parameter buffer, saved as one tensor per parameter ({@code model.safetensors})
     * @param optimizerState the optimizer's flat state buffers by name ({@code adam.m}, ...), saved as
     *     {@code NAME/PARAMETER} tensors in {@code optimizer.safetensors} with metadata {@code optimizer} (the
     *     manifest's {@code run.optimizer}) and {@code steps} ({@code progress.optimizer_steps})
     * @return the checkpoint's directory
     * @throws UserInputException if the file system fails (full disk, permissions); no partial checkpoint counts
     */
    public Path write(CheckpointManifest manifest, ParamLayout layout, float[] parameters,
                      Map<String, float[]> optimizerState) {
        return write(manifest, layout, parameters, optimizerState, Map.of("format", "quadrant-model"));
    }

    /**
     * As {@link #write(CheckpointManifest, ParamLayout, float[], Map)}, with {@code modelMetadata} as the metadata of
     * {@code model.safetensors} (what a {@code --save} file records, so that the checkpoint's model file can be
     * evaluated and sampled like one).
     */
    public Path write(CheckpointManifest manifest, ParamLayout layout, float[] parameters,
                      Map<String, float[]> optimizerState, Map<String, String> modelMetadata) {
        List<NamedTensor> model = StateTensors.split("", layout, parameters);
        List<NamedTensor> optimizer = new ArrayList<>();
        for (Map.Entry<String, float[]> e : optimizerState.entrySet()) {
            optimizer.addAll(StateTensors.split(e.getKey() + Checkpoint.STATE_SEPARATOR, layout, e.getValue()));
        }
        Map<String, String> optimizerMetadata = Map.of("format", "quadrant-optimizer-state",
                "optimizer", manifest.run().optimizer(),
                "steps", Long.toString(manifest.progress().optimizerSteps()));
        String name = CheckpointStore.dirName(manifest.progress().step());
        Path target = root.resolve(name);
        Path tmp = root.resolve("." + name + ".tmp-" + randomHex());
        try {
            Files.createDirectory(tmp);
            Map<String, CheckpointManifest.FileEntry> files = new LinkedHashMap<>();
            files.put(CheckpointStore.MODEL, writeTensors(tmp.resolve(CheckpointStore.MODEL), model,
                    modelMetadata));
            files.put(CheckpointStore.OPTIMIZER, writeTensors(tmp.resolve(CheckpointStore.OPTIMIZER), optimizer,
                    optimizerMetadata));
            byte[] json = manifest.withFiles(files).toJson();
            AtomicFiles.write(tmp.resolve(CheckpointStore.MANIFEST), out -> out.write(json)); // last: forces tmp too
            Path old = null;
            if (Files.exists(target)) { // the same step again (a resumed run): swap, never delete first
                old = root.resolve("." + name + ".old-" + randomHex());
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            forceDirectory(root);
            if (old != null) {
                deleteTree(old);
            }
        } catch (IOException e) {
            try {
                deleteTree(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UserInputException("--checkpoint-dir " + root + ": cannot write checkpoint " + name + ": " + e, e);
        }
        prune();
        return target;
    }

    /**
     * Renames checkpoints newer than {@code step} to {@code step-NNNNNN.superseded} so that they stop counting: a run
     * resumed from an older checkpoint of this root writes a new future, and the newest checkpoint must be its.
     */
    public void supersedeAfter(long step) {
        for (Path p : existing()) {
            if (CheckpointStore.stepOf(p) > step) {
                Path aside = root.resolve(p.getFileName() + ".superseded");
                for (int i = 2; Files.exists(aside); i++) {
                    aside = root.resolve(p.getFileName() + ".superseded-" + i);
                }
                try {
                    Files.move(p, aside, StandardCopyOption.ATOMIC_MOVE);
                    log.warn("{} is ahead of the checkpoint this run resumed from (step {}); renamed it to {} so "
                            + "that it is not taken as the newest", p, step, aside.getFileName());
                } catch (IOException e) {
                    throw new UserInputException("--checkpoint-dir " + root + ": cannot rename " + p + " aside: " + e, e);
                }
            }
        }
        try {
            forceDirectory(root);
        } catch (IOException e) {
            throw new UserInputException("--checkpoint-dir " + root + ": cannot sync the directory: " + e, e);
        }
    }

    /** Deletes the oldest checkpoints beyond {@code keep}. */
    private void prune() {
        List<Path> all = existing();
        for (Path p : all.subList(Math.min(keep, all.size()), all.size())) {
            try {
                Path aside = root.resolve(".deleting-" + p.getFileName() + "-" + randomHex());
                Files.move(p, aside, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(aside);
            } catch (IOException e) {
                log.warn("could not delete old checkpoint {}: {}", p, e.toString());
            }
        }
    }

    private void removeLeftovers() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                if (LEFTOVER.matcher(p.getFileName().toString()).matches()) {
                    log.info("removing {}, left by an interrupted checkpoint write", p);
                    deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw new UserInputException("--checkpoint-dir " + root + ": cannot clean up: " + e, e);
        }
    }

    private static CheckpointManifest.FileEntry writeTensors(Path file, List<NamedTensor> tensors,
                                                             Map<String, String> metadata) throws IOException {
        MessageDigest sha = CheckpointStore.newSha256();
        long[] bytes = {0};
        AtomicFiles.write(file, out -> {
            OutputStream counted = new DigestOutputStream(out, sha) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    super.write(b, off, len);
                    bytes[0] += len;
                }

                @Override
                public void write(int b) throws IOException {
                    super.write(b);
                    bytes[0]++;
                }
            };
            SafeTensors.writeTo(counted, tensors, metadata);
            counted.flush();
        });
        return new CheckpointManifest.FileEntry(bytes[0], HexFormat.of().formatHex(sha.digest()));
    }

    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String randomHex() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    @Override
    public String toString() {
        return "CheckpointWriter[" + root + ", keep " + keep + "]";
    }
}
