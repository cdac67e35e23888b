package dev.quadrant.bindings.cuda;

import org.bytedeco.cuda.cudart.CUfunc_st;

/**
 * One kernel of a {@link CudaModule}, launched with {@link Cuda#launch}. Valid while its module is open. Immutable.
 */
public final class CudaFunction {
    private final String name;
    private final CUfunc_st handle;

    CudaFunction(String name, CUfunc_st handle) {
        this.name = name;
        this.handle = handle;
    }

    /** The kernel's {@code extern "C"} name. */
    public String name() { return name; }

    /** The JavaCPP handle. */
    public CUfunc_st handle() { return handle; }

    @Override
    public String toString() { return "kernel " + name; }
}
