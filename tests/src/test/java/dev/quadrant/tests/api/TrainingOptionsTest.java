package dev.quadrant.tests.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Training;

/**
 * The Java entry point honours the options the command line has: {@code TrainOptions.metrics} is written by
 * {@link Training#run} itself (one JSON object per epoch, in a directory it creates), and appended to on resume.
 */
class TrainingOptionsTest {
    @TempDir
    Path dir;

    static TrainOptions small(Path metrics) {
        TrainOptions o = new TrainOptions();
        o.data = "synthetic:12x3x300";
        o.model = "mlp:8";
        o.batch = 32;
        o.epochs = 2;
        o.threads = 1;
        o.devices = "cpu:1";
        o.metrics = metrics;
        return o;
    }

    @Test
    void metricsAreWrittenFromJava() throws IOException {
        Path metrics = dir.resolve("runs/m.jsonl");
        TrainOptions o = small(metrics);
        o.checkpointDir = dir.resolve("ck");
        Training.run(o, List.of());
        List<String> lines = Files.readAllLines(metrics);
        assertEquals(2, lines.size(), "one object per epoch: " + lines);
        assertTrue(lines.get(1).contains("\"epoch\" : 2") || lines.get(1).contains("\"epoch\":2"), lines.get(1));

        TrainOptions more = small(metrics);
        more.epochs = 3;
        more.resume = dir.resolve("ck");
        Training.run(more, List.of());
        assertEquals(3, Files.readAllLines(metrics).size(), "a resumed run appends its epoch");
    }
}
