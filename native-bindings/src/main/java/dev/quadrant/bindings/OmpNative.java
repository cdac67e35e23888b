package dev.quadrant.bindings;

import org.bytedeco.javacpp.annotation.Platform;

/**
 * The one OpenMP call of {@code src/main/native/quadrant_omp.h}; JavaCPP's Builder generates and compiles its JNI glue
 * ({@code libjniOmpNative.so}) in the Maven profile {@code omp-glue}, which activates where {@code g++} exists. Use
 * {@link Dnnl}, which loads oneDNN first (and with it the OpenMP runtime this call finds); nothing else may call it.
 */
@Platform(value = "linux-x86_64", include = "quadrant_omp.h")
final class OmpNative {
    private OmpNative() {}

    /** Status: {@code libgomp.so.1} is not loaded in this process. */
    static final int NOT_LOADED = -1;
    /** Status: the loaded {@code libgomp.so.1} lacks {@code omp_set_num_threads} or {@code omp_get_max_threads}. */
    static final int NO_SYMBOL = -2;

    /** Sets the calling thread's OpenMP thread count; returns {@code omp_get_max_threads()} after, or a status. */
    static native int qomp_set_num_threads(int n);
}
