package dev.quadrant.trainer.checkpoint;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quadrant.device.UserInputException;

/**
 * The exclusive lock of one run on a {@code --checkpoint-dir}: the file {@code ROOT/.lock}, locked with the operating
 * system's file lock ({@link FileChannel#tryLock}) and holding its holder's {@code pid}, {@code host} and start time.
 * The kernel drops the lock when the holder exits, however it exits ({@code kill -9} included), so a lock file left
 * by a dead run is stale by construction and simply taken over (the takeover is logged, naming the old holder). A
 * second run on the same directory, in this process or another, is refused with the holder's pid, host and start.
 * Closing releases the lock and empties the file (the file itself stays: deleting it would let two runs lock two
 * different files of the same name).
 *
 * <pre>{@code
 * try (CheckpointLock lock = CheckpointLock.acquire(Path.of("runs/ck"))) {
 *     ... write checkpoints ...
 * }
 * }</pre>
 *
 * <p>Thread-safety: one owner; {@link #close} is idempotent.
 */
public final class CheckpointLock implements AutoCloseable {
    /** The lock file's name in the checkpoint directory. */
    public static final String FILE = ".lock";

    private static final Logger log = LoggerFactory.getLogger(CheckpointLock.class);

    private final Path file;
    private final FileChannel channel;
    private FileLock lock;

    private CheckpointLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code root} (which must exist).
     *
     * @throws UserInputException if another run holds it (naming that run) or the file cannot be written
     */
    public static CheckpointLock acquire(Path root) {
        Path file = root.resolve(FILE);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very process
            }
            String previous = read(channel);
            if (lock == null) {
                channel.close();
                throw new UserInputException("--checkpoint-dir " + root + " is in use by another run ("
                        + (previous.isBlank() ? "holder unknown" : previous) + "): two runs on one directory would "
                        + "mix and prune each other's checkpoints; wait for it to finish, stop it, or choose another "
                        + "--checkpoint-dir");
            }
            if (!previous.isBlank()) {
                log.info("--checkpoint-dir {}: taking over the lock left by {}, which no longer holds it (it ended "
                        + "without releasing it)", root, previous);
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(holder().getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
            return new CheckpointLock(file, channel, lock);
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new UserInputException("--checkpoint-dir " + root + ": cannot take the lock " + file + ": " + e, e);
        }
    }

    /** This process: {@code pid 1234 on host NAME since 2026-12-02T04:00:00Z}. */
    static String holder() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = System.getenv().getOrDefault("HOSTNAME", "unknown");
        }
        return "pid " + ProcessHandle.current().pid() + " on host " + host + " since "
                + Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    private static String read(FileChannel channel) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(512);
        channel.read(b, 0);
        b.flip();
        String s = StandardCharsets.UTF_8.decode(b).toString();
        return s.replaceAll("[^\\x20-\\x7e]", "?").trim(); // never print control characters from a file
    }

    /** The lock file. */
    public Path file() { return file; }

    /** Releases the lock and empties the file. */
    @Override
    public synchronized void close() {
        if (lock == null) {
            return;
        }
        try {
            channel.truncate(0);
            lock.release();
        } catch (IOException e) {
            log.warn("could not release the checkpoint lock {}: {}", file, e.toString());
        } finally {
            lock = null;
            try {
                channel.close();
            } catch (IOException e) {
                log.warn("could not close the checkpoint lock {}: {}", file, e.toString());
            }
        }
    }
}
