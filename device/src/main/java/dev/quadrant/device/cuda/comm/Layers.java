package dev.quadrant.device.cuda.comm;

/** Which layers a {@link CudaCommunicator} group may use. */
public enum Layers {
    /**
     * The device-local layer for replicas sharing a GPU, and NCCL (one rank per GPU) whenever NCCL is usable, even
     * for one GPU; several GPUs without NCCL are an error.
     */
    AUTO,
    /** Only the device-local layer: every rank must be on the same GPU. */
    LOCAL_ONLY
}
