package dev.quadrant.trainer.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

import dev.quadrant.device.UserInputException;

/**
 * The one rule for files Quadrant reads ({@code --load}, {@code --config}, {@code --data csv:/text:/tokens:}, IDX
 * files, checkpoint manifests, metrics files): a regular file, or a symbolic link to one. A FIFO, a device
 * ({@code /dev/zero}), a socket or a process substitution ({@code <(...)}, a pipe) is refused before it is opened, so
 * a read can neither block forever nor run without end; sizes are bounded by the bytes actually read, never by the
 * size the file system reports (which is 0 for a pipe).
 *
 * <pre>{@code
 * InputFiles.requireRegular("--load", path);
 * byte[] text = InputFiles.readBounded("--config", path, 1 << 20);
 * }</pre>
 *
 * <p>Stateless; thread-safe.
 */
public final class InputFiles {
    private InputFiles() {}

    /**
     * Checks that {@code file} is a regular file (symbolic links followed).
     *
     * @param what names the file in messages ({@code "--load"}, {@code "checkpoint manifest"})
     * @throws UserInputException naming {@code what}, the path and what it is instead
     */
    public static void requireRegular(String what, Path file) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new UserInputException(what + " " + file + ": no such file");
        } catch (IOException e) {
            throw new UserInputException(what + " " + file + ": cannot read: " + e, e);
        }
        if (a.isDirectory()) {
            throw new UserInputException(what + " " + file + ": is a directory; expected a file");
        }
        if (!a.isRegularFile()) {
            throw new UserInputException(what + " " + file + ": is " + kind(file) + ", not a regular file; quadrant "
                    + "reads only regular files (copy the content to a file first)");
        }
    }

    /**
     * Reads a regular file whole, refusing it once more than {@code maxBytes} bytes have arrived (whatever size it
     * reports).
     *
     * @throws UserInputException if it is not a regular file, cannot be read or is larger than {@code maxBytes}
     */
    public static byte[] readBounded(String what, Path file, int maxBytes) {
        requireRegular(what, file);
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(maxBytes + 1);
        } catch (NoSuchFileException e) {
            throw new UserInputException(what + " " + file + ": no such file");
        } catch (IOException e) {
            throw new UserInputException(what + " " + file + ": cannot read: " + e, e);
        }
        if (bytes.length > maxBytes) {
            throw new UserInputException(what + " " + file + ": more than " + maxBytes + " bytes; a file of this "
                    + "kind may have at most " + maxBytes);
        }
        return bytes;
    }

    /** What a non-regular, non-directory path is, in words ("a FIFO (named pipe)", "a device", ...). */
    static String kind(Path p) {
        try {
            Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if (mode instanceof Integer m) {
                int type = m & 0170000;
                return switch (type) {
                    case 0010000 -> "a FIFO (named pipe or process substitution)";
                    case 0020000 -> "a character device";
                    case 0060000 -> "a block device";
                    case 0140000 -> "a socket";
                    case 0120000 -> Files.isRegularFile(p) ? "a symbolic link" : "a symbolic link to " + target(p);
                    default -> "a special file";
                };
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // not a Unix file system: say it generically
        }
        return Files.isSymbolicLink(p) ? "a symbolic link" : "a special file (device, FIFO or socket)";
    }

    private static String target(Path link) {
        try {
            Path real = link.toRealPath();
            return kind(real) + " " + real;
        } catch (IOException e) {
            return "nothing (a dangling link)";
        }
    }
}
