/*
 * quadrant_omp.h: the C side of dev.quadrant.bindings.OmpNative (JavaCPP generates the JNI glue around it and
 * compiles it, in the Maven profile "omp-glue", active where g++ exists).
 *
 * Why: oneDNN's sgemm (dev.quadrant.bindings.Dnnl) runs on the OpenMP runtime its jar bundles (libgomp.so.1), and
 * every thread that is not an OpenMP thread starts with as many OpenMP threads as the machine has cores. Quadrant's
 * CPU backend calls each GEMM part on one thread of its own pool, so every calling thread must first set its own
 * OpenMP thread count to 1 (omp_set_num_threads sets the calling thread's ICV only), or each call opens a team of its
 * own and the teams spin against each other. OMP_NUM_THREADS cannot be set from Java once the JVM runs.
 *
 * The glue does not link libgomp: it finds the libgomp.so.1 that oneDNN's loading already mapped (dlopen with
 * RTLD_NOLOAD matches the loaded library's soname), so it can never load a second OpenMP runtime.
 */
#ifndef QUADRANT_OMP_H
#define QUADRANT_OMP_H

#include <dlfcn.h>

/* status: libgomp.so.1 is not loaded in this process */
#define QOMP_NOT_LOADED (-1)
/* status: the loaded libgomp lacks omp_set_num_threads or omp_get_max_threads */
#define QOMP_NO_SYMBOL (-2)

/* Sets the calling thread's OpenMP thread count to n; returns omp_get_max_threads() afterwards, or a QOMP_ status. */
static inline int qomp_set_num_threads(int n) {
    void* lib = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (lib == 0) {
        return QOMP_NOT_LOADED;
    }
    void (*set)(int) = (void (*)(int)) dlsym(lib, "omp_set_num_threads");
    int (*get)(void) = (int (*)(void)) dlsym(lib, "omp_get_max_threads");
    int result = QOMP_NO_SYMBOL;
    if (set != 0 && get != 0) {
        set(n);
        result = get();
    }
    dlclose(lib);   /* drops the reference RTLD_NOLOAD took; oneDNN's own keeps it mapped */
    return result;
}

#endif
