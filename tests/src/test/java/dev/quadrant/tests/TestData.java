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
}
