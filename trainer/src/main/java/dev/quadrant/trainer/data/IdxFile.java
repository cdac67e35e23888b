package dev.quadrant.trainer.data;

import dev.quadrant.device.UserInputException;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads one IDX file (the MNIST format) of unsigned bytes: images ({@code idx3}, magic 2051) or labels
 * ({@code idx1}, magic 2049), gzipped or raw (told apart by the first two bytes, and by a {@code .gz} name).
 *
 * <p>Every header field is checked before anything large is allocated: the data must fit a Java array and, for raw
 * files, the file length must be exactly header + data; for gzipped files the data may not exceed what deflate can
 * expand the file to (1032:1). While reading, a file that ends early or holds bytes after the data is an error.
 * The payload is read in 1 MiB chunks, each allocated only once the bytes before it have arrived, and the result
 * array only once all have: a header's claim costs no memory before the data behind it is there.
 *
 * <p>Stateless; thread-safe.
 */
final class IdxFile {
    static final int IMAGES_MAGIC = 0x00000803;
    /** Images with channels: [count, rows, cols, channels] (as CIFAR-style IDX files write them). */
    static final int IMAGES4_MAGIC = 0x00000804;
    static final int LABELS_MAGIC = 0x00000801;
    static final int UNSIGNED_BYTE = 0x08;
    /** Deflate cannot expand data by more than about 1032:1; gzip adds at least 18 bytes per member. */
    static final long DEFLATE_MAX_RATIO = 1032;
    private static final int CHUNK = 1 << 20;
    private static final float[] SCALE = new float[256]; // SCALE[b] == b / 255f exactly

    static {
        for (int b = 0; b < 256; b++) {
            SCALE[b] = b / 255f;
        }
    }

    /** Images: pixels [count, rows, cols, channels] row-major (channels 1 for a 3-dimension file), each pixel / 255f. */
    record Images(String file, int count, int rows, int cols, int channels, float[] pixels) {
        /** The shape of one image, channels last: {@code [rows, cols, channels]}. */
        int[] shape() { return new int[] {rows, cols, channels}; }
    }

    /** Labels [count] and the largest one. */
    record Labels(String file, int count, int[] labels, int max) {}

    /** Where an IDX file's bytes come from: a file, or memory (tests, fuzzing). */
    interface Source {
        /** The name in messages (the path as given). */
        String name();

        /** The length in bytes. */
        long size() throws IOException;

        /** A new stream over the bytes from the start. */
        InputStream open() throws IOException;

        /** A file. */
        static Source of(Path file) {
            return new Source() {
                @Override
                public String name() { return file.toString(); }

                @Override
                public long size() throws IOException { return Files.size(file); }

                @Override
                public InputStream open() throws IOException {
                    dev.quadrant.trainer.io.InputFiles.requireRegular("IDX file", file); // a FIFO would block
                    return Files.newInputStream(file);
                }
            };
        }

        /** Bytes in memory, named {@code name}. */
        static Source of(String name, byte[] bytes) {
            return new Source() {
                @Override
                public String name() { return name; }

                @Override
                public long size() { return bytes.length; }

                @Override
                public InputStream open() { return new java.io.ByteArrayInputStream(bytes); }
            };
        }
    }

    private IdxFile() {}

    /** Reads an idx3 (or idx4, with channels) images file; pixels are scaled to [0, 1] as {@code byte / 255f}. */
    static Images readImages(Path file) {
        return readImages(Source.of(file));
    }

