package dev.quadrant.tests.cli;

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
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.tests.CliRun;
import dev.quadrant.trainer.checkpoint.CheckpointStore;

/**
 * {@code quadrant train} as a separate JVM, for what only a real process shows: SIGINT and SIGTERM (stop after the
 * step, checkpoint, say where and how to resume, exit 130 / 143) and the log lines of slf4j on standard error (the
 * schedule-horizon line of a resumed cosine run). Each child is bounded; the test fails rather than hang.
 */
class ChildProcessTest {
    /** 1000 steps, slowed by a checkpoint every 2 steps to a few seconds on 2 cores. */
    static final String[] LONG_JOB = {"--data", "synthetic:16x4x4000", "--model", "mlp:16", "--batch", "16",
        "--epochs", "4", "--optimizer", "adam", "--lr", "0.01", "--seed", "3", "--threads", "1", "--devices", "cpu:1"};

    @TempDir
    Path dir;

    record Child(Process process, Path out, Path err) {
        String stdout() throws IOException { return Files.readString(out); }

        String stderr() throws IOException { return Files.readString(err); }
    }

    Child start(String name, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), "dev.quadrant.trainer.cli.Main"));
        cmd.addAll(List.of(args));
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new Child(p, out, err);
    }

    static int waitFor(Child c, int seconds) throws Exception {
        if (!c.process().waitFor(seconds, TimeUnit.SECONDS)) {
            c.process().destroyForcibly();
            fail("the child did not end within " + seconds + " s; stderr:\n" + c.stderr());
        }
        return c.process().exitValue();
    }

    /** Waits until {@code ck} holds a checkpoint at step 20 or later: training is under way. */
    static void waitForTraining(Child c, Path ck) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && c.process().isAlive()) {
            List<Path> all = CheckpointStore.list(ck);
            if (!all.isEmpty() && CheckpointStore.stepOf(all.get(0)) >= 20) {
                return;
            }
            Thread.sleep(5);
        }
        fail("no checkpoint at step 20 within 60 s (alive " + c.process().isAlive() + "); stderr:\n" + c.stderr());
    }

    static String[] job(String... more) {
        List<String> a = new ArrayList<>(List.of("train"));
        a.addAll(List.of(LONG_JOB));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void sigintAndSigtermCheckpointSayHowToResumeAndExit130And143() {
        assertTimeoutPreemptively(Duration.ofMinutes(3), () -> {
            for (String signal : new String[] {"INT", "TERM"}) {
                Path ck = dir.resolve("ck-" + signal);
                Path metrics = dir.resolve("m-" + signal + ".jsonl");
                Child c = start(signal, job("--checkpoint-dir", ck.toString(), "--checkpoint-every", "2",
                        "--metrics", metrics.toString()));
                waitForTraining(c, ck);
                Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(c.process().pid())).start();
                assertEquals(0, kill.waitFor(), "kill -s " + signal);
                int code = waitFor(c, 60);
                String err = c.stderr();
                assertEquals(signal.equals("INT") ? 130 : 143, code, "exit status after SIG" + signal + "; stderr:\n" + err);
                Path newest = CheckpointStore.list(ck).get(0);
                assertTrue(CheckpointStore.stepOf(newest) < 1000, "stopped before the end: " + newest);
                CheckpointStore.load(newest);
                assertTrue(err.contains("stopped by SIG" + signal + " after step " + CheckpointStore.stepOf(newest)
                        + " of 1000; checkpoint written: " + newest), "names the checkpoint:\n" + err);
                assertTrue(err.contains("resume with: quadrant train --resume " + ck + " --metrics " + metrics + " "),
                        "the command, with the run's outputs (a checkpoint never supplies them):\n" + err);

                CliRun resumed = CliRun.run("train", "--resume", ck.toString(), "--checkpoint-every", "1000");
                assertEquals(0, resumed.code(), resumed.err());
                assertTrue(resumed.out().contains("done: 1000 steps"), resumed.out());
            }
        });
    }

    @Test
    void resumingACosineRunWithMoreEpochsSaysTheHorizonChanged() {
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            Path ck = dir.resolve("ck");
            String[] small = {"train", "--data", "synthetic:12x3x300", "--model", "mlp:8", "--batch", "32",
                "--threads", "1", "--devices", "cpu:1", "--schedule", "cosine"};
            List<String> first = new ArrayList<>(List.of(small));
            first.addAll(List.of("--epochs", "1", "--checkpoint-dir", ck.toString()));
            CliRun r = CliRun.run(first.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            Child c = start("resume", "train", "--resume", ck.toString(), "--epochs", "2");
            assertEquals(0, waitFor(c, 60), c.stderr());
            String err = c.stderr();
            long lines = err.lines().filter(l -> l.contains("horizon")).count();
            assertEquals(1, lines, "one line:\n" + err);
            assertTrue(err.contains("--schedule cosine:0: resuming changes the schedule's horizon from 10 to 20 total "
                    + "steps; from step 10 on the learning rate follows the cosine over 20 steps"), err);

            Child same = start("same", "train", "--resume", ck.toString(), "--epochs", "2");
            assertEquals(0, waitFor(same, 60), same.stderr());
            assertTrue(!same.stderr().contains("horizon"), "the same horizon as the checkpoint's run: no line\n"
                    + same.stderr());
        });
    }
}
