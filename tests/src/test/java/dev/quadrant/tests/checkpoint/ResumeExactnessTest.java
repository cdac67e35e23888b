package dev.quadrant.tests.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.trainer.checkpoint.CheckpointStore;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Training;

/**
 * Resume is exact: training straight through and training, stopping at a checkpoint and resuming give bit-identical
 * parameters (Adam and momentum; dropout on, so the per-step dropout seeds matter; a step schedule, so the step
 * count matters; for the synchronous strategies on 1 and 2 replicas). A checkpoint is independent of the number of
 * replicas: one written by 2 all-reduce replicas resumes on 1 (equal up to float32 summation order), and the
 * asynchronous strategies resume and finish.
 */
class ResumeExactnessTest {

    @TempDir
    Path dir;

    static TrainOptions options(String optimizer, String devices, String strategy) {
        TrainOptions o = new TrainOptions();
        o.data = "synthetic:24x4x1000";
        o.model = "mlp:16-8";
        o.batch = 32;
        o.optimizer = optimizer;
        o.lr = optimizer.equals("adam") ? 0.01f : 0.05f;
        o.dropout = 0.1f;
        o.schedule = "step:7:0.9";
        o.seed = 7;
        o.threads = 1;
        o.devices = devices;
        o.strategy = strategy;
        o.epochs = 2;
        return o;
    }

    @ParameterizedTest(name = "{0} on {1} {2}")
    @CsvSource({"adam, cpu:1, allreduce", "momentum, cpu:1, allreduce", "adam, cpu:2, allreduce", "momentum, cpu:2, ps"})
    void oneEpochThenResumeEqualsTwoEpochsStraight(String optimizer, String devices, String strategy) throws IOException {
        TrainOptions straight = options(optimizer, devices, strategy);
        straight.save = dir.resolve("straight.safetensors");
        Training.run(straight, List.of());

        TrainOptions first = options(optimizer, devices, strategy);
        first.epochs = 1;
        first.checkpointDir = dir.resolve("ck");
        Training.run(first, List.of());
        TrainOptions second = options(optimizer, devices, strategy);
        second.resume = dir.resolve("ck");
        second.save = dir.resolve("resumed.safetensors");
        TrainResult r = Training.run(second, List.of());
        assertEquals(1, r.epochs().size(), "only the second epoch runs");
        assertEquals(2, r.last().epoch());
        Parameters.assertIdentical(straight.save, second.save, optimizer + " " + devices + " " + strategy);
    }

    /** Mid-epoch checkpoints with a cosine schedule (which depends on the total): any step resumes exactly. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"adam", "momentum"})
    void resumeFromAnyStepCheckpointIsExact(String optimizer) throws IOException {
        TrainOptions straight = options(optimizer, "cpu:1", "allreduce");
        straight.schedule = "cosine:5";
        straight.checkpointDir = dir.resolve("ck");
        straight.checkpointEvery = "9";
        straight.keepCheckpoints = 100;
        straight.save = dir.resolve("straight.safetensors");
        Training.run(straight, List.of());
        List<Path> all = CheckpointStore.list(straight.checkpointDir);
        assertEquals(8, all.size(), "steps 9..63 every 9, and 64 at the end: " + all);
        for (Path c : List.of(all.get(1), all.get(4), all.get(7))) { // steps 63 (last batch of epoch 2 is 64), 36, 9
            TrainOptions again = options(optimizer, "cpu:1", "allreduce");
            again.schedule = "cosine:5";
            again.resume = c;
            again.save = dir.resolve("from-" + c.getFileName() + ".safetensors");
            Training.run(again, List.of());
            Parameters.assertIdentical(straight.save, again.save, optimizer + " resumed from " + c.getFileName());
        }
    }

    static TrainOptions gpt(String devices, String strategy) {
        TrainOptions o = new TrainOptions();
        o.data = "text:" + dev.quadrant.tests.TestData.dataset("tinyshakespeare").resolve("input.txt");
        o.model = "gpt:layers=1,heads=2,dim=16,ctx=16,dropout=0.1";
        o.batch = 8;
        o.steps = 24;
        o.optimizer = "adamw";
        o.lr = 3e-3f;
        o.betas = "0.9,0.99";
        o.weightDecay = 0.1f;
        o.schedule = "cosine:4:1e-4";
        o.clipNorm = 1f;
        o.seed = 1337;
        o.threads = 1;
        o.devices = devices;
        o.strategy = strategy;
        o.evalEvery = 8;
        o.evalBatches = 2;
        return o;
    }

    /** A GPT run (random windows, dropout, cosine schedule, clipping) resumed from step 10 ends bit-identical. */
    @ParameterizedTest(name = "GPT on {0} {1}")
    @CsvSource({"cpu:1, allreduce", "cpu:2, allreduce"})
    void gptResumeIsExact(String devices, String strategy) throws IOException {
        TrainOptions straight = gpt(devices, strategy);
        straight.checkpointDir = dir.resolve("ck");
        straight.checkpointEvery = "10";
        straight.save = dir.resolve("straight.safetensors");
        Training.run(straight, List.of());
        TrainOptions again = gpt(devices, strategy);
        again.resume = dir.resolve("ck").resolve("step-000010");
        again.save = dir.resolve("resumed.safetensors");
        Training.run(again, List.of());
        Parameters.assertIdentical(straight.save, again.save, "GPT resumed from step 10 on " + devices);
        assertEquals("gpt:layers=1,heads=2,dim=16,ctx=16,dropout=0.1,tie=true",
                CheckpointStore.load(again.resume).manifest().model().spec());
        assertTrue(CheckpointStore.load(again.resume).manifest().model().vocabulary().contains("ROMEO".substring(0, 1)),
                "the checkpoint records the vocabulary");
    }

