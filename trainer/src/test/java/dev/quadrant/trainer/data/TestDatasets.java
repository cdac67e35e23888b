package dev.quadrant.trainer.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the shared real datasets (MNIST, Fashion-MNIST) for tests: the system property {@code quadrant.datasets}
 * if set, else {@code shared/datasets} or {@code ../shared/datasets} next to the repository root, else
 * {@code /work/shared/datasets}.
 */
final class TestDatasets {
    static final String PROPERTY = "quadrant.datasets";

    private TestDatasets() {}

    /** The places looked at, in order. */
    static List<Path> candidates() {
        List<Path> out = new ArrayList<>();
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) {
            out.add(Path.of(property));
        }
        Path root = repoRoot();
        if (root != null) {
            out.add(root.resolve("shared/datasets"));
            out.add(root.resolve("../shared/datasets").normalize());
        }
        out.add(Path.of("/work/shared/datasets"));
        return out;
    }

    /** The directory {@code name} (e.g. "mnist") under the first candidate holding it, or null. */
    static Path find(String name) {
        for (Path base : candidates()) {
            Path dir = base.resolve(name);
            if (Files.isDirectory(dir)) {
                return dir;
            }
        }
        return null;
    }

    /** A message for a skipped test. */
    static String notFound(String name) {
        return "dataset '" + name + "' not found, skipping; looked in " + candidates()
                + " (set -D" + PROPERTY + "=DIR to point at a folder holding " + name + "/)";
    }

    /** The nearest ancestor of the working directory with a pom.xml and a trainer/ module. */
    private static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("trainer"))) {
                return p;
            }
        }
        return null;
    }
}
