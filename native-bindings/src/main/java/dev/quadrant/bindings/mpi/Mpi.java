package dev.quadrant.bindings.mpi;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

/**
 * Checked Open MPI over {@code MPI_COMM_WORLD}: one object per process, from {@link #init()} to {@link #close()}
 * ({@code MPI_Finalize}). Every status is checked and becomes an {@link MpiException} naming the call, the status,
 * MPI's text and this rank and host; the communicator has {@code MPI_ERRORS_RETURN}, so a failed peer surfaces as an
 * exception, never as MPI ending the process by itself.
 *
 * <pre>{@code
 * try (Mpi mpi = Mpi.init()) {                        // under mpirun -np N
 *     FloatBuffer g = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
 *     mpi.allReduce(g, 0, n, Mpi.Op.SUM);             // every process now holds the sum
 * }
 * }</pre>
 *
 * <p>Buffers must be direct (their memory is handed to MPI); offsets and counts are in elements of the buffer, which
 * MPI's {@code int} counts limit to {@code 2^31 - 1} per call. Arguments are checked before any native call.
 *
 * <h2>Loading</h2>
 * The JNI glue ({@code libjniMpiNative.so}) exists only in builds made where {@code mpi.h} was found (Maven profile
 * {@code mpi}); it links {@code libmpi.so.40}. {@link #probe()} says whether both load and why not, without
 * initialising MPI. {@code MPI_Init} promotes libmpi to {@code RTLD_GLOBAL} first (see {@code quadrant_mpi.h}), which
 * Open MPI's dlopen'ed components need.
 *
 * <h2>Thread-safety</h2>
 * MPI can be initialised once per process, which is why {@link #init()} refuses a second call (the one piece of
 * process-wide state here). The object asks for {@code MPI_THREAD_MULTIPLE}; when MPI provides it, any thread may
 * call any method; otherwise ({@link #threadMultiple()} false) the caller must issue calls from one thread at a
 * time. {@link #abort} may be called from any thread in either case: it ends every process of the job.
 */
public final class Mpi implements AutoCloseable {
    /** Reduction operators. */
    public enum Op {
        SUM(MpiNative.SUM), MAX(MpiNative.MAX), MIN(MpiNative.MIN);

        final int code;

        Op(int code) { this.code = code; }
    }

    /** Whether MPI can be used here, and why not. */
    public record Availability(boolean usable, String library, String reason) {
        @Override
        public String toString() {
            return usable ? "usable (" + library + ")" : "not usable: " + reason;
        }
    }

    private static final String INSTALL = "install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin "
            + "libopenmpi-dev) and rebuild Quadrant there, so that the Maven profile mpi builds the glue";
    private static final AtomicBoolean INITIALISED = new AtomicBoolean();
    private static volatile Throwable loadFailure;
    private static volatile boolean loaded;

    private final int rank;
    private final int size;
    private final String host;
    private final boolean threadMultiple;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Mpi(int rank, int size, String host, boolean threadMultiple) {
        this.rank = rank;
        this.size = size;
        this.host = host;
        this.threadMultiple = threadMultiple;
    }

