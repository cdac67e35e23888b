package dev.quadrant.bindings.mpi;

import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The raw MPI calls of {@code src/main/native/quadrant_mpi.h}; JavaCPP's Builder generates and compiles their JNI
 * glue ({@code libjniMpiNative.so}) in the Maven profile {@code mpi} only, which activates where {@code mpi.h}
 * exists. Every method returns the MPI status. Use {@link Mpi}, which loads the glue, checks every status and passes
 * only checked addresses; nothing else may call these.
 */
@Platform(value = "linux-x86_64", include = "quadrant_mpi.h", link = "mpi")
final class MpiNative {
    private MpiNative() {}

    static final int FLOAT = 0;
    static final int BYTE = 1;
    static final int DOUBLE = 2;
    static final int INT = 3;
    static final int LONG = 4;

    static final int SUM = 0;
    static final int MAX = 1;
    static final int MIN = 2;

    /** Status of a bad element type or op code. */
    static final int ERR_ARG = -1;
    /** Status of a failed promotion of libmpi to RTLD_GLOBAL. */
    static final int ERR_DLOPEN = -2;

    static native int qmpi_init(int required, int promote, int[] provided);
    static native String qmpi_dlerror();
    static native int qmpi_symbols_global();
    static native int qmpi_initialized(int[] flag);
    static native int qmpi_finalized(int[] flag);
    static native int qmpi_thread_multiple();
    static native int qmpi_thread_serialized();
    static native int qmpi_rank(int[] rank);
    static native int qmpi_size(int[] size);
    static native int qmpi_processor_name(@Cast("char*") byte[] buf);
    static native int qmpi_max_processor_name();
    static native int qmpi_library_version(@Cast("char*") byte[] buf);
    static native int qmpi_max_library_version();
    static native int qmpi_error_string(int code, @Cast("char*") byte[] buf);
    static native int qmpi_max_error_string();
    static native int qmpi_allreduce(long buf, int count, int type, int op);
    static native int qmpi_reduce(long buf, int count, int type, int op, int root);
    static native int qmpi_bcast(long buf, int count, int type, int root);
    static native int qmpi_allgather(long buf, int count, int type);
    static native int qmpi_reduce_scatter_block(long buf, int count, int type, int op);
    static native int qmpi_send(long buf, int count, int type, int dest, int tag);
    static native int qmpi_recv(long buf, int count, int type, int source, int tag, int[] from, int[] received,
                                int[] gotTag);
    static native int qmpi_barrier();
    static native int qmpi_abort(int code);
    static native int qmpi_finalize();
}
