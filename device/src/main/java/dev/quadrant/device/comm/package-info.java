/**
 * How bytes move between replicas: the {@link dev.quadrant.device.comm.Communicator} collectives (all-reduce,
 * reduce-scatter, all-gather, reduce, broadcast, barrier), one communicator object per rank.
 *
 * <ul>
 *   <li>{@link dev.quadrant.device.comm.LocalCommunicator}: replicas that are threads of one JVM sharing host
 *       memory; every rank's thread reduces its own shard, sums in a fixed order (bit-identical results on
 *       every rank, every run), waits with a deadline and fails all-or-none.</li>
 *   <li>{@link dev.quadrant.device.comm.HierarchicalCommunicator}: replicas of several processes (hosts): shared
 *       memory inside each process, then a {@link dev.quadrant.device.comm.ProcessLink} (MPI) between them.</li>
 *   <li>{@code dev.quadrant.device.cuda.comm.CudaCommunicator} (in the CUDA package, which may depend on this one):
 *       replicas on GPUs, device-local sums for replicas sharing a GPU and NCCL across GPUs.</li>
 *   <li>Which of them a group of replicas gets, over tensors: {@code dev.quadrant.device.group.Communicators}
 *       (a package above this one and the CUDA one).</li>
 *   <li>{@link dev.quadrant.device.comm.ParameterServerExchange}: the all-to-one then one-to-all exchange of a
 *       parameter server, over any communicator.</li>
 *   <li>{@link dev.quadrant.device.comm.BucketPlanner}: the pure function that cuts a flat gradient buffer into
 *       buckets that are reduced while backward continues.</li>
 * </ul>
 *
 * <p>This package says <em>how</em> bytes move; <em>what</em> to exchange and when (the parallel strategies) lives
 * in the trainer. Depends only on the JDK: buffers are {@code java.nio.FloatBuffer} slices for host
 * memory, so it knows nothing of backends or tensors (the caller adapts a tensor to its buffer).
 */
package dev.quadrant.device.comm;