    /** Reads idx3 images ([count, rows, cols]) or idx4 images ([count, rows, cols, channels]) from {@code file}. */
    static Images readImages(Source file) {
        boolean gzip = isGzip(file);
        try (InputStream in = open(file, gzip)) {
            int[] dims = readHeader(file, in, IMAGES_MAGIC, 3, "IDX images");
            int count = dims[0];
            int rows = dims[1];
            int cols = dims[2];
            int channels = dims.length == 4 ? dims[3] : 1;
            long values = checkSize(file, gzip, dims, 4 + 4 * dims.length, 4);
            byte[][] data = readPayload(file, in, values, "pixel data", count + " images x " + rows + " x " + cols
                    + (channels == 1 ? "" : " x " + channels) + " pixels");
            float[] pixels = new float[(int) values];     // only now: every byte the header claims has arrived
            int at = 0;
            for (byte[] chunk : data) {
                for (byte b : chunk) {
                    pixels[at++] = SCALE[b & 0xff];
                }
            }
            checkEnd(file, in, values);
            return new Images(file.name(), count, rows, cols, channels, pixels);
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
    }

    /** Reads an idx1 labels file. */
    static Labels readLabels(Path file) {
        return readLabels(Source.of(file));
    }

    /** Reads idx1 labels from {@code file}. */
    static Labels readLabels(Source file) {
        boolean gzip = isGzip(file);
        try (InputStream in = open(file, gzip)) {
            int[] dims = readHeader(file, in, LABELS_MAGIC, 1, "IDX labels");
            int count = (int) checkSize(file, gzip, dims, 8, 4);
            byte[][] data = readPayload(file, in, count, "label data", count + " labels");
            int[] labels = new int[count];
            int max = 0;
            int at = 0;
            for (byte[] chunk : data) {
                for (byte b : chunk) {
                    int label = b & 0xff;
                    labels[at++] = label;
                    max = Math.max(max, label);
                }
            }
            checkEnd(file, in, count);
            return new Labels(file.name(), count, labels, max);
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
    }

    /**
     * Reads the {@code values} payload bytes in chunks of at most {@link #CHUNK}, each allocated only when the bytes
     * before it have arrived, so a header that claims more than the file holds costs one chunk, not the claim.
     */
    private static byte[][] readPayload(Source file, InputStream in, long values, String field, String what)
            throws IOException {
        byte[][] chunks = new byte[(int) ((values + CHUNK - 1) / CHUNK)][];
        long done = 0;
        for (int c = 0; c < chunks.length; c++) {
            int want = (int) Math.min(CHUNK, values - done);
            byte[] chunk = new byte[want];
            int got = in.readNBytes(chunk, 0, want);
            done += got;
            if (got < want) {
                throw endsEarly(file, field, done, values, what);
            }
            chunks[c] = chunk;
        }
        return chunks;
    }

    static UserInputException cannotRead(Source file, IOException e) {
        return new UserInputException(file.name() + ": cannot read: " + e, e);
    }

    /** A file is gzipped if its name ends in .gz (then it must be) or if it starts with the gzip magic. */
    private static boolean isGzip(Source file) {
        if (file.name().endsWith(".gz")) {
            return true;
        }
        try (InputStream probe = file.open()) {
            return probe.read() == GzipStream.MAGIC1 && probe.read() == GzipStream.MAGIC2;
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
    }

    private static InputStream open(Source file, boolean gzip) throws IOException {
        InputStream raw = file.open();
        if (!gzip) {
            return raw;
        }
        try {
            return new GzipStream(raw, file.name(), CHUNK);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * Reads and checks magic and dimensions; returns the dimensions, each in [1, 2^31 - 1]. An images file
     * ({@code magic} {@link #IMAGES_MAGIC}) may also be an idx4 file with channels ({@link #IMAGES4_MAGIC}), whose four
     * dimensions are returned.
     */
    private static int[] readHeader(Source file, InputStream in, int magic, int dimCount, String kind)
            throws IOException {
        byte[] start = new byte[4];
        int got = in.readNBytes(start, 0, 4);
        String expectedMagic = String.format("0x%08x (%d: %s, unsigned bytes, %d dimension%s)",
                magic, magic, kind, dimCount, dimCount == 1 ? "" : "s")
                + (magic == IMAGES_MAGIC ? String.format(" or 0x%08x (4 dimensions, with channels)", IMAGES4_MAGIC) : "");
        if (got < 4) {
            throw new DataFormatException(file.name(), "magic number", "end of file after " + got + " bytes",
                    expectedMagic);
        }
        int seen = readInt(start, 0);
        if (magic == IMAGES_MAGIC && seen == IMAGES4_MAGIC) {
            dimCount = 4;
        } else if (seen != magic) {
            throw new DataFormatException(file.name(), "magic number",
                    String.format("0x%08x (%d)%s", seen, seen, magicHint(seen, dimCount)), expectedMagic);
        }
        byte[] head = new byte[4 + 4 * dimCount];
        System.arraycopy(start, 0, head, 0, 4);
        got += in.readNBytes(head, 4, head.length - 4);
        if (got < head.length) {
            throw new DataFormatException(file.name(), "header", "end of file after " + got + " bytes",
                    "a " + head.length + "-byte IDX header (magic, then " + dimCount + " dimension sizes)");
        }
        String[] names = dimCount == 1
                ? new String[] {"item count"} : new String[] {"item count", "row count", "column count", "channel count"};
        int[] dims = new int[dimCount];
        for (int d = 0; d < dimCount; d++) {
            long value = Integer.toUnsignedLong(readInt(head, 4 + 4 * d));
            if (value < 1 || value > Integer.MAX_VALUE) {
                throw new DataFormatException(file.name(), names[d], String.valueOf(value),
                        "1.." + Integer.MAX_VALUE + " (the header is corrupt)");
            }
            dims[d] = (int) value;
        }
        return dims;
    }

    private static String magicHint(int seen, int dimCount) {
        int dtype = (seen >>> 8) & 0xff;
        int dims = seen & 0xff;
        if ((seen >>> 16) != 0) {
            return Integer.reverseBytes(seen) >>> 16 == 0 ? ", looks byte-swapped" : ", not an IDX file";
        }
        if (dtype != UNSIGNED_BYTE) {
            return String.format(", data type 0x%02x (%s) where 0x08 (unsigned byte) is supported", dtype,
                    switch (dtype) {
                        case 0x09 -> "signed byte";
                        case 0x0B -> "short";
                        case 0x0C -> "int";
                        case 0x0D -> "float";
                        case 0x0E -> "double";
                        default -> "unknown";
                    });
        }
        if (dims != dimCount) {
            String what = dims == 1 ? ", a labels file (1 dimension)"
                    : dims == 3 ? ", an images file (3 dimensions)" : ", " + dims + " dimensions";
            return what + ": are the files swapped or misnamed?";
        }
        return "";
    }

    /**
     * Checks that count x (other dims) values fit a Java array, that the file can hold them, and that they fit the
     * heap; all before allocating. Returns the number of values.
     */
    private static long checkSize(Source file, boolean gzip, int[] dims, int headerBytes, int bytesPerValue)
            throws IOException {
        StringBuilder shape = new StringBuilder();
        BigInteger product = BigInteger.ONE;
        for (int d : dims) {
            shape.append(shape.length() == 0 ? "" : " x ").append(d);
            product = product.multiply(BigInteger.valueOf(d));
        }
        String field = dims.length == 1 ? "item count"
                : dims.length == 3 ? "item count x rows x columns" : "item count x rows x columns x channels";
        if (product.compareTo(BigInteger.valueOf(Dataset.MAX_ARRAY_LENGTH)) > 0) {
            throw new DataFormatException(file.name(), field, shape + (dims.length == 1 ? "" : " = " + product),
                    "at most " + Dataset.MAX_ARRAY_LENGTH + " values in total (the largest Java array)");
        }
        long values = product.longValueExact();
        long fileSize = file.size();
        long expectedBytes = headerBytes + values;
        if (!gzip && fileSize != expectedBytes) {
            String expected = expectedBytes + " bytes = " + headerBytes + "-byte header + " + shape
                    + (fileSize < expectedBytes ? " (the file is truncated)"
                       : " (" + (fileSize - expectedBytes) + " bytes too many: trailing garbage?)");
            throw new DataFormatException(file.name(), "file length", fileSize + " bytes", expected);
        }
        if (gzip && expectedBytes > fileSize * DEFLATE_MAX_RATIO) {
            throw new DataFormatException(file.name(), field, shape + " (" + expectedBytes + " bytes of data)",
                    "at most " + fileSize * DEFLATE_MAX_RATIO + " bytes, the most a " + fileSize
                    + "-byte gzip file can expand to (the header is corrupt)");
        }
        long heapNeed = values * bytesPerValue;
        long heapMax = Runtime.getRuntime().maxMemory();
        if (heapNeed > heapMax) {
            throw new UserInputException(file.name() + ": " + shape + " values need " + heapNeed / (1 << 20)
                    + " MiB in memory, but the Java heap limit is " + heapMax / (1 << 20)
                    + " MiB: raise it with -Xmx");
        }
        return values;
    }

    private static DataFormatException endsEarly(Source file, String field, long got, long expected, String what) {
        return new DataFormatException(file.name(), field, "end of file after " + got + " of " + expected
                + " bytes", expected + " bytes for " + what + " (the file is truncated)");
    }

    /** After the payload, the stream must end: trailing bytes are an error, with their number. */
    private static void checkEnd(Source file, InputStream in, long payload) throws IOException {
        long extra = 0;
        byte[] skip = new byte[8192];
        for (int n; (n = in.read(skip, 0, skip.length)) > 0; ) {
            extra += n;
        }
        if (extra > 0) {
            throw new DataFormatException(file.name(), "end of data", extra + " more bytes after the "
                    + payload + " that the header announces", "end of file (trailing garbage, or a wrong count)");
        }
    }

    private static int readInt(byte[] b, int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }
}
