package dev.quadrant.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/** The benchmark's handling of bad input: one line naming what is wrong, exit code 2, no stack trace. */
class CpuThroughputBenchmarkTest {
    @Test
    void aMissingTextFileIsOneLineAndExitCode2() {
        StringWriter err = new StringWriter();
        CommandLine cl = CpuThroughputBenchmark.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("--workloads", "gpt", "--no-torch", "--text", "/nonexistent/input.txt");
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains("/nonexistent/input.txt") && err.toString().contains("no such file"),
                err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
    }
}
