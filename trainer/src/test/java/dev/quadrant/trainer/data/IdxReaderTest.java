package dev.quadrant.trainer.data;

import static dev.quadrant.trainer.data.IdxTestFiles.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.quadrant.device.UserInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Good and corrupt IDX files, written small into a temporary directory. */
class IdxReaderTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "gzipped={0}")
    @ValueSource(booleans = {false, true})
    void readsValidFiles(boolean gz) {
        writeValid(dir, gz);
        DataSplit split = IdxReader.read(dir);
        assertEquals(ROWS * COLS, split.features());
        assertEquals(3, split.classes());
        assertEquals(5, ((Dataset) split.train()).size());
        assertEquals(2, ((Dataset) split.test()).size());
        assertPixels(TRAIN_PIXELS, ((Dataset) split.train()).x());
        assertPixels(TEST_PIXELS, ((Dataset) split.test()).x());
        assertArrayEquals(new int[] {0, 1, 2, 1, 0}, ((Dataset) split.train()).y());
        assertArrayEquals(new int[] {2, 0}, ((Dataset) split.test()).y());
        assertEquals(dir.getFileName() + "/train", ((Dataset) split.train()).name());
        assertEquals(Field.floats("x", ROWS, COLS, 1), split.schema().input(), "images keep their shape, channels last");
        assertEquals("x F32[3, 2, 1] -> label I32[] of 3", split.schema().toString());
    }

    @Test
    void anIdx4FileKeepsItsChannels() {
        // the same pixel bytes read as images of 3 x 1 pixels with 2 channels
        write(dir, "train-images-idx3-ubyte", false,
                idx(IdxFile.IMAGES4_MAGIC, new int[] {5, ROWS, 1, 2}, TRAIN_PIXELS));
        write(dir, "train-labels-idx1-ubyte", false, labels(5, TRAIN_LABELS));
        write(dir, "t10k-images-idx3-ubyte", true, idx(IdxFile.IMAGES4_MAGIC, new int[] {2, ROWS, 1, 2}, TEST_PIXELS));
        write(dir, "t10k-labels-idx1-ubyte", false, labels(2, TEST_LABELS));
        DataSplit split = IdxReader.read(dir);
        assertEquals(Field.floats("x", ROWS, 1, 2), split.schema().input());
        assertArrayEquals(new int[] {ROWS, 1, 2}, ((Dataset) split.train()).shape());
        assertPixels(TRAIN_PIXELS, ((Dataset) split.train()).x());
        assertEquals(ROWS * 2, ((Dataset) split.train()).rows("part", 1, 3).features());
        assertEquals(Field.floats("x", ROWS, 1, 2), ((Dataset) split.train()).rows("part", 1, 3).schema().input());
    }

    @Test
    void trainAndTestImagesWithOtherChannelsDisagree() {
        write(dir, "train-images-idx3-ubyte", false,
                idx(IdxFile.IMAGES4_MAGIC, new int[] {5, ROWS, 1, 2}, TRAIN_PIXELS));
        write(dir, "train-labels-idx1-ubyte", false, labels(5, TRAIN_LABELS));
        write(dir, "t10k-images-idx3-ubyte", false, images(2, ROWS, 2, TEST_PIXELS));
        write(dir, "t10k-labels-idx1-ubyte", false, labels(2, TEST_LABELS));
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(dir));
        assertTrue(e.getMessage().contains("image size"), e.getMessage());
        assertTrue(e.getMessage().contains("3 x 2"), e.getMessage());
        assertTrue(e.getMessage().contains("3 x 1 x 2"), e.getMessage());
    }

    static void assertPixels(byte[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "pixel count");
        for (int i = 0; i < expected.length; i++) {
            float want = (expected[i] & 0xff) / 255f;
            assertEquals(want, actual[i], 0f, "pixel " + i + ": byte " + (expected[i] & 0xff));
        }
        assertEquals(1f, (255 & 0xff) / 255f, 0f);
    }

    @Test
    void acceptsDottedNamesGzipContentWithoutSuffixAndMultiMemberGzip() {
        writeBytes(dir.resolve("train-images.idx3-ubyte"), gzip(images(5, ROWS, COLS, TRAIN_PIXELS)));
        byte[] labels = labels(5, TRAIN_LABELS);
        byte[] twoMembers = concat(gzip(java.util.Arrays.copyOf(labels, 7)),
                gzip(java.util.Arrays.copyOfRange(labels, 7, labels.length)));
        writeBytes(dir.resolve("train-labels-idx1-ubyte.gz"), twoMembers);
        write(dir, "t10k-images-idx3-ubyte", false, images(2, ROWS, COLS, TEST_PIXELS));
        write(dir, "t10k-labels.idx1-ubyte", true, labels(2, TEST_LABELS));
        DataSplit split = IdxReader.read(dir);
        assertPixels(TRAIN_PIXELS, ((Dataset) split.train()).x());
        assertArrayEquals(new int[] {0, 1, 2, 1, 0}, ((Dataset) split.train()).y());
    }

    @Test
    void prefersRawFileOverGzippedOne() {
        writeValid(dir, false);
        write(dir, "t10k-labels-idx1-ubyte", true, labels(2, bytes(1, 1)));
        assertArrayEquals(new int[] {2, 0}, ((Dataset) IdxReader.read(dir).test()).y());
    }

    @Test
    void missingFilesAreListed() throws IOException {
        writeValid(dir, true);
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte.gz"));
        Files.delete(dir.resolve("train-images-idx3-ubyte.gz"));
        UserInputException e = assertThrows(UserInputException.class, () -> IdxReader.read(dir));
        String m = e.getMessage();
        assertTrue(m.contains("missing 2 of the 4"), m);
        for (String name : new String[] {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz",
                "train-images.idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "t10k-labels.idx1-ubyte"}) {
            assertTrue(m.contains(name), "message lacks " + name + ": " + m);
        }
        assertFalse(m.contains("train-labels"), m);
    }

    @Test
    void missingDirectory() {
        Path none = dir.resolve("nope");
        UserInputException e = assertThrows(UserInputException.class, () -> IdxReader.read(none));
        assertTrue(e.getMessage().contains("no such directory") && e.getMessage().contains(none.toString()),
                e.getMessage());
    }

    private DataFormatException fails() {
        return assertThrows(DataFormatException.class, () -> IdxReader.read(dir));
    }

    private static void assertMessage(DataFormatException e, String file, String field, String... parts) {
        assertTrue(e.file().endsWith(file), "file " + e.file() + ", expected " + file + ": " + e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message lacks \"" + part + "\": " + e.getMessage());
        }
        assertFalse(e.getMessage().contains("\n"), "message must be one line");
    }

    @ParameterizedTest(name = "gzipped={0}")
    @ValueSource(booleans = {false, true})
    void wrongMagicNumbers(boolean gz) {
        writeValid(dir, gz);
        String images = gz ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte";
        write(dir, "train-images-idx3-ubyte", gz, labels(5, TRAIN_LABELS));
        assertMessage(fails(), images, "magic number", "0x00000801 (2049)", "0x00000803 (2051",
                "a labels file", "swapped or misnamed");
        write(dir, "train-images-idx3-ubyte", gz, idx(0x0D03, new int[] {5, ROWS, COLS}, new byte[120]));
        assertMessage(fails(), images, "magic number", "data type 0x0d (float)");
        write(dir, "train-images-idx3-ubyte", gz, idx(Integer.reverseBytes(0x803), new int[] {5, ROWS, COLS},
                TRAIN_PIXELS));
        assertMessage(fails(), images, "magic number", "byte-swapped");
        write(dir, "train-images-idx3-ubyte", gz, "P5\n28 28\n255\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertMessage(fails(), images, "magic number", "not an IDX file");
    }

    @Test
    void countsMustAgree() {
        writeValid(dir, true);
        write(dir, "train-labels-idx1-ubyte", true, labels(4, bytes(0, 1, 2, 1)));
        assertMessage(fails(), "train-labels-idx1-ubyte.gz", "item count", "saw 4", "expected 5");
        writeValid(dir, true);
        write(dir, "t10k-images-idx3-ubyte", true, images(2, COLS, ROWS, TEST_PIXELS));
        assertMessage(fails(), "t10k-images-idx3-ubyte.gz", "image size", "saw 2 x 3", "expected 3 x 2");
    }

    @Test
    void countOfZeroOrOverTwoToThe31IsRejected() {
        writeValid(dir, false);
        write(dir, "train-labels-idx1-ubyte", false, labels(0, new byte[0]));
        assertMessage(fails(), "train-labels-idx1-ubyte", "item count", "saw 0", "1..2147483647");
        write(dir, "train-labels-idx1-ubyte", false, labels(-1, TRAIN_LABELS));
        assertMessage(fails(), "train-labels-idx1-ubyte", "item count", "saw 4294967295");
        writeValid(dir, false);
        write(dir, "train-images-idx3-ubyte", false, images(5, 0x80000000, COLS, TRAIN_PIXELS));
        assertMessage(fails(), "train-images-idx3-ubyte", "row count", "saw 2147483648");
    }

    @ParameterizedTest(name = "gzipped={0}")
    @ValueSource(booleans = {false, true})
    void absurdSizesAreRejectedBeforeAllocating(boolean gz) {
        // Each of these would need gigabytes: an allocation would fail with OutOfMemoryError, not this exception.
        writeValid(dir, gz);
        String images = gz ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte";
        write(dir, "train-images-idx3-ubyte", gz, images(60_000, 60_000, 60_000, TRAIN_PIXELS));
        assertMessage(fails(), images, "item count x rows x columns", "216000000000000", "largest Java array");
        write(dir, "train-images-idx3-ubyte", gz, images(1_000_000_000, 2, 1, TRAIN_PIXELS));
        DataFormatException e = fails();
        if (gz) {
            assertMessage(e, images, "item count x rows x columns", "2000000016 bytes of data", "can expand to");
        } else {
            assertMessage(e, images, "file length", "2000000016 bytes", "truncated");
        }
        String labels = gz ? "train-labels-idx1-ubyte.gz" : "train-labels-idx1-ubyte";
        writeValid(dir, gz);
        write(dir, "train-labels-idx1-ubyte", gz, labels(2_000_000_000, TRAIN_LABELS));
        assertMessage(fails(), labels, gz ? "item count" : "file length");
    }

    @Test
    void everyTruncationOfARawFileIsReported() throws IOException {
        writeValid(dir, false);
        byte[] full = images(5, ROWS, COLS, TRAIN_PIXELS);
        Path file = dir.resolve("train-images-idx3-ubyte");
        for (int len = 0; len < full.length; len++) {
            Files.write(file, java.util.Arrays.copyOf(full, len));
            DataFormatException e = fails();
            String field = len < 4 ? "magic number" : len < 16 ? "header" : "file length";
            assertMessage(e, "train-images-idx3-ubyte", field);
            if (len >= 16) {
                assertTrue(e.getMessage().contains("saw " + len + " bytes") && e.getMessage().contains("truncated"),
                        e.getMessage());
            }
        }
    }

    @Test
    void everyTruncationOfAGzipFileIsReported() throws IOException {
        writeValid(dir, true);
        byte[] full = gzip(images(5, ROWS, COLS, TRAIN_PIXELS));
        Path file = dir.resolve("train-images-idx3-ubyte.gz");
        for (int len = 0; len < full.length; len++) {
            Files.write(file, java.util.Arrays.copyOf(full, len));
            DataFormatException e = fails();
            assertTrue(e.file().endsWith("train-images-idx3-ubyte.gz"), e.getMessage());
            assertTrue(len < 2 ? e.field().equals("gzip magic") : e.getMessage().contains("truncated"),
                    "cut at " + len + " of " + full.length + ": " + e.getMessage());
        }
    }

    @Test
    void truncatedDataInsideAValidGzipStream() {
        writeValid(dir, true);
        byte[] full = images(5, ROWS, COLS, TRAIN_PIXELS);
        for (int len : new int[] {0, 3, 10, 16, 17, full.length - 1}) {
            write(dir, "train-images-idx3-ubyte", true, java.util.Arrays.copyOf(full, len));
            DataFormatException e = fails();
            String field = len < 4 ? "magic number" : len < 16 ? "header" : "pixel data";
            assertMessage(e, "train-images-idx3-ubyte.gz", field,
                    "end of file after " + (len < 16 ? len + " bytes" : len - 16 + " of 30 bytes"));
        }
        write(dir, "train-labels-idx1-ubyte", true, java.util.Arrays.copyOf(labels(5, TRAIN_LABELS), 11));
        write(dir, "train-images-idx3-ubyte", true, full);
        assertMessage(fails(), "train-labels-idx1-ubyte.gz", "label data", "end of file after 3 of 5 bytes",
                "truncated");
    }

    @Test
    void trailingBytesAreReported() throws IOException {
        writeValid(dir, false);
        write(dir, "train-labels-idx1-ubyte", false, concat(labels(5, TRAIN_LABELS), bytes(0)));
        assertMessage(fails(), "train-labels-idx1-ubyte", "file length", "saw 14 bytes", "1 bytes too many");
        for (String name : IdxReader.FILES) {
            Files.delete(dir.resolve(name));
        }
        writeValid(dir, true);
        write(dir, "train-images-idx3-ubyte", true, concat(images(5, ROWS, COLS, TRAIN_PIXELS), bytes(1, 2, 3)));
        assertMessage(fails(), "train-images-idx3-ubyte.gz", "end of data", "3 more bytes after the 30");
    }

    @Test
    void bytesAfterTheGzipStreamAreReported() {
        writeValid(dir, true);
        byte[] gz = gzip(labels(5, TRAIN_LABELS));
        for (byte[] tail : new byte[][] {bytes(0), bytes(0, 0, 0, 0), bytes(0x1f), bytes(0x1f, 0x8c), bytes(10, 13)}) {
            writeBytes(dir.resolve("train-labels-idx1-ubyte.gz"), concat(gz, tail));
            assertMessage(fails(), "train-labels-idx1-ubyte.gz", "bytes after gzip member 1",
                    "at compressed byte " + gz.length, "end of file or another gzip member");
        }
    }

    @Test
    void gzipNameWithRawContent() {
        writeValid(dir, true);
        writeBytes(dir.resolve("t10k-labels-idx1-ubyte.gz"), labels(2, TEST_LABELS));
        assertMessage(fails(), "t10k-labels-idx1-ubyte.gz", "gzip magic", "saw 00 00", "1f 8b");
    }

    /**
     * Flips bits in every byte of a gzip file. Each corruption must be reported, except where gzip cannot see it:
     * the FTEXT flag, MTIME, XFL and OS header bytes (3 to 9) and the padding bits of the last deflate byte; there
     * the data read must be unchanged.
     */
    @Test
    void everyCorruptedByteOfAGzipFileIsReportedOrHarmless() throws IOException {
        writeValid(dir, true);
        byte[] good = gzip(images(5, ROWS, COLS, TRAIN_PIXELS));
        Path file = dir.resolve("train-images-idx3-ubyte.gz");
        java.util.Set<Integer> unprotected = java.util.Set.of(3, 4, 5, 6, 7, 8, 9, good.length - 9);
        int reported = 0;
        for (int i = 0; i < good.length; i++) {
            for (int flip : new int[] {0x01, 0x80, 0xff}) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) flip;
                Files.write(file, bad);
                DataSplit split;
                try {
                    split = IdxReader.read(dir);
                } catch (DataFormatException e) {
                    assertTrue(e.file().endsWith("train-images-idx3-ubyte.gz"), e.getMessage());
                    reported++;
                    continue;
                }
                assertTrue(unprotected.contains(i), "byte " + i + " of " + good.length + " xor " + flip
                        + " was not detected");
                assertPixels(TRAIN_PIXELS, ((Dataset) split.train()).x());
            }
        }
        System.out.printf("gzip corruption: %d of %d single-byte flips reported, the rest harmless%n",
                reported, 3 * good.length);
        assertTrue(reported >= 3 * (good.length - unprotected.size()), "reported " + reported);
    }

    @Test
    void corruptDeflateDataAndChecksum() {
        writeValid(dir, true);
        byte[] good = gzip(images(5, ROWS, COLS, TRAIN_PIXELS));
        byte[] badCrc = good.clone();
        badCrc[good.length - 8] ^= 1;
        writeBytes(dir.resolve("train-images-idx3-ubyte.gz"), badCrc);
        assertMessage(fails(), "train-images-idx3-ubyte.gz", "CRC-32 of gzip member 1", "the file is corrupt");
        byte[] badLength = good.clone();
        badLength[good.length - 1] ^= 1;
        writeBytes(dir.resolve("train-images-idx3-ubyte.gz"), badLength);
        assertMessage(fails(), "train-images-idx3-ubyte.gz", "uncompressed length of gzip member 1", "46 bytes");
        byte[] badBlock = good.clone();
        badBlock[10] = (byte) 0xff; // block type 3 is reserved
        writeBytes(dir.resolve("train-images-idx3-ubyte.gz"), badBlock);
        assertMessage(fails(), "train-images-idx3-ubyte.gz", "deflate data of gzip member 1", "invalid",
                "a valid deflate stream");
    }

    @Test
    void labelsMustGiveAtLeastTwoClasses() {
        writeValid(dir, false);
        write(dir, "train-labels-idx1-ubyte", false, labels(5, new byte[5]));
        write(dir, "t10k-labels-idx1-ubyte", false, labels(2, new byte[2]));
        assertMessage(fails(), "train-labels-idx1-ubyte", "label values", "only label 0", "at least two classes");
        write(dir, "t10k-labels-idx1-ubyte", false, labels(2, bytes(0, 255)));
        assertEquals(256, IdxReader.read(dir).classes(), "classes = largest label of train and test + 1");
    }
}
