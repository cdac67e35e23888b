package dev.quadrant.tests.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.trainer.checkpoint.CheckpointStore;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Training;
import dev.quadrant.trainer.train.TrainingInterruptedException;

/**
 * {@link TrainListener#interruptRequested()} (what Ctrl-C sets): the run stops after that step, the state is
 * checkpointed there, the exception names the checkpoint, and resuming from it ends bit-identical to an uninterrupted
 * run, on one replica and on two (allreduce).
 */
class InterruptTest {
    @TempDir
    Path dir;

    static TrainOptions job(String devices) {
        TrainOptions o = KillDuringCheckpointTest.job();
        o.epochs = 1;
        o.data = "synthetic:16x4x800";
        o.devices = devices;
        o.threads = 2;
        return o;
    }

    @Test
    void interruptedRunCheckpointsWhereItStoppedAndResumesExactly() throws Exception {
        for (String devices : new String[] {"cpu:1", "cpu:2"}) {
            TrainOptions reference = job(devices);
            reference.save = dir.resolve(devices.replace(':', '-') + "-reference.safetensors");
            Training.run(reference, List.of());

            Path ck = dir.resolve(devices.replace(':', '-') + "-ck");
            TrainOptions first = job(devices);
            first.checkpointDir = ck;
            first.checkpointEvery = "10"; // a checkpoint at 10 and 20, the interrupt at 23
            first.save = dir.resolve("never-written.safetensors");
            long[] seen = {0};
            TrainListener ctrlC = new TrainListener() {
                @Override
                public void onStep(long step, int epoch, double loss) { seen[0] = step; }

                @Override
                public boolean interruptRequested() { return seen[0] >= 23; }
            };
            TrainingInterruptedException e = assertThrows(TrainingInterruptedException.class,
                    () -> Training.run(first, List.of(ctrlC)));
            assertEquals(23, e.position().step(), devices + ": " + e.getMessage());
            assertEquals(50, e.totalSteps(), devices);
            assertNotNull(e.checkpoint(), devices + ": " + e.getMessage());
            assertEquals(ck.resolve("step-000023"), e.checkpoint(), devices);
            CheckpointStore.load(e.checkpoint());
            assertTrue(!first.save.toFile().exists(), "an interrupted run does not --save");

            TrainOptions resume = job(devices);
            resume.resume = ck;
            resume.checkpointDir = ck;
            resume.save = dir.resolve(devices.replace(':', '-') + "-resumed.safetensors");
            Training.run(resume, List.of());
            Parameters.assertIdentical(reference.save, resume.save, devices + ": resumed after the interrupt");
        }
    }

    @Test
    void withoutCheckpointDirTheExceptionSaysNothingWasWritten() {
        TrainOptions o = job("cpu:1");
        TrainListener stopAt5 = new TrainListener() {
            long step;

            @Override
            public void onStep(long s, int epoch, double loss) { step = s; }

            @Override
            public boolean interruptRequested() { return step >= 5; }
        };
        TrainingInterruptedException e = assertThrows(TrainingInterruptedException.class,
                () -> Training.run(o, List.of(stopAt5)));
        assertEquals(5, e.position().step());
        assertEquals(null, e.checkpoint());
        assertTrue(e.getMessage().contains("no checkpoint"), e.getMessage());
    }
}
