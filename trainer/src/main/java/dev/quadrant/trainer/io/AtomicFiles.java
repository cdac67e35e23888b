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
 * <p>{@link #write} writes to a temporary file in the target's directory ({@code .NAME.RANDOM.tmp}), flushes it and
 * forces it to disk ({@link FileChannel#force}), renames it over the target with {@code ATOMIC_MOVE} and
 * {@code REPLACE_EXISTING}, then forces the directory so that the rename itself is durable. If the body or any
 * step up to the rename fails, the temporary file is deleted and the old target is untouched.
 *
 * <pre>{@code
 * AtomicFiles.write(Path.of("runs/ckpt.safetensors"), out -> out.write(bytes));
 * }</pre>
 *
 * <p>Thread-safety: stateless; concurrent writes to the same target each succeed atomically and the last rename
 * wins.
 */
public final class AtomicFiles {
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

    private static Path createTemp(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
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
