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
import dev.quadrant.trainer.checkpoint.CheckpointStore;

/**
 * Issue 15, must-show 3: {@code hogwild} (workers of every process push to the server, replica 0 of rank 0) and
 * {@code gossip} (the ring over every replica of every process) on 3 processes reach test accuracy >= 0.97 on MNIST
 * ({@code mlp:256}, 3 epochs, Adam, batch 128: the recipe of {@code AsyncConvergenceTest}). An asynchronous run is not
 * reproducible (the processes race), so a run below the bar is run once more and the second must meet it, as there.
 * The runs checkpoint (rank 0 writes; the other ranks consolidate at the same steps, which for these strategies is a
 * collective).
 * Seen here: hogwild 0.9769, 0.9776, 0.9747; gossip 0.9746, 0.9745, 0.9746; 25-50 s each on 2 cores.
 */
@Tag("mpi")
class MpiAsyncConvergenceTest {
    @TempDir
    Path dir;

    double run(String strategy, int attempt) throws Exception {
        Path metrics = dir.resolve(strategy + "-" + attempt + ".jsonl");
        Path ck = dir.resolve("ck-" + strategy + "-" + attempt);
        MpiJob.Result r = MpiJob.run(dir.resolve(strategy + "-" + attempt + ".log"), 3, 300, List.of("train",
                "--data", "idx:" + TestData.dataset("mnist"), "--model", "mlp:256", "--epochs", "3", "--batch", "128",
                "--optimizer", "adam", "--lr", "1e-3", "--seed", "1", "--threads", "1", "--devices", "cpu:1",
                "--strategy", strategy, "--metrics", metrics.toString(), "--checkpoint-dir", ck.toString(),
                "--checkpoint-every", "500"), false);
        assertEquals(0, r.code(), r.output());
        // rank 0 writes at steps 500, 1000 and the end; the others consolidate there too (a collective), or it hangs
        assertEquals(List.of(1000L, 1407L), CheckpointStore.list(ck).stream().map(CheckpointStore::stepOf).sorted()
                .filter(st -> st >= 1000).toList(), "checkpoints of " + strategy);
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