    /**
     * Loads the glue and libmpi, or throws an {@link MpiException} that says what was looked for and how to get it.
     * Never initialises MPI.
     */
    public static void load() {
        if (loaded) {
            return;
        }
        synchronized (Mpi.class) {
            if (loaded) {
                return;
            }
            if (loadFailure != null) {
                throw loadError(loadFailure);
            }
            try {
                Loader.load(MpiNative.class);
                loaded = true;
            } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                loadFailure = e;
                throw loadError(e);
            }
        }
    }

    private static MpiException loadError(Throwable e) {
        StringBuilder chain = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            chain.append(chain.length() == 0 ? "" : "; caused by: ").append(t.getMessage());
        }
        return new MpiException("load", explainLoadFailure(chain.toString()), e);
    }

    /** The message for a failed load of the glue, from the linker's texts (pure; tested on every kind). */
    static String explainLoadFailure(String linkerMessage) {
        if (linkerMessage.contains("libmpi") && linkerMessage.contains("cannot open shared object file")) {
            return "the MPI glue (dev/quadrant/bindings/mpi/linux-x86_64/libjniMpiNative.so, from the class path) "
                    + "needs Open MPI's libmpi.so.40, which the dynamic linker did not find in LD_LIBRARY_PATH, "
                    + "/etc/ld.so.cache or the system library directories (" + linkerMessage + "): "
                    + "install Open MPI 4.x (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev), or point "
                    + "LD_LIBRARY_PATH at the directory holding libmpi.so.40";
        }
        if (linkerMessage.contains("libjniMpiNative.so")) {
            return "the MPI glue dev/quadrant/bindings/mpi/linux-x86_64/libjniMpiNative.so was found but did not "
                    + "load (" + linkerMessage + "): it was built against another Open MPI than the one installed "
                    + "here; rebuild Quadrant on this machine (the Maven profile mpi builds the glue), or install the "
                    + "Open MPI it was built with (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev)";
        }
        return "this build has no MPI glue: dev/quadrant/bindings/mpi/linux-x86_64/libjniMpiNative.so is not in the "
                + "class path (" + linkerMessage + "); the native-bindings module builds it only where Open MPI's "
                + "mpi.h exists (/usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h, or -Pmpi -Dmpi.include=DIR "
                + "-Dmpi.lib=DIR): " + INSTALL;
    }

    /** Whether the glue and libmpi load here (and the library's version), without initialising MPI. */
    public static Availability probe() {
        try {
            load();
            byte[] buf = new byte[MpiNative.qmpi_max_library_version() + 1];
            check("MPI_Get_library_version", MpiNative.qmpi_library_version(buf));
            String version = cString(buf).lines().findFirst().orElse("").strip();
            return new Availability(true, version, "");
        } catch (MpiException e) {
            return new Availability(false, "", e.getMessage());
        }
    }

    /**
     * {@code MPI_Init_thread} asking for {@code MPI_THREAD_MULTIPLE}, then {@code MPI_ERRORS_RETURN} on
     * {@code MPI_COMM_WORLD}. Call once per process, under a launcher ({@code mpirun}, {@code srun}).
     *
     * @throws IllegalStateException when MPI was already initialised in this process
     */
    public static Mpi init() {
        load();
        if (!INITIALISED.compareAndSet(false, true)) {
            throw new IllegalStateException("MPI is already initialised in this process: MPI_Init may be called once "
                    + "per process; share the first Mpi object");
        }
        int[] provided = {0};
        int rc = MpiNative.qmpi_init(MpiNative.qmpi_thread_multiple(), 1, provided);
        if (rc == MpiNative.ERR_DLOPEN) {
            throw new MpiException("dlopen(libmpi.so.40, RTLD_GLOBAL)", rc, MpiNative.qmpi_dlerror(),
                    "Open MPI's components need libmpi loaded with global symbols; check that libmpi.so.40 is the "
                            + "library the glue was linked against (ldd on libjniMpiNative.so)");
        }
        check("MPI_Init_thread", rc);
        int[] r = {0};
        int[] s = {0};
        check("MPI_Comm_rank", MpiNative.qmpi_rank(r));
        check("MPI_Comm_size", MpiNative.qmpi_size(s));
        byte[] name = new byte[MpiNative.qmpi_max_processor_name() + 1];
        check("MPI_Get_processor_name", MpiNative.qmpi_processor_name(name));
        return new Mpi(r[0], s[0], cString(name), provided[0] >= MpiNative.qmpi_thread_multiple());
    }

    /** This process's rank in {@code MPI_COMM_WORLD}. */
    public int rank() { return rank; }

    /** Number of processes in {@code MPI_COMM_WORLD}. */
    public int size() { return size; }

    /** The host name MPI knows this process by. */
    public String host() { return host; }

    /** Whether MPI granted {@code MPI_THREAD_MULTIPLE} (else calls must come from one thread at a time). */
    public boolean threadMultiple() { return threadMultiple; }

    /** Whether libmpi's symbols are visible to libraries loaded later (Open MPI's components need them). */
    public boolean symbolsGlobal() { return MpiNative.qmpi_symbols_global() == 1; }

    /** "rank R of N on HOST", for messages. */
    public String describe() { return "rank " + rank + " of " + size + " on " + host; }

    /** In place: {@code [offset, offset + count)} of every process becomes the reduction over all processes. */
    public void allReduce(FloatBuffer buf, int offset, int count, Op op) {
        long a = address(buf, 4, offset, count, "allReduce");
        checked("MPI_Allreduce(" + count + " floats)", MpiNative.qmpi_allreduce(a, count, MpiNative.FLOAT, op.code));
    }

    /** In place, on doubles (loss sums and other host scalars). */
    public void allReduce(DoubleBuffer buf, int offset, int count, Op op) {
        long a = address(buf, 8, offset, count, "allReduce");
        checked("MPI_Allreduce(" + count + " doubles)", MpiNative.qmpi_allreduce(a, count, MpiNative.DOUBLE, op.code));
    }

    /** In place at {@code root}: its region becomes the reduction; the other processes' regions are unchanged. */
    public void reduce(FloatBuffer buf, int offset, int count, Op op, int root) {
        checkRank("root", root);
        long a = address(buf, 4, offset, count, "reduce");
        checked("MPI_Reduce(" + count + " floats, root " + root + ")",
                MpiNative.qmpi_reduce(a, count, MpiNative.FLOAT, op.code, root));
    }

    /** Copies {@code root}'s region into every other process's region. */
    public void broadcast(FloatBuffer buf, int offset, int count, int root) {
        checkRank("root", root);
        long a = address(buf, 4, offset, count, "broadcast");
        checked("MPI_Bcast(" + count + " floats, root " + root + ")", MpiNative.qmpi_bcast(a, count, MpiNative.FLOAT, root));
    }

    /** Copies {@code root}'s bytes into every other process's (e.g. an NCCL unique id). */
    public void broadcast(ByteBuffer buf, int offset, int count, int root) {
        checkRank("root", root);
        long a = address(buf, 1, offset, count, "broadcast");
        checked("MPI_Bcast(" + count + " bytes, root " + root + ")", MpiNative.qmpi_bcast(a, count, MpiNative.BYTE, root));
    }

    /**
     * In place: the region holds {@link #size()} blocks of {@code countPerRank} floats; on entry block {@code i} of
     * process {@code i} is its contribution, on return every process holds every block.
     */
    public void allGather(FloatBuffer buf, int offset, int countPerRank) {
        long a = address(buf, 4, offset, Math.multiplyExact(countPerRank, size), "allGather");
        checked("MPI_Allgather(" + countPerRank + " floats per rank)",
                MpiNative.qmpi_allgather(a, countPerRank, MpiNative.FLOAT));
    }

    /**
     * In place: the region holds {@link #size()} blocks of {@code countPerRank} floats; on return block {@code i} of
     * process {@code i} holds the reduction of every process's block {@code i} (the other blocks are unspecified).
     */
    public void reduceScatter(FloatBuffer buf, int offset, int countPerRank, Op op) {
        long a = address(buf, 4, offset, Math.multiplyExact(countPerRank, size), "reduceScatter");
        checked("MPI_Reduce_scatter_block(" + countPerRank + " floats per rank)",
                MpiNative.qmpi_reduce_scatter_block(a, countPerRank, MpiNative.FLOAT, op.code));
    }

    /** Sends {@code count} floats to process {@code dest} with {@code tag} (blocking, {@code MPI_Send}). */
    public void send(FloatBuffer buf, int offset, int count, int dest, int tag) {
        checkRank("dest", dest);
        long a = address(buf, 4, offset, count, "send");
        checked("MPI_Send(" + count + " floats to rank " + dest + ", tag " + tag + ")",
                MpiNative.qmpi_send(a, count, MpiNative.FLOAT, dest, tag));
    }

    /**
     * Receives {@code count} floats from {@code source} ({@code -1}: any) with {@code tag}; returns the sender's
     * rank. Throws when another number arrived.
     */
    public int recv(FloatBuffer buf, int offset, int count, int source, int tag) {
        if (tag < 0) {
            throw new IllegalArgumentException("tag " + tag + ": use recvAny for any tag");
        }
        return recvAny(buf, offset, count, source, tag).source();
    }

    /** A received message's sender and tag. */
    public record Received(int source, int tag) {}

    /**
     * Receives {@code count} floats from {@code source} ({@code -1}: any) with {@code tag} ({@code -1}: any); returns
     * the sender and the tag. Throws when another number of floats arrived.
     */
    public Received recvAny(FloatBuffer buf, int offset, int count, int source, int tag) {
        if (source != -1) {
            checkRank("source", source);
        }
        long a = address(buf, 4, offset, count, "recv");
        int[] from = {-1};
        int[] got = {0};
        int[] gotTag = {-1};
        String call = "MPI_Recv(" + count + " floats from " + (source < 0 ? "any rank" : "rank " + source)
                + ", " + (tag < 0 ? "any tag" : "tag " + tag) + ")";
        checked(call, MpiNative.qmpi_recv(a, count, MpiNative.FLOAT, source, tag, from, got, gotTag));
        if (got[0] != count) {
            throw new MpiException(call, 0, "received " + got[0] + " floats from rank " + from[0],
                    "every process must run the same strategy and model");
        }
        return new Received(from[0], gotTag[0]);
    }

    /** Returns once every process has called it. */
    public void barrier() {
        checked("MPI_Barrier", MpiNative.qmpi_barrier());
    }

    /**
     * Writes {@code message} to standard error and ends every process of the job ({@code MPI_Abort} with
     * {@code code}); does not return when MPI ends the job, as it does on success.
     */
    public void abort(String message, int code) {
        System.err.println("quadrant: " + describe() + ": " + message + "; ending every process (MPI_Abort)");
        System.err.flush();
        checked("MPI_Abort", MpiNative.qmpi_abort(code));
    }

    /** {@code MPI_Finalize}: after every process's last call; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            checked("MPI_Finalize", MpiNative.qmpi_finalize());
        }
    }

    private void checkRank(String what, int r) {
        if (r < 0 || r >= size) {
            throw new IllegalArgumentException(what + " " + r + " is not a rank of " + size + " processes");
        }
    }

    private long address(Buffer buf, int elementBytes, int offset, long count, String call) {
        if (closed.get()) {
            throw new IllegalStateException("MPI " + call + " after MPI_Finalize");
        }
        if (!buf.isDirect()) {
            throw new IllegalArgumentException("MPI " + call + " needs a direct buffer (its memory is handed to MPI); "
                    + "got a heap buffer");
        }
        if (offset < 0 || count < 0 || offset + count > buf.capacity()) {
            throw new IllegalArgumentException("MPI " + call + ": elements [" + offset + ", " + (offset + count)
                    + ") are outside the buffer's " + buf.capacity());
        }
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("MPI " + call + ": " + count + " elements exceed MPI's int count");
        }
        return new Pointer(buf).address() + (long) offset * elementBytes;
    }

    private void checked(String call, int rc) {
        if (rc != 0) {
            throw new MpiException(call, rc, errorText(rc) + " (" + describe() + ")",
                    "a process of the job may have failed or been killed: see the launcher's message naming it");
        }
    }

    private static void check(String call, int rc) {
        if (rc != 0) {
            throw new MpiException(call, rc, errorText(rc), "check the Open MPI installation (ompi_info) and that "
                    + "the process was started by mpirun or srun");
        }
    }

    private static String errorText(int rc) {
        if (rc == MpiNative.ERR_ARG) {
            return "bad element type or operator code";
        }
        byte[] buf = new byte[MpiNative.qmpi_max_error_string() + 1];
        return MpiNative.qmpi_error_string(rc, buf) == 0 ? cString(buf) : "MPI error " + rc;
    }

    private static String cString(byte[] buf) {
        int n = 0;
        while (n < buf.length && buf[n] != 0) {
            n++;
        }
        return new String(buf, 0, n, StandardCharsets.UTF_8);
    }
}
