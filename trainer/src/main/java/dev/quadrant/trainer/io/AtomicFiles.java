package dev.quadrant.trainer.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * All-or-nothing replacement of a file: readers of {@code target} see either the old content or the complete new
 * one, never a torn write, even if the process or the machine dies half way.
 *
 * <p>{@link #write} writes to a temporary file in the target's directory ({@code .NAME.PID-RANDOM.tmp}), flushes it and
 * forces it to disk ({@link FileChannel#force}), renames it over the target with {@code ATOMIC_MOVE} and
 * {@code REPLACE_EXISTING}, then forces the directory so that the rename itself is durable. If the body or any
 * step up to the rename fails, the temporary file is deleted and the old target is untouched.
 *
 * <p>The target must be a regular file or a new name: a symbolic link, a directory, a device node or a FIFO is
 * refused ({@link IOException}) rather than replaced by the rename. A process killed while writing leaves its
 * temporary file; the next write of the same target removes such leftovers: those whose process (the PID in the
 * name) no longer runs on this machine and that were last modified more than {@link #STALE_AFTER_MILLIS} ms ago (so
 * a live writer on another host sharing the directory keeps its file), and those of the older
 * {@code .NAME.RANDOM.tmp} form older than that.
 *
 * <pre>{@code
 * AtomicFiles.write(Path.of("runs/ckpt.safetensors"), out -> out.write(bytes));
 * }</pre>
 *
 * <p>Thread-safety: stateless; concurrent writes to the same target each succeed atomically and the last rename
 * wins.
 */
public final class AtomicFiles {
    /** Bytes the temporary file's name adds to the target's: a dot, {@code .PID-} (up to 10 digits), 16 hex, {@code .tmp}. */
    public static final int TEMP_NAME_EXTRA_BYTES = 34;
    /** A leftover temporary file is removed only once it is at least this old. */
    public static final long STALE_AFTER_MILLIS = 10 * 60 * 1000L;

    private static final java.util.regex.Pattern TEMP = java.util.regex.Pattern.compile(
            "\\.(.+)\\.(?:(\\d{1,10})-)?[0-9a-f]{1,16}\\.tmp");

    private AtomicFiles() {}

    /**
     * Replaces {@code target} with what {@code body} writes to the stream it is given (buffered; the body may close
     * it or not).
     *
     * @throws IOException from the body or the file system; if it comes from the final directory fsync the new
     *     content is already in place, but may not survive a power loss
     */
    public static void write(Path target, IoConsumer<OutputStream> body) throws IOException {
        Objects.requireNonNull(body, "body");
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null || absolute.getFileName() == null) {
            throw new IOException("cannot write " + target + ": it has no parent directory");
        }
        requireReplaceable(absolute);
        removeStaleTemps(dir, absolute.getFileName().toString());
        Path tmp = createTemp(dir, absolute.getFileName().toString());
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                BufferedOutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                body.accept(new FilterOutputStream(out) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void close() throws IOException {
                        out.flush(); // the channel stays open until it has been forced
                    }
                });
                out.flush();
                channel.force(true);
            }
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable failure) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
            throw failure;
        }
        forceDirectory(dir);
    }

    /** Refuses a target that a rename would replace instead of writing: anything but a regular file or nothing. */
    private static void requireReplaceable(Path target) throws IOException {
        java.nio.file.attribute.BasicFileAttributes a;
        try {
            a = Files.readAttributes(target, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        if (!a.isRegularFile()) {
            throw new IOException("cannot write " + target + ": it is " + (a.isSymbolicLink() ? "a symbolic link"
                    : a.isDirectory() ? "a directory" : InputFiles.kind(target)) + ", not a regular file; outputs are "
                    + "replaced by a rename, which would replace it instead of writing through it");
        }
    }

    /**
     * Removes the temporary files of writes of {@code name} in {@code dir} that crashed (see the class comment).
     *
     * @return how many were removed
     */
    static int removeStaleTemps(Path dir, String name) throws IOException {
        int removed = 0;
        long now = System.currentTimeMillis();
        try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "." + globEscape(name) + ".*.tmp")) {
            for (Path p : ds) {
                java.util.regex.Matcher m = TEMP.matcher(p.getFileName().toString());
                if (!m.matches() || !m.group(1).equals(name) || !Files.isRegularFile(p,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                long age = now - Files.getLastModifiedTime(p, java.nio.file.LinkOption.NOFOLLOW_LINKS).toMillis();
                boolean alive = m.group(2) != null && ProcessHandle.of(Long.parseLong(m.group(2)))
                        .map(ProcessHandle::isAlive).orElse(false);
                if (age >= STALE_AFTER_MILLIS && !alive && Files.deleteIfExists(p)) {
                    removed++;
                    org.slf4j.LoggerFactory.getLogger(AtomicFiles.class).info(
                            "removed {}, the temporary file of an interrupted write of {}", p, name);
                }
            }
        }
        return removed;
    }

    private static String globEscape(String s) {
        return s.replaceAll("([*?\\[\\]{}\\\\])", "\\\\$1");
    }

    private static Path createTemp(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + ProcessHandle.current().pid() + "-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                // CREATE_NEW with the default permissions (umask), unlike Files.createTempFile's owner-only ones:
                // the renamed file should look like any other file the user writes.
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
