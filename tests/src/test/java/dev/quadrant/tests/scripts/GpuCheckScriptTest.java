package dev.quadrant.tests.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verdicts of {@code scripts/gpu-check.sh}: each check is PASS exactly when its command succeeds. A fake bundle
 * whose {@code bin/quadrant} is a shell script stands for the real one, so no GPU, JDK image or data is needed. The
 * self-test check pipes its output through {@code tee}: without {@code pipefail} in the child shell a failing
 * self-test was reported as PASS.
 */
class GpuCheckScriptTest {

    private static final Path SCRIPT = Path.of("..", "scripts", "gpu-check.sh").toAbsolutePath().normalize();

    /** A bundle whose quadrant prints FAIL and exits 1 for {@code selftest} when {@code failSelftest}. */
    private static Path fakeBundle(Path dir, boolean failSelftest) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.createDirectories(dir.resolve("runtime"));
        Path q = bin.resolve("quadrant");
        Files.writeString(q, "#!/usr/bin/env bash\n"
                + "case \"$1\" in\n"
                + "  selftest) echo 'cuda:0 gemm FAIL (worst index 3: 1.0 vs 2.0)';"
                + (failSelftest ? " exit 1 ;;\n" : " echo 'selftest: all passed'; exit 0 ;;\n")
                + "  devices) echo 'CUDA: usable -- 1 CUDA device'; exit 0 ;;\n"
                + "  *) echo \"fake quadrant: $*\"; exit 0 ;;\n"
                + "esac\n");
        Files.setPosixFilePermissions(q, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    private static String run(Path bundle, Path log, int expectedExit) throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(SCRIPT), "no script at " + SCRIPT);
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString(), log.toString(), bundle.toString(),
                "/nonexistent-mnist", "/nonexistent-text");
        pb.environment().put("QUADRANT_CHECKS", "^(devices|selftest-.*)$");
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.resolveSibling(log.getFileName() + ".out").toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "gpu-check.sh did not finish in 120 s");
        String summary = Files.readString(log.resolve("summary.txt"));
        assertEquals(expectedExit, p.exitValue(), summary);
        return summary;
    }

    @Test
    void aFailingSelftestIsReportedAsFailEvenThroughTee(@TempDir Path tmp) throws Exception {
        String summary = run(fakeBundle(tmp.resolve("bundle"), true), tmp.resolve("log"), 1);
        assertTrue(summary.contains("PASS  devices"), summary);
        for (String p : new String[] {"fp32", "tf32", "bf16"}) {
            assertTrue(summary.contains("FAIL  selftest-" + p + " (exit 1"), summary);
        }
        assertTrue(summary.contains("4 checks, 3 failed"), summary);
        assertTrue(Files.readString(tmp.resolve("log/selftest-fp32.out")).contains("FAIL"), "tee still writes the output");
    }

    @Test
    void aPassingSelftestIsReportedAsPass(@TempDir Path tmp) throws Exception {
        String summary = run(fakeBundle(tmp.resolve("bundle"), false), tmp.resolve("log"), 0);
        assertTrue(summary.contains("PASS  selftest-fp32"), summary);
        assertTrue(summary.contains("4 checks, 0 failed, 0 skipped"), summary);
    }
}
