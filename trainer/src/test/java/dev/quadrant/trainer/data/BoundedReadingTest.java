package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.device.UserInputException;

/**
 * "No out-of-memory from size fields" (issue 13, item 13): readers allocate from what arrives, not from what a
 * header claims, and refuse endless input after a bound.
 */
class BoundedReadingTest {

    @TempDir
    Path dir;

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /**
     * A gzipped IDX file whose header claims 100 M pixels (400 MB as floats) over 16 MB of data: the claim passes the
     * deflate-ratio check (the file is large enough to expand that far), so only chunked reading keeps the memory
     * committed before the truncation is found to what actually arrived.
     */
    @Test
    void truncatedIdxCostsWhatArrivedNotWhatTheHeaderClaims() {
        int claimedImages = 127_551;                       // x 28 x 28 = 100 M pixels
        byte[] payload = new byte[16 << 20];
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 120_000; i++) {                // incompressible start: the file must be ~100 KB
            payload[i] = (byte) rng.nextInt(256);
        }
        byte[] file = IdxTestFiles.gzip(IdxTestFiles.idx(IdxFile.IMAGES_MAGIC, new int[] {claimedImages, 28, 28},
                payload));
        long claimed = (long) claimedImages * 28 * 28;
        assertTrue(claimed <= file.length * IdxFile.DEFLATE_MAX_RATIO, "the claim passes the ratio check: "
                + file.length + " bytes");
        long before = allocatedBytes();
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> IdxFile.readImages(IdxFile.Source.of("claims.gz", file)));
        long used = allocatedBytes() - before;
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(used < 64L << 20, "allocated " + (used >> 20) + " MiB for a file claiming " + (claimed * 4 >> 20)
                + " MiB of floats");
    }

    /** The chunked reader still reads a complete file exactly (several chunks, the last one partial). */
    @Test
    void multiChunkIdxReadsExactly() {
        int count = 3000;                                  // 3000 x 28 x 28 = 2.35 M pixels: 3 chunks
        byte[] payload = new byte[count * 28 * 28];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31);
        }
        var images = IdxFile.readImages(IdxFile.Source.of("ok", IdxTestFiles.idx(IdxFile.IMAGES_MAGIC,
                new int[] {count, 28, 28}, payload)));
        for (int i = 0; i < payload.length; i++) {
            assertEquals((payload[i] & 0xff) / 255f, images.pixels()[i], "pixel " + i);
        }
        byte[] labels = new byte[(1 << 20) + 3];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (byte) (i % 10);
        }
        var l = IdxFile.readLabels(IdxFile.Source.of("l", IdxTestFiles.labels(labels.length, labels)));
        assertEquals(9, l.max());
        assertEquals(labels.length - 1 == 0 ? 0 : (labels.length - 1) % 10, l.labels()[labels.length - 1]);
    }

    /** A CSV file without an end (csv:/dev/zero) is refused after a bound, not read until the heap is gone. */
    @Test
    void csvWithoutEndIsRefused() {
        long[] served = {0};
        java.io.InputStream zeros = new java.io.InputStream() {
            @Override
            public int read() {
                return served[0]++ < (1L << 30) ? 0 : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = (int) Math.min(len, (1L << 30) - served[0]);
                if (n <= 0) {
                    return -1;
                }
                java.util.Arrays.fill(b, off, off + n, (byte) 0);
                served[0] += n;
                return n;
            }
        };
        assertThrows(UserInputException.class, () -> CsvReader.read(zeros, "/dev/zero", "zero", -1));
        assertTrue(served[0] < 1L << 30, "refused after " + (served[0] >> 20) + " MiB, before the end of 1 GiB");
    }

    /** A text file is read up to a bound, then refused; never read whole before the check. */
    @Test
    void textLargerThanTheBoundIsRefused() throws IOException {
        Path big = dir.resolve("big.txt");
        long max = TextData.maxBytes();
        assertTrue(max < Integer.MAX_VALUE);
        try (var ch = Files.newByteChannel(big, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.SPARSE)) {
            ch.position(max);
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {'a'}));
        }
        UserInputException e = assertThrows(UserInputException.class, () -> TextData.read(big, 8));
        assertTrue(e.getMessage().contains("more than " + max + " bytes"), e.getMessage());
    }
}
