package dev.quadrant.device.cluster;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.quadrant.bindings.mpi.Mpi;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.comm.ProcessLink;

/**
 * This process's place in a job of several processes: one process alone ({@link #single()}), or rank {@code r} of
 * an MPI job ({@link #join}). The MPI calls run on one thread of this object ({@code mpi}), in the order they are
 * issued; the caller waits at most the deadline, then the job is ended ({@code MPI_Abort}) with a message naming
 * this rank, its host and the call. An MPI error (a peer died: MPI returns an error, since the communicator has
 * {@code MPI_ERRORS_RETURN}) and a replica failure reported through {@link ProcessLink#fail} end the job the same
 * way, so no process waits for a dead one: the launcher then stops every process and names the one that failed.
 *
 * <pre>{@code
 * try (ProcessGroup procs = ProcessGroup.fromEnvironment(Duration.ofMinutes(5))) {   // under mpirun -np N
 *     double[] loss = procs.sum(new double[] {mySum, myCount});
 * }
 * }</pre>
 *
 * <p>Thread-safety: every method may be called from any thread; the calls of {@link #link()} must be issued in the
 * same order on every process (the hierarchical communicator does). {@link #close()} finalizes MPI: once per
 * process, after training.
 */
public final class ProcessGroup implements AutoCloseable {
    private static final ProcessGroup SINGLE = new ProcessGroup(null, LaunchEnvironment.SINGLE, Duration.ofDays(1));

    private final Mpi mpi;                 // null for one process
    private final LaunchEnvironment env;
    private final Duration deadline;
    private final ExecutorService thread;  // null for one process
    private final AtomicBoolean aborting = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ProcessLink link;

