package dev.quadrant.bindings.mpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
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
 * The MPI binding for real: {@code mpirun -np 2} and {@code -np 3} of {@link MpiSelfCheck} on this machine (every
 * collective, bytes and floats, point-to-point, argument checks), the RTLD_GLOBAL promotion, and the load messages.
 * Skipped, saying why, where mpirun or the glue is missing (a build without Open MPI); CI installs Open MPI, so
 * there they run.
 */
@Tag("mpi")
class MpiCollectivesTest {

    @TempDir
    Path dir;

    static String mpirun() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(d, "mpirun");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    static void assumeMpi() {
        assumeTrue(mpirun() != null, "mpirun is not on PATH: install openmpi-bin libopenmpi-dev to run the MPI tests");
        Mpi.Availability a = Mpi.probe();
        assumeTrue(a.usable(), "MPI is " + a);
    }

    record Run(int code, String out) {}

    Run launch(int np, String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(mpirun(), "--allow-run-as-root", "--oversubscribe",
                "--mca", "btl", "self,vader,tcp", "-np", String.valueOf(np), java, "-Xmx128m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), MpiSelfCheck.class.getName()));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("mpirun-" + np + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("mpirun -np " + np + " did not finish in 120 s: " + Files.readString(log));
        }
        return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    @Test
    void everyCollectiveIsExactOnTwoAndThreeProcesses() throws Exception {
        assumeMpi();
        for (int np : new int[] {2, 3}) {
            Run r = launch(np);
            assertEquals(0, r.code(), r.out());
            for (int rank = 0; rank < np; rank++) {
                assertTrue(r.out().contains("mpi-self-check ok rank " + rank + " of " + np + " on "), r.out());
            }
            assertTrue(r.out().contains("global-symbols=true"), r.out());
            assertFalse(r.out().contains("undefined symbol"), r.out());
            assertFalse(r.out().contains("mca_base_component_repository_open"), r.out());
        }
    }

    @Test
    void loadFailuresSayWhatWasLookedForAndHowToFixIt() {
        String noGlue = Mpi.explainLoadFailure("no jniMpiNative in java.library.path: /usr/lib");
        assertTrue(noGlue.contains("this build has no MPI glue"), noGlue);
        assertTrue(noGlue.contains("libjniMpiNative.so"), noGlue);
        assertTrue(noGlue.contains("apt-get install openmpi-bin libopenmpi-dev"), noGlue);

        String noLibmpi = Mpi.explainLoadFailure("no jniMpiNative in java.library.path; caused by: /tmp/x/"
                + "libjniMpiNative.so: libmpi.so.40: cannot open shared object file: No such file or directory");
        assertTrue(noLibmpi.contains("needs Open MPI's libmpi.so.40"), noLibmpi);
        assertTrue(noLibmpi.contains("LD_LIBRARY_PATH"), noLibmpi);
        assertTrue(noLibmpi.contains("apt-get install openmpi-bin libopenmpi-dev"), noLibmpi);

        String otherMpi = Mpi.explainLoadFailure("no jniMpiNative; caused by: /tmp/libjniMpiNative.so: undefined "
                + "symbol: ompi_mpi_comm_world");
        assertTrue(otherMpi.contains("built against another Open MPI"), otherMpi);
    }

    /**
     * A class path without the glue (as a build without mpi.h has): a clear {@link MpiException}, no crash, in a JVM of
     * its own so that this one keeps its loaded glue.
     */
    @Test
    void withoutTheGlueProbeSaysWhyInsteadOfCrashing() throws Exception {
        Path classes = Path.of(Mpi.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assumeTrue(Files.isDirectory(classes), "the binding classes are in a jar here: " + classes);
        Path copy = dir.resolve("classes");
        try (var files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = copy.resolve(classes.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else if (!f.toString().endsWith(".so")) {
                    Files.copy(f, to);
                }
            }
        }
        String cp = copy + java.io.File.pathSeparator + dir.resolve("probe") + java.io.File.pathSeparator
                + System.getProperty("java.class.path").replace(classes.toString(), copy.toString());
        Path src = dir.resolve("probe/Probe.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, "public class Probe { public static void main(String[] a) { "
                + "System.out.println(dev.quadrant.bindings.mpi.Mpi.probe()); } }");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", cp, src.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("not usable: MPI load failed: this build has no MPI glue"), out);
    }
}
