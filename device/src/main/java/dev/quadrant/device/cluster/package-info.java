/**
 * Several processes, on one host or several, as one data-parallel job: where the launcher put this process
 * ({@link dev.quadrant.device.cluster.LaunchEnvironment}: Open MPI's, Slurm's, PMI's or torchrun's variables) and
 * the {@link dev.quadrant.device.cluster.ProcessGroup} that joins the processes over MPI (the checked binding of
 * {@code dev.quadrant.bindings.mpi}), with a deadline on every call and the job ended ({@code MPI_Abort}, naming the
 * rank and host) when a process fails or a call outlives its deadline. Its {@code ProcessLink} is what
 * {@link dev.quadrant.device.comm.HierarchicalCommunicator} runs between processes.
 *
 * <p>Depends on: the comm package and native-bindings' MPI binding; loads MPI only for a job of several processes.
 */
package dev.quadrant.device.cluster;
