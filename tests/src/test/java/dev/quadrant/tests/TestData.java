package dev.quadrant.tests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.junit.jupiter.api.Assumptions;

/**
 * Where the real data sets are: {@code -Dquadrant.datasets=DIR}, else {@code ../shared/datasets} beside the
 * repository (where CI puts them), else {@code /work/shared/datasets}. On CI a missing data set fails the test; on
 * a developer machine it skips it with a message.
 */
public final class TestData {
    private TestData() {}

    /** The directory of data set {@code name} (e.g. {@code mnist}). */
    public static Path dataset(String name) {
        String prop = System.getProperty("quadrant.datasets");
        Path repo = Paths.get("").toAbsolutePath();
        while (repo != null && !Files.exists(repo.resolve(".ci"))) {
            repo = repo.getParent();
        }
        Path[] candidates = {
            prop == null ? null : Paths.get(prop),
            repo == null ? null : repo.resolveSibling("shared").resolve("datasets"),
            Paths.get("/work/shared/datasets"),
        };
        for (Path c : candidates) {
            if (c != null && Files.isDirectory(c.resolve(name))) {
                return c.resolve(name);
            }
        }
        String msg = "data set '" + name + "' not found (looked in -Dquadrant.datasets, ../shared/datasets, /work/shared/datasets)";
        if (System.getenv("CI") != null) {
            throw new AssertionError(msg);
        }
        Assumptions.abort(msg);
        return null;
    }

    /** The schema of a classifier of {@code features} float features and {@code classes} classes. */
    public static dev.quadrant.trainer.data.Schema schema(int features, int classes) {
        return new dev.quadrant.trainer.data.Schema(dev.quadrant.trainer.data.Field.floats("x", features),
                dev.quadrant.trainer.data.Field.ints("label", classes));
    }

    /**
     * Writes the four IDX files (raw) of a small image set into {@code dir}: {@code n} training and {@code n / 2}
     * test images of {@code rows x cols} pixels, labels 0..2; class {@code c} brightens rows {@code c, c+3, ...}, so
     * a model can learn something. Returns {@code dir}.
     */
    public static Path writeIdx(Path dir, int n, int rows, int cols) throws java.io.IOException {
        Files.createDirectories(dir);
        writeIdxSet(dir, "train", n, rows, cols, 0);
        writeIdxSet(dir, "t10k", Math.max(1, n / 2), rows, cols, 7);
        return dir;
    }

    private static void writeIdxSet(Path d, String prefix, int n, int rows, int cols, int salt) throws java.io.IOException {
        java.nio.ByteBuffer img = java.nio.ByteBuffer.allocate(16 + n * rows * cols);
        img.putInt(2051).putInt(n).putInt(rows).putInt(cols);
        java.nio.ByteBuffer lab = java.nio.ByteBuffer.allocate(8 + n);
        lab.putInt(2049).putInt(n);
        for (int i = 0; i < n; i++) {
            int label = (i + salt) % 3;
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    int noise = ((i + salt) * 31 + y * 7 + x * 13) % 64;
                    img.put((byte) (y % 3 == label ? 160 + noise : noise));
                }
            }
            lab.put((byte) label);
        }
        Files.write(d.resolve(prefix + "-images-idx3-ubyte"), img.array());
        Files.write(d.resolve(prefix + "-labels-idx1-ubyte"), lab.array());
    }
}
