package dev.quadrant.tests.mpi;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.quadrant.bindings.mpi.Mpi;

/**
 * Launches {@code quadrant} (this JVM's class path) under {@code mpirun} on this machine, as the README tells users
 * to on several hosts: {@code mpirun --allow-run-as-root --oversubscribe -np N java ... Main ARGS}. The TCP and
 * shared-memory transports only, so the test does not depend on what else Open MPI finds here.
 */
final class MpiJob {
    private MpiJob() {}

    /** The {@code mpirun} on PATH, or null. */
    static String mpirun() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(d, "mpirun");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    /** Skips the calling test, saying why, where mpirun or the MPI glue is missing. */
    static void assumeMpi() {
        assumeTrue(mpirun() != null, "mpirun is not on PATH: install openmpi-bin libopenmpi-dev to run the MPI tests");
        Mpi.Availability a = Mpi.probe();
        assumeTrue(a.usable(), "MPI is " + a);
    }

    /**
     * The command line of {@code np} processes of {@code quadrant ARGS}. The processes start through a shell script
     * ({@code bin/quadrant} does the same for users): Open MPI's mpirun rewrites the {@code -cp} of an application
     * named {@code java} (it adds its own mpi.jar and the working directory), which here lost the class path.
     */
    static List<String> command(int np, List<String> args) throws IOException {
        return command(np, args, true);
    }

    /**
     * As above; {@code quickStart} stops the JIT at C1 (the short jobs of most tests start faster; a job that trains
     * for tens of seconds is faster with the full JIT).
     */
    static List<String> command(int np, List<String> args, boolean quickStart) throws IOException {
        Path wrapper = Files.createTempFile("quadrant-java-", ".sh");
        Files.writeString(wrapper, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
                + "' \"$@\"\n");
        wrapper.toFile().setExecutable(true);
        wrapper.toFile().deleteOnExit();
        String java = wrapper.toString();
        List<String> cmd = new ArrayList<>(List.of(mpirun(), "--allow-run-as-root", "--oversubscribe",
                "--mca", "btl", "self,vader,tcp", "-np", String.valueOf(np),
                java, "-Xmx384m", "-XX:+UseSerialGC", quickStart ? "-XX:TieredStopAtLevel=1" : "-XX:+TieredCompilation",
                "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-cp", System.getProperty("java.class.path"),
                "dev.quadrant.trainer.cli.Main"));
        cmd.addAll(args);
        return cmd;
    }

    record Result(int code, String output) {}

    /** Runs the job to its end (at most {@code seconds}); standard output and error together. */
    static Result run(Path log, int np, int seconds, List<String> args) throws IOException, InterruptedException {
        return run(log, np, seconds, args, true);
    }

    /** As above, with the JIT choice of {@link #command(int, List, boolean)}. */
    static Result run(Path log, int np, int seconds, List<String> args, boolean quickStart)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command(np, args, quickStart)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("mpirun -np " + np + " did not end within " + seconds + " s: "
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
