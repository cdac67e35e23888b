/*
 * quadrant_mpi.h: the C side of dev.quadrant.bindings.mpi.MpiNative (JavaCPP generates the JNI glue around these
 * functions and compiles it, in the Maven profile "mpi" only). Every function works on MPI_COMM_WORLD, takes host
 * addresses as integers (the Java side passes direct buffers' addresses, checked there) and returns the MPI status,
 * which the Java side checks (Mpi.check) and turns into an MpiException naming the call.
 *
 * Why a small C layer instead of binding mpi.h directly: Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM) are
 * macros over addresses of its own globals, which JavaCPP cannot map; here they are the small integer codes below.
 *
 * The RTLD_GLOBAL trap: the JVM loads this glue with dlopen(RTLD_LOCAL), so libmpi.so.40, which the glue needs,
 * is loaded with local symbols too, and Open MPI's MCA components (mca_*.so, dlopen'ed by MPI_Init) then fail with
 * "undefined symbol" errors. qmpi_init therefore first re-opens libmpi with RTLD_NOW | RTLD_GLOBAL, which promotes
 * the already loaded library to global symbol visibility (promote = 0 skips that). On this machine (JDK 17, JavaCPP
 * 1.5.13, Debian's Open MPI 4.1.4, whose components link libmpi themselves) the symbols were already global before
 * the promotion; it is kept for Open MPI builds whose components do not link libmpi.
 */
#ifndef QUADRANT_MPI_H
#define QUADRANT_MPI_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* RTLD_DEFAULT */
#endif
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
/* C bindings only: Open MPI's deprecated C++ bindings would need libmpi_cxx */
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

/* element types */
#define QMPI_FLOAT  0
#define QMPI_BYTE   1
#define QMPI_DOUBLE 2
#define QMPI_INT    3
#define QMPI_LONG   4
/* reduce ops */
#define QMPI_SUM 0
#define QMPI_MAX 1
#define QMPI_MIN 2
/* status of a bad element type or op code (never an MPI code: those are below MPI_ERR_LASTCODE) */
#define QMPI_ERR_ARG (-1)
/* status of a failed dlopen of libmpi in qmpi_init */
#define QMPI_ERR_DLOPEN (-2)

static inline MPI_Datatype qmpi_type(int t) {
    switch (t) {
        case QMPI_FLOAT: return MPI_FLOAT;
        case QMPI_BYTE: return MPI_BYTE;
        case QMPI_DOUBLE: return MPI_DOUBLE;
        case QMPI_INT: return MPI_INT;
        case QMPI_LONG: return MPI_LONG_LONG;
        default: return MPI_DATATYPE_NULL;
    }
}

static inline MPI_Op qmpi_op(int op) {
    switch (op) {
        case QMPI_SUM: return MPI_SUM;
        case QMPI_MAX: return MPI_MAX;
        case QMPI_MIN: return MPI_MIN;
        default: return MPI_OP_NULL;
    }
}

#define QMPI_CHECK_TYPE(t) if (qmpi_type(t) == MPI_DATATYPE_NULL) return QMPI_ERR_ARG
#define QMPI_CHECK_OP(o) if (qmpi_op(o) == MPI_OP_NULL) return QMPI_ERR_ARG

/* dlerror() of a failed promotion, for the Java message */
static inline const char* qmpi_dlerror(void) {
    const char* e = dlerror();
    return e == NULL ? "" : e;
}

/* MPI_Init_thread(required), after promoting libmpi to RTLD_GLOBAL; sets MPI_ERRORS_RETURN on MPI_COMM_WORLD so that
 * every failure comes back as a status instead of ending the process. */
static inline int qmpi_init(int required, int promote, int* provided) {
    if (promote && dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL) == NULL) {
        return QMPI_ERR_DLOPEN;
    }
    int rc = MPI_Init_thread(NULL, NULL, required, provided);
    if (rc != MPI_SUCCESS) {
        return rc;
    }
    return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

/* 1 when libmpi's symbols are visible to later dlopen'ed code (what the MCA components need), else 0 */
static inline int qmpi_symbols_global(void) { return dlsym(RTLD_DEFAULT, "ompi_mpi_comm_world") != NULL ? 1 : 0; }

static inline int qmpi_initialized(int* flag) { return MPI_Initialized(flag); }
static inline int qmpi_finalized(int* flag) { return MPI_Finalized(flag); }
static inline int qmpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
static inline int qmpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int qmpi_rank(int* rank) { return MPI_Comm_rank(MPI_COMM_WORLD, rank); }
static inline int qmpi_size(int* size) { return MPI_Comm_size(MPI_COMM_WORLD, size); }

