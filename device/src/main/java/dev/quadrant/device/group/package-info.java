/**
 * Communication for a group of replicas, in the trainer's terms: {@link dev.quadrant.device.group.Communicators}
 * picks the communicator for a list of backends (shared memory for host backends, the CUDA communicators for GPU
 * backends; for a job of several processes, host replicas reduce in shared memory and then over MPI through
 * {@code dev.quadrant.device.cluster.ProcessGroup}) and {@link dev.quadrant.device.group.TensorCommunicator} applies one rank of it to tensors. The parallel
 * strategies see only these and {@code dev.quadrant.device.comm}'s handles and operations, never a CUDA type.
 *
 * <p>Depends on {@code dev.quadrant.device}, {@code dev.quadrant.device.comm}, {@code dev.quadrant.device.cpu}, {@code dev.quadrant.device.cluster} and
 * (for GPU groups only, through the package-private {@code CudaGroup}) {@code dev.quadrant.device.cuda} and
 * {@code dev.quadrant.device.cuda.comm}. It is the one place above both where the two kinds of communicator meet.
 */
package dev.quadrant.device.group;
