package dev.quadrant.tests.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.trainer.checkpoint.CheckpointLock;
import dev.quadrant.trainer.checkpoint.CheckpointStore;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Training;

/**
 * {@code kill -9} at random moments of a checkpointed run, 30 times: {@code quadrant train} runs as a separate JVM
 * writing a checkpoint every 2 steps (so most kills land inside a checkpoint write, which is where the time goes),
 * and is killed with {@link Process#destroyForcibly()} after a random delay. Each time, every checkpoint directory
 * that is visible must load (manifest complete, checksums right), and resuming from the newest one must finish with
 * parameters bit-identical to an uninterrupted run: nothing lost, nothing half-written.
 *
 * <p>Bounded: about 1.5 s per kill on 2 cores; the whole test fails rather than hang after 3 minutes. A run that
 * ended before its kill (possible for the timed kills on a fast machine) is checked all the same, and counted.
 */
class KillDuringCheckpointTest {
    static final int KILLS = 30;
    static final String[] JOB = {"--data", "synthetic:16x4x4000", "--model", "mlp:16", "--batch", "16",
        "--epochs", "2", "--optimizer", "adam", "--lr", "0.01", "--seed", "3", "--threads", "1", "--devices", "cpu:1"};

    @TempDir
    Path dir;

    static TrainOptions job() {
        TrainOptions o = new TrainOptions();
        o.data = "synthetic:16x4x4000";
        o.model = "mlp:16";
        o.batch = 16;
        o.epochs = 2;
        o.optimizer = "adam";
        o.lr = 0.01f;
        o.seed = 3;
        o.threads = 1;
        o.devices = "cpu:1";
        return o;
    }

    @Test
    void killedRunsAlwaysLeaveALoadableNewestCheckpointThatResumesExactly() {
        assertTimeoutPreemptively(Duration.ofMinutes(3), this::killThirtyTimes);
    }

    private void killThirtyTimes() throws Exception {
        TrainOptions reference = job();
        reference.save = dir.resolve("reference.safetensors");
        Training.run(reference, List.of());

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("java.class.path");
        Random rnd = new Random(20261127);
        int withCheckpoint = 0;
        int killedInsideAWrite = 0;
        int finishedFirst = 0;
        List<String> log = new ArrayList<>();
        for (int kill = 0; kill < KILLS; kill++) {
            Path ck = dir.resolve("run-" + kill);
            List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classPath,
                    "dev.quadrant.trainer.cli.Main", "train"));
            cmd.addAll(List.of(JOB));
            cmd.addAll(List.of("--checkpoint-dir", ck.toString(), "--checkpoint-every", "2"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("run-" + kill + ".log").toFile()).start();
            String when;
            if (kill % 3 == 0) {            // at a random time, often before the first checkpoint
                long delayMs = rnd.nextInt(900);
                p.waitFor(delayMs, TimeUnit.MILLISECONDS);
                when = "after " + delayMs + " ms";
            } else {                        // at a random point of progress, whatever this machine's speed
                long target = 2 + rnd.nextInt(440);
                waitForStep(p, ck, target);
                long extraMs = rnd.nextInt(15);
                p.waitFor(extraMs, TimeUnit.MILLISECONDS);
                when = "at step " + target + " + " + extraMs + " ms";
            }
            boolean finished = !p.isAlive();
            p.destroyForcibly();
            p.waitFor();
            if (finished) {
                finishedFirst++; // a fast file system: the job ended before the kill; its checkpoints are checked all the same
            }
            if (hasLeftovers(ck)) {
                killedInsideAWrite++;
            }
            List<Path> visible = CheckpointStore.list(ck);
            for (Path c : visible) {
                CheckpointStore.load(c); // throws, naming the file, if a visible checkpoint is incomplete
            }
            log.add("kill " + kill + " " + when + (finished ? " (had finished)" : "") + ": "
                    + visible.size() + " checkpoints, newest " + (visible.isEmpty() ? "none" : visible.get(0).getFileName()));
            if (visible.isEmpty()) {
                continue;
            }
            withCheckpoint++;
            TrainOptions resume = job();
            resume.resume = ck;
            resume.checkpointDir = ck;
            resume.checkpointEvery = "1000";
            resume.save = dir.resolve("resumed-" + kill + ".safetensors");
            Training.run(resume, List.of());
            Parameters.assertIdentical(reference.save, resume.save, "kill " + kill + " (" + log.get(kill) + ")");
            assertTrue(!hasLeftovers(ck), "kill " + kill + ": the resumed run removes what the killed one left");
        }
        System.out.println(String.join("\n", log));
        System.out.println(withCheckpoint + " of " + KILLS + " kills left checkpoints; " + killedInsideAWrite
                + " were inside a checkpoint write (a temporary directory was left); " + finishedFirst
                + " runs had finished before the kill");
        assertTrue(withCheckpoint >= KILLS / 2, "most kills should come after the first checkpoint: " + withCheckpoint);
        assertTrue(finishedFirst <= KILLS / 3, finishedFirst + " of " + KILLS + " runs finished before they were "
                + "killed: the job is too short for this machine");
        assertEquals(KILLS, log.size());
    }

    /** Waits until the newest checkpoint in {@code ck} is at least at {@code step} (or the run ended). */
    private static void waitForStep(Process p, Path ck, long step) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && p.isAlive()) {
            List<Path> all = CheckpointStore.list(ck);
            if (!all.isEmpty() && CheckpointStore.stepOf(all.get(0)) >= step) {
                return;
            }
            Thread.sleep(2);
        }
        if (p.isAlive()) {
            fail("no checkpoint at step " + step + " or later appeared in " + ck + " within 30 s");
        }
    }

    private static boolean hasLeftovers(Path ck) throws IOException {
        if (!Files.isDirectory(ck)) {
            return false;
        }
        try (Stream<Path> s = Files.list(ck)) {
            return s.map(p -> p.getFileName().toString())
                    .anyMatch(n -> n.startsWith(".") && !n.equals(CheckpointLock.FILE)); // the lock file stays
        }
    }
}