/* the host name MPI knows this process by, NUL-terminated in buf (at least MPI_MAX_PROCESSOR_NAME + 1 bytes) */
static inline int qmpi_processor_name(char* buf) {
    int len = 0;
    int rc = MPI_Get_processor_name(buf, &len);
    buf[rc == MPI_SUCCESS ? len : 0] = 0;
    return rc;
}
static inline int qmpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }

/* the library's version text, NUL-terminated in buf (at least MPI_MAX_LIBRARY_VERSION_STRING + 1 bytes) */
static inline int qmpi_library_version(char* buf) {
    int len = 0;
    int rc = MPI_Get_library_version(buf, &len);
    buf[rc == MPI_SUCCESS ? len : 0] = 0;
    return rc;
}
static inline int qmpi_max_library_version(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }

/* the MPI error text of status code, NUL-terminated in buf (at least MPI_MAX_ERROR_STRING + 1 bytes) */
static inline int qmpi_error_string(int code, char* buf) {
    int len = 0;
    int rc = MPI_Error_string(code, buf, &len);
    buf[rc == MPI_SUCCESS ? len : 0] = 0;
    return rc;
}
static inline int qmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

/* in place: every rank's count elements at buf become their reduction */
static inline int qmpi_allreduce(long long buf, int count, int type, int op) {
    QMPI_CHECK_TYPE(type); QMPI_CHECK_OP(op);
    return MPI_Allreduce(MPI_IN_PLACE, (void*) (intptr_t) buf, count, qmpi_type(type), qmpi_op(op), MPI_COMM_WORLD);
}

/* in place at root: root's count elements at buf become the reduction; the others' are unchanged */
static inline int qmpi_reduce(long long buf, int count, int type, int op, int root) {
    QMPI_CHECK_TYPE(type); QMPI_CHECK_OP(op);
    int rank = 0;
    int rc = MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rc != MPI_SUCCESS) {
        return rc;
    }
    void* p = (void*) (intptr_t) buf;
    return MPI_Reduce(rank == root ? MPI_IN_PLACE : p, rank == root ? p : NULL, count, qmpi_type(type), qmpi_op(op),
                      root, MPI_COMM_WORLD);
}

static inline int qmpi_bcast(long long buf, int count, int type, int root) {
    QMPI_CHECK_TYPE(type);
    return MPI_Bcast((void*) (intptr_t) buf, count, qmpi_type(type), root, MPI_COMM_WORLD);
}

/* in place: buf holds size blocks of count elements; rank i's block i goes to every rank */
static inline int qmpi_allgather(long long buf, int count, int type) {
    QMPI_CHECK_TYPE(type);
    return MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, (void*) (intptr_t) buf, count, qmpi_type(type),
                         MPI_COMM_WORLD);
}

/* in place: buf holds size blocks of count elements; block i of the reduction lands in rank i's block i */
static inline int qmpi_reduce_scatter_block(long long buf, int count, int type, int op) {
    QMPI_CHECK_TYPE(type); QMPI_CHECK_OP(op);
    int rank = 0;
    int rc = MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rc != MPI_SUCCESS) {
        return rc;
    }
    char* p = (char*) (intptr_t) buf;
    int esize = 0;
    rc = MPI_Type_size(qmpi_type(type), &esize);
    if (rc != MPI_SUCCESS) {
        return rc;
    }
    /* MPI_IN_PLACE leaves the result at the start of buf: move it to this rank's block */
    rc = MPI_Reduce_scatter_block(MPI_IN_PLACE, p, count, qmpi_type(type), qmpi_op(op), MPI_COMM_WORLD);
    if (rc == MPI_SUCCESS && rank > 0) {
        memmove(p + (size_t) rank * count * esize, p, (size_t) count * esize);
    }
    return rc;
}

static inline int qmpi_send(long long buf, int count, int type, int dest, int tag) {
    QMPI_CHECK_TYPE(type);
    return MPI_Send((void*) (intptr_t) buf, count, qmpi_type(type), dest, tag, MPI_COMM_WORLD);
}

/* receives into buf from source (-1: any source) with tag (-1: any tag); *from gets the sender, *got_tag the tag,
 * *received the element count */
static inline int qmpi_recv(long long buf, int count, int type, int source, int tag, int* from, int* received,
                            int* got_tag) {
    QMPI_CHECK_TYPE(type);
    MPI_Status st;
    int rc = MPI_Recv((void*) (intptr_t) buf, count, qmpi_type(type), source < 0 ? MPI_ANY_SOURCE : source,
                      tag < 0 ? MPI_ANY_TAG : tag, MPI_COMM_WORLD, &st);
    if (rc != MPI_SUCCESS) {
        return rc;
    }
    *from = st.MPI_SOURCE;
    *got_tag = st.MPI_TAG;
    return MPI_Get_count(&st, qmpi_type(type), received);
}

static inline int qmpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static inline int qmpi_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static inline int qmpi_finalize(void) { return MPI_Finalize(); }

#endif