    private ProcessGroup(Mpi mpi, LaunchEnvironment env, Duration deadline) {
        this.mpi = mpi;
        this.env = env;
        this.deadline = deadline;
        this.thread = mpi == null ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "mpi");
            t.setDaemon(true);
            return t;
        });
        this.link = mpi == null ? null : new MpiLink();
    }

    /** One process alone: no MPI, every sum is the identity. */
    public static ProcessGroup single() { return SINGLE; }

    /** The environment variable that overrides the deadline of MPI calls, in seconds (tests, slow networks). */
    public static final String TIMEOUT_VARIABLE = "QUADRANT_MPI_TIMEOUT_S";

    /**
     * This process in the job its launcher started, from {@link System#getenv()}: {@link #single()} when no launcher
     * set its variables or the job has one process, else {@link #join}; {@value #TIMEOUT_VARIABLE}, when set, replaces
     * {@code deadline} (a whole number of seconds, at least 1).
     */
    public static ProcessGroup fromEnvironment(Duration deadline) {
        String t = System.getenv(TIMEOUT_VARIABLE);
        if (t != null) {
            long s;
            try {
                s = Long.parseLong(t.strip());
            } catch (NumberFormatException e) {
                s = 0;
            }
            if (s < 1) {
                throw new UserInputException(TIMEOUT_VARIABLE + "='" + t + "' is not a whole number of seconds >= 1");
            }
            deadline = Duration.ofSeconds(s);
        }
        return join(LaunchEnvironment.read(System.getenv()), deadline);
    }

    /**
     * Joins the MPI job {@code env} describes ({@code MPI_Init}, then checks that MPI's rank and size are the
     * launcher's); {@link #single()} when {@code env} has one process.
     *
     * @param deadline the longest one MPI call may take before the job is ended (it must cover the largest difference
     *                 in arrival between processes, e.g. one evaluation on rank 0)
     */
    public static ProcessGroup join(LaunchEnvironment env, Duration deadline) {
        Objects.requireNonNull(deadline, "deadline");
        if (env.size() == 1) {
            return SINGLE;
        }
        if (!env.mpiLaunched()) {
            throw new UserInputException("this process is " + env.describe() + ", but a job of several processes "
                    + "runs its collectives over MPI and the rendezvous at MASTER_ADDR (torchrun's, without MPI) is not "
                    + "implemented yet: launch with mpirun -np N (Open MPI) or srun (Slurm) instead");
        }
        Mpi mpi = Mpi.init();
        if (mpi.rank() != env.rank() || mpi.size() != env.size()) {
            String m = "MPI says " + mpi.describe() + " but the launcher's variables say " + env.describe()
                    + ": the process was not started by the MPI that Quadrant's glue links (check that mpirun and "
                    + "libmpi.so.40 come from the same Open MPI)";
            mpi.abort(m, 2);
            throw new IllegalStateException(m);
        }
        return new ProcessGroup(mpi, env, deadline);
    }

    /**
     * What {@code quadrant devices} says about jobs of several processes here: whether MPI loads (and its version) or
     * why not, how this process was launched, and multi-process NCCL's state. Never initialises MPI.
     */
    public static java.util.List<String> describeAvailability(java.util.Map<String, String> environment) {
        Mpi.Availability mpi = Mpi.probe();
        String launch;
        try {
            LaunchEnvironment env = LaunchEnvironment.read(environment);
            launch = env.size() == 1 ? "this process was not started by a launcher (start a job with mpirun -np N "
                    + "or srun)" : "this process is " + env.describe();
        } catch (IllegalArgumentException e) {
            launch = "the launcher's variables are not usable: " + e.getMessage();
        }
        return java.util.List.of(
                "mpi: " + mpi + (mpi.usable() ? "; CPU replicas of several processes (hosts) train as one job; "
                        + launch : ""),
                "nccl across processes: GPU replicas of several processes (one per GPU, the same count in every "
                        + "process) form one NCCL communicator over every GPU of the job (ncclCommInitRank, its id "
                        + "sent over MPI); verified on the stub libraries in one JVM only, not yet on real GPUs; "
                        + "several replicas on one GPU (cuda:0xN) work inside one process only");
    }

    /** This process's rank in the job. */
    public int rank() { return mpi == null ? 0 : mpi.rank(); }

    /** Number of processes in the job. */
    public int size() { return mpi == null ? 1 : mpi.size(); }

    /** Whether this process is alone (no MPI). */
    public boolean isSingle() { return mpi == null; }

    /** The launcher's view of this process (local rank, launcher name). */
    public LaunchEnvironment environment() { return env; }

    /** The host MPI knows this process by ("localhost" alone). */
    public String host() { return mpi == null ? "localhost" : mpi.host(); }

    /** The collectives between processes, for {@link dev.quadrant.device.comm.HierarchicalCommunicator}. */
    public ProcessLink link() {
        if (link == null) {
            throw new IllegalStateException("a single process has no process link");
        }
        return link;
    }

    /**
     * A mailbox to the next process of the ring and from the previous one, for messages of {@code floats} floats
     * (gossip across processes); close it before this group. Every process must create one.
     */
    public RingMailbox ringMailbox(int floats) {
        if (mpi == null) {
            throw new IllegalStateException("a single process has no ring of processes");
        }
        return new RingMailbox(this, mpi, floats);
    }

    /** A received message's sender and tag. */
    public record Message(int source, int tag) {}

    /**
     * Sends {@code count} floats of {@code buf} to process {@code dest} with {@code tag}, on the calling thread (not
     * the {@code mpi} thread: point-to-point runs beside the collectives, so it needs {@code MPI_THREAD_MULTIPLE}).
     * A failure ends the job.
     */
    public void send(FloatBuffer buf, int count, int dest, int tag) {
        pointToPoint("MPI_Send of " + count + " floats to rank " + dest, () -> mpi.send(buf, 0, count, dest, tag));
    }

    /**
     * Receives {@code count} floats into {@code buf} from {@code source} ({@code -1}: any) with {@code tag}
     * ({@code -1}: any), on the calling thread (see {@link #send}); a failure ends the job.
     */
    public Message receive(FloatBuffer buf, int count, int source, int tag) {
        Message[] got = new Message[1];
        pointToPoint("MPI_Recv of " + count + " floats", () -> {
            Mpi.Received r = mpi.recvAny(buf, 0, count, source, tag);
            got[0] = new Message(r.source(), r.tag());
        });
        return got[0];
    }

    private void pointToPoint(String what, Runnable call) {
        if (mpi == null) {
            throw new IllegalStateException("a single process has no other process to send to");
        }
        if (!mpi.threadMultiple()) {
            throw new IllegalStateException("point-to-point beside the collectives needs MPI_THREAD_MULTIPLE, which "
                    + "this MPI did not grant (" + mpi.describe() + ")");
        }
        try {
            call.run();
        } catch (RuntimeException e) {
            abortJob(what + " failed: " + e.getMessage());
            throw e;
        }
    }

    /** "rank R of N on HOST (Open MPI ...)", or "one process", for logs. */
    public String describe() {
        return mpi == null ? "one process" : mpi.describe() + " (local rank " + env.localRank() + ", launched by "
                + env.launcher() + ")";
    }

    /** The element-wise sum of {@code values} over every process (a copy for one process). */
    public double[] sum(double[] values) {
        double[] out = values.clone();
        if (mpi == null || values.length == 0) {
            return out;
        }
        DoubleBuffer b = ByteBuffer.allocateDirect(8 * values.length).order(ByteOrder.nativeOrder()).asDoubleBuffer();
        b.put(0, values);
        call("MPI_Allreduce of " + values.length + " doubles", () -> mpi.allReduce(b, 0, values.length, Mpi.Op.SUM));
        b.get(0, out);
        return out;
    }

    /**
     * Checks that every process has the same {@code value} (e.g. its replica count); the job ends naming the values
     * otherwise, since the processes could not go on together.
     */
    public void requireSame(String what, long value) {
        double[] s = sum(new double[] {value, (double) value * value});
        long n = size();
        if (s[0] * s[0] != n * s[1]) {   // equal iff every value is the same (Cauchy-Schwarz)
            String m = "the processes disagree on " + what + " (this one has " + value + ", the mean is "
                    + s[0] / n + "): give every process the same";
            abortJob(m);
            throw new UserInputException(m);
        }
    }

    /** Ends every process of the job with {@code message} (naming this rank and host); idempotent. */
    public void abortJob(String message) {
        if (mpi != null && aborting.compareAndSet(false, true)) {
            mpi.abort(message, 1);
        }
    }

    /** Runs {@code task} on the {@code mpi} thread and waits at most the deadline; ends the job when it fails. */
    private void call(String what, Runnable task) {
        Callable<Void> c = () -> {
            task.run();
            return null;
        };
        Future<Void> f;
        try {
            f = thread.submit(c);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new IllegalStateException("MPI " + what + " after the process group was closed", e);
        }
        try {
            f.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            String m = what + " did not complete within " + deadline.toSeconds() + " s: another process of the job ("
                    + others() + ") stopped answering (stopped, stuck, or its host unreachable; "
                    + TIMEOUT_VARIABLE + " sets this deadline)";
            abortJob(m);
            throw new dev.quadrant.device.comm.CommunicatorTimeoutException(m, java.util.List.of());
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            abortJob(what + " failed: " + t.getMessage());
            if (t instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(what + " failed", t);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abortJob(what + ": interrupted while waiting");
            throw new dev.quadrant.device.comm.CommunicatorException("interrupted in MPI " + what, e);
        }
    }

    /** The other ranks, for messages ("ranks 1, 2"). */
    private String others() {
        StringBuilder b = new StringBuilder(size() == 2 ? "rank " : "one of ranks ");
        for (int r = 0, n = 0; r < size(); r++) {
            if (r != rank()) {
                b.append(n++ == 0 ? "" : ", ").append(r);
            }
        }
        return b.toString();
    }

    /** {@code MPI_Finalize} after the last call of every thread; idempotent; nothing for one process. */
    @Override
    public void close() {
        if (mpi == null || !closed.compareAndSet(false, true)) {
            return;
        }
        call("MPI_Barrier before MPI_Finalize", mpi::barrier);
        thread.shutdown();
        mpi.close();
    }

    /** The collectives between processes over MPI, each on the {@code mpi} thread with the deadline. */
    private final class MpiLink implements ProcessLink {
        @Override
        public int rank() { return mpi.rank(); }

        @Override
        public int size() { return mpi.size(); }

        @Override
        public void allReduce(FloatBuffer buf, int offset, int count) {
            call("MPI_Allreduce of " + count + " floats", () -> mpi.allReduce(buf, offset, count, Mpi.Op.SUM));
        }

        @Override
        public void reduce(FloatBuffer buf, int offset, int count, int root) {
            call("MPI_Reduce of " + count + " floats to rank " + root,
                    () -> mpi.reduce(buf, offset, count, Mpi.Op.SUM, root));
        }

        @Override
        public void broadcast(FloatBuffer buf, int offset, int count, int root) {
            call("MPI_Bcast of " + count + " floats from rank " + root, () -> mpi.broadcast(buf, offset, count, root));
        }

        @Override
        public void barrier() {
            call("MPI_Barrier", mpi::barrier);
        }

        @Override
        public void fail(Throwable cause) {
            abortJob("a replica failed: " + cause);
        }

        @Override
        public String describe() {
            return "Open MPI, " + mpi.size() + " processes";
        }
    }
}
