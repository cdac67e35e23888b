package dev.quadrant.tests.mpi;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process that stops answering without dying ({@code kill -STOP}: the launcher sees nothing wrong): the next
 * collective of the others outlives its deadline ({@code QUADRANT_MPI_TIMEOUT_S=4} here, 5 minutes by default), and
 * the process that waited ends the job with {@code MPI_Abort} and a line naming itself, the call and the ranks it
 * waited for. Every process is gone soon after, the stopped one included; no hang.
 */
@Tag("mpi")
class MpiHangTest {
    @TempDir
    Path dir;

    @Test
    void aStoppedProcessEndsTheJobAtTheDeadlineNamingTheWait() throws Exception {
        MpiJob.assumeMpi();
        Path log = dir.resolve("hang.log");
        List<String> cmd = new ArrayList<>(MpiJob.command(3, List.of("train", "--data", "synthetic:16x4x4000", "--model",
                "mlp:32", "--batch", "24", "--steps", "100000", "--threads", "1", "--devices", "cpu:1",
                "--log-every", "5")));
        cmd.addAll(cmd.indexOf("-np"), List.of("-x", "QUADRANT_MPI_TIMEOUT_S"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("QUADRANT_MPI_TIMEOUT_S", "4");
        Process job = pb.start();
        try {
            MpiKillTest.waitForLine(job, log, "step 20/", 120);
            ProcessHandle stopped = MpiKillTest.rankProcess(job, 2);
            long t0 = System.nanoTime();
            Process stop = new ProcessBuilder("kill", "-STOP", String.valueOf(stopped.pid())).start();
            assertTrue(stop.waitFor(10, TimeUnit.SECONDS) && stop.exitValue() == 0, "kill -STOP failed");
            boolean ended = job.waitFor(30, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - t0) / 1e9;
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(ended, "the job still runs 30 s after rank 2 stopped:\n" + out);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (stopped.isAlive() && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertTrue(!stopped.isAlive(), "the stopped rank was left behind:\n" + out);
            assertTrue(out.contains("did not complete within 4 s") && out.contains("ending every process (MPI_Abort)"),
                    "no deadline message:\n" + out);
            assertTrue(out.matches("(?s).*quadrant: rank [01] of 3 on .*"), "the message names no rank:\n" + out);
            System.out.printf("stopped rank 2 at step 20: the job ended after %.1f s%n", seconds);
        } finally {
            job.descendants().forEach(ProcessHandle::destroyForcibly);
            job.destroyForcibly();
        }
    }
}
