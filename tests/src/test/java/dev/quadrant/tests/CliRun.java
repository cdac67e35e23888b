package dev.quadrant.tests;

import java.io.PrintWriter;
import java.io.StringWriter;

import dev.quadrant.trainer.cli.Main;

/** One in-process run of the {@code quadrant} command: exit status, standard output and standard error. */
public record CliRun(int code, String out, String err) {

    /** Runs {@code quadrant ARGS...} in this JVM. */
    public static CliRun run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }

    /**
     * Runs {@code quadrant ARGS...} in this JVM with {@link System#err} captured as well: the log lines (SLF4J's, which
     * write to {@code System.err}) come back after the command's own standard error in {@link #err}.
     */
    public static CliRun runWithLog(String... args) {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            CliRun r = run(args);
            return new CliRun(r.code(), r.out(), r.err() + log.toString(java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            System.setErr(saved);
        }
    }
}
