package dev.quadrant.trainer.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Brings a metrics file back to a checkpoint before a resumed run appends to it: keeps the complete records (lines
 * ending in a newline) up to the first one whose {@code step} is beyond the checkpoint's, and cuts the file there.
 * So a run killed after its last checkpoint leaves neither records of the steps it will redo (they would appear
 * twice) nor a line cut off by the crash (the next record would be glued to it). A line before the last that is not
 * a record (a damaged file, or not a metrics file at all: {@code --metrics} naming a model) is refused, and the file
 * left as it is. Records without a {@code step} are kept. The file is truncated in place; nothing is rewritten.
 *
 * <pre>{@code
 * MetricsRepair.Result r = MetricsRepair.keepUpTo(Path.of("runs/m.jsonl"), 938);
 * if (r.changed()) log.info("{}", r);
 * }</pre>
 *
 * <p>Stateless; the caller must be the file's only writer while it runs.
 */
public final class MetricsRepair {
    private MetricsRepair() {}

    /**
     * What {@link #keepUpTo} did.
     *
     * @param kept records kept
     * @param bytesBefore the file's length before
     * @param bytesAfter its length after
     * @param reason why the rest was dropped (empty when nothing was)
     */
    public record Result(long kept, long bytesBefore, long bytesAfter, String reason) {
        /** Whether anything was cut. */
        public boolean changed() { return bytesAfter < bytesBefore; }

        @Override
        public String toString() {
            return "kept " + kept + " record" + (kept == 1 ? "" : "s") + " (" + bytesAfter + " bytes), dropped "
                    + (bytesBefore - bytesAfter) + " bytes: " + reason;
        }
    }

    private static boolean hasNewlineAfter(Path file, long offset) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(offset);
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * Truncates {@code file} after its last complete record at or before {@code step}; a missing file is left
     * missing.
     *
     * @throws IOException if the file cannot be read or truncated
     * @throws dev.quadrant.device.UserInputException if a line before the last is not a record (nothing is cut)
     */
    public static Result keepUpTo(Path file, long step) throws IOException {
        if (!Files.exists(file)) {
            return new Result(0, 0, 0, "");
        }
        long size = Files.size(file);
        long[] keptEnd = {0};
        long[] kept = {0};
        String[] reason = {"a line cut off at the end (an interrupted write)"};
        try {
            MetricsReader.stream(file, (row, line, end, terminated) -> {
                if (!terminated) {
                    reason[0] = "line " + line + " is cut off (no newline: an interrupted write)";
                    return false;
                }
                if (row.get("step") instanceof Number n && n.longValue() > step) {
                    reason[0] = "from line " + line + " on, records of step " + n.longValue() + " and later, after the "
                            + "checkpoint's step " + step + " (the resumed run writes them again)";
                    return false;
                }
                kept[0]++;
                keptEnd[0] = end;
                return true;
            });
        } catch (MetricsFormatException e) {
            // only a record cut short (valid JSON up to an unexpected end) may be cut; anything else is a damaged
            // line, or not a metrics file at all
            boolean cutShort = e.getCause() instanceof com.fasterxml.jackson.core.io.JsonEOFException;
            if (!cutShort || hasNewlineAfter(file, keptEnd[0])) {
                throw new dev.quadrant.device.UserInputException("--metrics " + file + ": " + e.getMessage()
                        + "; a resumed run appends only to a metrics file whose lines are all records (only the last "
                        + "may be cut off): check the file, or choose another --metrics", e);
            }
            reason[0] = "the last line is cut off (an interrupted write): " + e.getMessage();
        }
        if (keptEnd[0] < size) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(keptEnd[0]);
                ch.force(true);
            }
        }
        return new Result(kept[0], size, Math.min(size, keptEnd[0]), keptEnd[0] < size ? reason[0] : "");
    }
}
