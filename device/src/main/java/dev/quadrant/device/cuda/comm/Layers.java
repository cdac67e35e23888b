package dev.quadrant.device.cuda.comm;

/** Which layers a {@link CudaCommunicator} group may use. */
public enum Layers {
    /**
     * The device-local layer for replicas sharing a GPU, and NCCL (one rank per GPU) when the ranks span several GPUs;
     * several GPUs without NCCL are an error. With every rank on one GPU no NCCL communicator is made (the
     * device-local sums are the whole collective; a NCCL rank would only add its start-up and its memory).
     */
    AUTO,
    /**
     * As {@link #AUTO}, but NCCL whenever it is usable, even for one GPU: for checks of NCCL itself
     * ({@code GpuChecks nccl} on a one-GPU host).
     */
    WITH_NCCL,
    /** Only the device-local layer: every rank must be on the same GPU. */
    LOCAL_ONLY
}
