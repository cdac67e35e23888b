package dev.quadrant.tests.mpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.tests.TestData;

/**
 * Issue 15, must-show 3: {@code hogwild} (workers of every process push to the server, replica 0 of rank 0) and
 * {@code gossip} (the ring over every replica of every process) on 3 processes reach test accuracy >= 0.97 on MNIST
 * ({@code mlp:256}, 3 epochs, Adam, batch 128: the recipe of {@code AsyncConvergenceTest}). An asynchronous run is not
 * reproducible (the processes race), so a run below the bar is run once more and the second must meet it, as there.
 * Seen here: hogwild 0.9769, gossip 0.9746, about 25 s each on 2 cores.
 */
@Tag("mpi")
class MpiAsyncConvergenceTest {
    @TempDir
    Path dir;

    double run(String strategy, int attempt) throws Exception {
        Path metrics = dir.resolve(strategy + "-" + attempt + ".jsonl");
        MpiJob.Result r = MpiJob.run(dir.resolve(strategy + "-" + attempt + ".log"), 3, 300, List.of("train",
                "--data", "idx:" + TestData.dataset("mnist"), "--model", "mlp:256", "--epochs", "3", "--batch", "128",
                "--optimizer", "adam", "--lr", "1e-3", "--seed", "1", "--threads", "1", "--devices", "cpu:1",
                "--strategy", strategy, "--metrics", metrics.toString()), false);
        assertEquals(0, r.code(), r.output());
        List<String> records = Files.readAllLines(metrics);
        String last = records.get(records.size() - 1);
        assertTrue(last.contains("\"replicas\":3") && last.contains("\"staleness_mean\""), last);
        double acc = Double.parseDouble(last.replaceAll(".*\"test_accuracy\":([0-9.eE-]+).*", "$1"));
        System.out.printf("MNIST %s on 3 processes, attempt %d: test_accuracy %.4f%n", strategy, attempt, acc);
        return acc;
    }

    @ParameterizedTest(name = "{0} on 3 processes")
    @ValueSource(strings = {"hogwild", "gossip"})
    void reachesTheBarOnMnist(String strategy) throws Exception {
        MpiJob.assumeMpi();
        double acc = run(strategy, 1);
        if (acc < 0.97) {
            acc = run(strategy, 2);
        }
        assertTrue(acc >= 0.97, strategy + " on 3 processes: test accuracy " + acc + " < 0.97");
    }
}
