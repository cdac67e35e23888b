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
}
