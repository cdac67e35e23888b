package dev.quadrant.device.cluster;

import java.util.Map;

/**
 * Where a launcher put this process: its rank, the number of processes, its rank among the processes on its host,
 * and the rendezvous address when the launcher gives one. Read from the launcher's environment variables, the first
 * launcher whose variables are all present winning:
 *
 * <table>
 *   <caption>variables read</caption>
 *   <tr><th>launcher</th><th>rank</th><th>size</th><th>local rank</th></tr>
 *   <tr><td>Open MPI ({@code mpirun})</td><td>OMPI_COMM_WORLD_RANK</td><td>OMPI_COMM_WORLD_SIZE</td>
 *       <td>OMPI_COMM_WORLD_LOCAL_RANK</td></tr>
 *   <tr><td>Slurm ({@code srun})</td><td>SLURM_PROCID</td><td>SLURM_NTASKS</td><td>SLURM_LOCALID</td></tr>
 *   <tr><td>PMI (MPICH, Intel MPI, Slurm's PMI-2)</td><td>PMI_RANK</td><td>PMI_SIZE</td>
 *       <td>MPI_LOCALRANKID</td></tr>
 *   <tr><td>torchrun</td><td>RANK</td><td>WORLD_SIZE</td><td>LOCAL_RANK</td></tr>
 * </table>
 * A missing local rank reads as 0. {@code MASTER_ADDR} and {@code MASTER_PORT} (torchrun's rendezvous) are kept
 * when set. No variables: one process ({@link #SINGLE}). Values that are not numbers, or a rank outside
 * {@code [0, size)}, are refused with the variable's name.
 *
 * <pre>{@code
 * LaunchEnvironment env = LaunchEnvironment.read(System.getenv());
 * if (env.size() > 1) { ... join the job ... }
 * }</pre>
 *
 * @param launcher     which launcher's variables were read ({@code "none"} for one process)
 * @param masterAddr   torchrun's {@code MASTER_ADDR}, or null
 * @param masterPort   torchrun's {@code MASTER_PORT}, or 0
 */
public record LaunchEnvironment(String launcher, int rank, int size, int localRank, String masterAddr, int masterPort) {
    /** One process, no launcher. */
    public static final LaunchEnvironment SINGLE = new LaunchEnvironment("none", 0, 1, 0, null, 0);

    private static final String[][] LAUNCHERS = {
        {"Open MPI", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK"},
        {"Slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID"},
        {"PMI", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID"},
        {"torchrun", "RANK", "WORLD_SIZE", "LOCAL_RANK"},
    };

    /** Reads {@code env} (normally {@link System#getenv()}). */
    public static LaunchEnvironment read(Map<String, String> env) {
        for (String[] l : LAUNCHERS) {
            if (env.containsKey(l[1]) && env.containsKey(l[2])) {
                int size = number(env, l[2]);
                int rank = number(env, l[1]);
                int local = env.containsKey(l[3]) ? number(env, l[3]) : 0;
                if (size < 1 || rank < 0 || rank >= size || local < 0 || local >= size) {
                    throw new IllegalArgumentException("the " + l[0] + " launcher's variables are inconsistent: "
                            + l[1] + "=" + rank + ", " + l[2] + "=" + size + ", " + l[3] + "=" + local
                            + " (need 0 <= rank < size and 0 <= local rank < size)");
                }
                String addr = env.get("MASTER_ADDR");
                int port = env.containsKey("MASTER_PORT") ? number(env, "MASTER_PORT") : 0;
                return new LaunchEnvironment(l[0], rank, size, local, addr, port);
            }
        }
        return SINGLE;
    }

    private static int number(Map<String, String> env, String name) {
        String v = env.get(name).strip();
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the launcher variable " + name + "='" + v + "' is not a whole number",
                    e);
        }
    }

    /** Whether MPI carries this job's collectives (Open MPI, Slurm and PMI launch MPI jobs; torchrun does not). */
    public boolean mpiLaunched() {
        return launcher.equals("Open MPI") || launcher.equals("Slurm") || launcher.equals("PMI");
    }

    /** "rank R of N (local rank L), from LAUNCHER's variables", for logs. */
    public String describe() {
        return size == 1 ? "one process" : "rank " + rank + " of " + size + " (local rank " + localRank + "), from "
                + launcher + "'s variables";
    }
}
