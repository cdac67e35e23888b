package dev.quadrant.trainer.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX files (raw bytes and gzip) for the reader tests. */
final class IdxTestFiles {
    /** Train: 5 images of 3 x 2 pixels; test: 2 images. Labels 0..2, so 3 classes. */
    static final int ROWS = 3;
    static final int COLS = 2;
    static final byte[] TRAIN_PIXELS = bytes(0, 255, 1, 2, 3, 4, 10, 20, 30, 40, 50, 60, 128, 127, 126, 125, 124, 123,
            7, 7, 7, 7, 7, 7, 200, 201, 202, 203, 204, 205);
    static final byte[] TRAIN_LABELS = bytes(0, 1, 2, 1, 0);
    static final byte[] TEST_PIXELS = bytes(9, 8, 7, 6, 5, 4, 255, 0, 255, 0, 255, 0);
    static final byte[] TEST_LABELS = bytes(2, 0);

    private IdxTestFiles() {}

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    static byte[] images(int count, int rows, int cols, byte[] pixels) {
        return idx(IdxFile.IMAGES_MAGIC, new int[] {count, rows, cols}, pixels);
    }

    static byte[] labels(int count, byte[] labels) {
        return idx(IdxFile.LABELS_MAGIC, new int[] {count}, labels);
    }

    static byte[] idx(int magic, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length); // big-endian
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(payload);
        return b.array();
    }

    static byte[] gzip(byte[] raw) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                gz.write(raw);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** The four valid files in {@code dir}, gzipped or raw. */
    static void writeValid(Path dir, boolean gz) {
        write(dir, "train-images-idx3-ubyte", gz, images(5, ROWS, COLS, TRAIN_PIXELS));
        write(dir, "train-labels-idx1-ubyte", gz, labels(5, TRAIN_LABELS));
        write(dir, "t10k-images-idx3-ubyte", gz, images(2, ROWS, COLS, TEST_PIXELS));
        write(dir, "t10k-labels-idx1-ubyte", gz, labels(2, TEST_LABELS));
    }

    /** Writes {@code raw} as {@code dir/base} or, gzipped, as {@code dir/base.gz}; returns the path. */
    static Path write(Path dir, String base, boolean gz, byte[] raw) {
        return writeBytes(dir.resolve(gz ? base + ".gz" : base), gz ? gzip(raw) : raw);
    }

    static Path writeBytes(Path file, byte[] content) {
        try {
            Files.write(file, content);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
