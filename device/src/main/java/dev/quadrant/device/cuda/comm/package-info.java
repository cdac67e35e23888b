/**
 * The {@link dev.quadrant.device.comm.Communicator} collectives between replicas on GPUs of one JVM:
 * {@link dev.quadrant.device.cuda.comm.CudaCommunicator}, one per rank, over {@link
 * dev.quadrant.device.cuda.comm.CudaBuffer}s (device addresses). Two layers: replicas that share a GPU are reduced
 * by device-to-device copies and a sum kernel on that GPU (NCCL refuses two ranks on one device), then one NCCL rank
 * per GPU reduces across GPUs, then the result goes back to every replica. {@code cuda:0x4} uses the first layer
 * (and NCCL with one rank), {@code cuda:0,1} the second, {@code cuda:0x2,1x2} both.
 *
 * <p>Depends on {@code dev.quadrant.device.comm} (the interface and its exceptions), {@code dev.quadrant.device.cuda}
 * (backends, tensors), {@code dev.quadrant.kernels} and {@code dev.quadrant.bindings.cuda}.
 */
package dev.quadrant.device.cuda.comm;
