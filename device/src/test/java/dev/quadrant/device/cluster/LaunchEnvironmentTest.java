package dev.quadrant.device.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** Every launcher's variables, their precedence, and the refusals; no MPI needed. */
class LaunchEnvironmentTest {

    @Test
    void noVariablesIsOneProcess() {
        assertEquals(LaunchEnvironment.SINGLE, LaunchEnvironment.read(Map.of()));
        assertEquals(1, LaunchEnvironment.read(Map.of("RANK", "0")).size()); // RANK alone is not a launch
    }

    @Test
    void openMpi() {
        var e = LaunchEnvironment.read(Map.of("OMPI_COMM_WORLD_RANK", "2", "OMPI_COMM_WORLD_SIZE", "3",
                "OMPI_COMM_WORLD_LOCAL_RANK", "1"));
        assertEquals(new LaunchEnvironment("Open MPI", 2, 3, 1, null, 0), e);
        assertTrue(e.mpiLaunched());
    }

    @Test
    void slurmPmiAndTorchrun() {
        assertEquals(new LaunchEnvironment("Slurm", 5, 8, 1, null, 0),
                LaunchEnvironment.read(Map.of("SLURM_PROCID", "5", "SLURM_NTASKS", "8", "SLURM_LOCALID", "1")));
        assertEquals(new LaunchEnvironment("PMI", 1, 2, 0, null, 0),
                LaunchEnvironment.read(Map.of("PMI_RANK", "1", "PMI_SIZE", "2")));
        var t = LaunchEnvironment.read(Map.of("RANK", "3", "WORLD_SIZE", "4", "LOCAL_RANK", "3",
                "MASTER_ADDR", "10.0.0.1", "MASTER_PORT", "29500"));
        assertEquals(new LaunchEnvironment("torchrun", 3, 4, 3, "10.0.0.1", 29500), t);
        assertFalse(t.mpiLaunched());
    }

    /** mpirun inside a Slurm allocation sets both: the launcher that started the process (Open MPI) wins. */
    @Test
    void openMpiWinsOverTheAllocationsVariables() {
        var e = LaunchEnvironment.read(Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "1",
                "OMPI_COMM_WORLD_RANK", "1", "OMPI_COMM_WORLD_SIZE", "2"));
        assertEquals("Open MPI", e.launcher());
        assertEquals(1, e.rank());
        assertEquals(0, e.localRank());
    }

    @Test
    void badValuesAreRefusedNamingTheVariable() {
        var notANumber = assertThrows(IllegalArgumentException.class, () -> LaunchEnvironment.read(
                Map.of("OMPI_COMM_WORLD_RANK", "one", "OMPI_COMM_WORLD_SIZE", "2")));
        assertTrue(notANumber.getMessage().contains("OMPI_COMM_WORLD_RANK='one'"), notANumber.getMessage());
        var outside = assertThrows(IllegalArgumentException.class, () -> LaunchEnvironment.read(
                Map.of("RANK", "4", "WORLD_SIZE", "4")));
        assertTrue(outside.getMessage().contains("RANK=4, WORLD_SIZE=4"), outside.getMessage());
    }

    @Test
    void aSingleProcessNeedsNoMpi() {
        ProcessGroup g = ProcessGroup.join(LaunchEnvironment.SINGLE, java.time.Duration.ofSeconds(1));
        assertTrue(g.isSingle());
        assertEquals(1, g.size());
        assertEquals(3.5, g.sum(new double[] {3.5})[0]);
        g.requireSame("anything", 7);
        g.close();
    }

    @Test
    void torchrunWithoutMpiIsRefusedClearly() {
        var e = assertThrows(dev.quadrant.device.UserInputException.class, () -> ProcessGroup.join(
                new LaunchEnvironment("torchrun", 0, 2, 0, "127.0.0.1", 29500), java.time.Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("launch with mpirun"), e.getMessage());
    }
}