    @Test
    void stepCountsThatFallOnAnEpochsEndAreSavedThere() {
        TrainOptions o = options("adam", "cpu:1", "allreduce");
        o.checkpointDir = dir.resolve("ck");
        o.checkpointEvery = "16"; // 32 steps per epoch
        o.keepCheckpoints = 10;
        Training.run(o, List.of());
        assertEquals(List.of(64L, 48L, 32L, 16L),
                CheckpointStore.list(o.checkpointDir).stream().map(CheckpointStore::stepOf).toList());
        assertEquals(1, CheckpointStore.load(o.checkpointDir.resolve("step-000032")).manifest().progress().epoch(),
                "the checkpoint at the end of epoch 1 continues with epoch 2 (index 1)");
    }

    /**
     * A checkpoint of format version 1 (as the previous release wrote it: {@code model.features} and
     * {@code model.classes} instead of the schema) resumes, exactly: the same checkpoint rewritten to version 1 gives
     * the parameters of the uninterrupted run.
     */
    @Test
    void aVersion1CheckpointStillResumes() throws IOException {
        TrainOptions straight = options("adam", "cpu:1", "allreduce");
        straight.save = dir.resolve("straight.safetensors");
        Training.run(straight, List.of());
        TrainOptions first = options("adam", "cpu:1", "allreduce");
        first.epochs = 1;
        first.checkpointDir = dir.resolve("ck");
        Training.run(first, List.of());
        Path ck = CheckpointStore.list(first.checkpointDir).get(0);
        Path manifest = ck.resolve("manifest.json");
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(manifest.toFile());
        root.put("version", 1);
        var model = (com.fasterxml.jackson.databind.node.ObjectNode) root.get("model");
        model.remove("input");
        model.remove("target");
        model.remove("vocabulary");
        model.put("features", 24);
        model.put("classes", 4);
        java.nio.file.Files.writeString(manifest, mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        java.nio.file.Files.delete(ck.resolve(CheckpointStore.MANIFEST_SHA256)); // version 1 had no manifest checksum
        assertEquals(1, mapper.readTree(manifest.toFile()).get("version").asInt());

        TrainOptions second = options("adam", "cpu:1", "allreduce");
        second.resume = ck;
        second.save = dir.resolve("resumed.safetensors");
        Training.run(second, List.of());
        Parameters.assertIdentical(straight.save, second.save, "resumed from a version 1 checkpoint");
    }

    /**
     * Without dropout: a 2-replica run and a 1-replica run differ in float32 summation order only; (dropout masks are
     * keyed by the global row, so they would agree as well, see GptEquivalenceTest).
     */
    @Test
    void twoReplicaAllReduceCheckpointResumesOnOne() throws IOException {
        TrainOptions straight = options("adam", "cpu:2", "allreduce");
        straight.dropout = 0f;
        straight.save = dir.resolve("straight2.safetensors");
        Training.run(straight, List.of());

        TrainOptions first = options("adam", "cpu:2", "allreduce");
        first.dropout = 0f;
        first.epochs = 1;
        first.checkpointDir = dir.resolve("ck");
        Training.run(first, List.of());
        TrainOptions second = options("adam", "cpu:1", "allreduce");
        second.dropout = 0f;
        second.resume = dir.resolve("ck");
        second.save = dir.resolve("on1.safetensors");
        Training.run(second, List.of());
        Parameters.assertClose(straight.save, second.save, 1e-4, "saved on cpu:2, resumed on cpu:1");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"hogwild", "gossip"})
    void asyncStrategiesResumeAndFinish(String strategy) throws IOException {
        TrainOptions first = options("adam", "cpu:2", strategy);
        first.epochs = 1;
        first.checkpointDir = dir.resolve("ck");
        TrainResult r1 = Training.run(first, List.of());
        TrainOptions second = options("adam", "cpu:2", strategy);
        second.epochs = 3;
        second.resume = dir.resolve("ck");
        second.checkpointDir = dir.resolve("ck");
        TrainResult r2 = Training.run(second, List.of());
        assertEquals(2, r2.epochs().size());
        assertEquals(3 * 32, r2.steps(), "steps continue from the checkpoint");
        assertTrue(r2.last().testAccuracy() >= r1.last().testAccuracy() - 0.05,
                strategy + ": accuracy after resuming " + r2.last().testAccuracy() + " vs " + r1.last().testAccuracy());
        TrainOptions onOne = options("adam", "cpu:1", "allreduce");
        onOne.epochs = 4;
        onOne.resume = dir.resolve("ck");
        assertEquals(1, Training.run(onOne, List.of()).epochs().size(), strategy + " checkpoint continues on cpu:1");
    }
}
