package dev.quadrant.kernels;

import dev.quadrant.bindings.cuda.CudaStream;
import dev.quadrant.bindings.cuda.KernelArgs;

/**
 * Where {@link Kernels} sends a launch: the GPU ({@link #cuda(DeviceKernels)}), or, in tests, a host emulator that
 * runs the same kernel sources. The arguments in {@code args} match {@code kernel}'s spec and are valid only during
 * the call.
 */
public interface LaunchTarget {

    /** Queues {@code kernel} on {@code stream} with a grid of {@code gridX} blocks of {@code blockX x blockY} threads. */
    void launch(KernelSpec kernel, int gridX, int blockX, int blockY, CudaStream stream, KernelArgs args);

    /**
     * Whether launches run on the host when they are made (the emulator under the stub libraries), rather than queue
     * on a GPU; a CUDA graph cannot be captured from them. False by default.
     */
    default boolean runsOnHost() { return false; }

    /** Number of multiprocessors, which caps element-wise grids. */
    int multiprocessors();

    /** Launches through the driver API on the device {@code kernels} were loaded on. */
    static LaunchTarget cuda(DeviceKernels kernels) {
        return new LaunchTarget() {
            @Override
            public void launch(KernelSpec kernel, int gridX, int blockX, int blockY, CudaStream stream, KernelArgs args) {
                dev.quadrant.bindings.cuda.Cuda.launch(kernels.function(kernel), gridX, 1, blockX, blockY, 0, stream, args);
            }

            @Override
            public int multiprocessors() {
                return kernels.info().multiprocessors();
            }
        };
    }
}
