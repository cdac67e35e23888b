package dev.quadrant.device.comm;

import java.nio.FloatBuffer;

/**
 * The collectives between the processes of a job, one call per process (made by one replica thread of it, the
 * process's leader for that operation): what {@link HierarchicalCommunicator} uses once the replicas inside each
 * process have combined their regions. Sums only: an average divides once, after the sum over every process.
 * {@code dev.quadrant.device.cluster.ProcessGroup} implements it over MPI; tests implement it over a
 * {@link LocalCommunicator} of "processes" in one JVM.
 *
 * <p>Every process calls the same operations in the same order. A failure (a process died, a deadline passed) is
 * fatal for the whole job: the implementation ends every process or throws a {@link CommunicatorException}.
 * Thread-safety: calls of one process come one at a time (the hierarchical communicator orders them); {@link #fail}
 * may come from any thread at any time.
 */
public interface ProcessLink {
    /** This process's rank among the processes. */
    int rank();

    /** Number of processes. */
    int size();

    /** In place: every process's region becomes the sum over all processes. */
    void allReduce(FloatBuffer buf, int offset, int count);

    /** In place at process {@code root}: its region becomes the sum; the others' regions are unchanged. */
    void reduce(FloatBuffer buf, int offset, int count, int root);

    /** Copies process {@code root}'s region into every other process's region. */
    void broadcast(FloatBuffer buf, int offset, int count, int root);

    /** Returns once every process has called it. */
    void barrier();

    /**
     * This process failed with {@code cause}: make every other process stop waiting for it (over MPI: end the job,
     * naming this rank and host). Idempotent; never blocks for long.
     */
    void fail(Throwable cause);

    /** How the processes are connected, for logs (e.g. "Open MPI, 3 processes"). */
    String describe();
}
