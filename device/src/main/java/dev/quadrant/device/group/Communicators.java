package dev.quadrant.device.group;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.cluster.ProcessGroup;
import dev.quadrant.device.comm.HierarchicalCommunicator;
import dev.quadrant.device.comm.LocalCommunicator;
import dev.quadrant.device.cpu.CpuBackend;

/**
 * Picks the communicator of a group of replicas from their backends: host backends get a {@link LocalCommunicator}
 * over {@code FloatBuffer}s (shared memory), GPU backends the CUDA communicators (device-local sums for replicas
 * sharing a GPU, NCCL across GPUs). A group is one kind or the other, never mixed. The CUDA classes are touched only
 * for a GPU group, so a CPU-only machine never loads them. Stateless and thread-safe.
 *
 * <pre>{@code
 * List<TensorCommunicator> ranks = Communicators.forGroup(List.of(be0, be1), Duration.ofMinutes(5), paramCount);
 * }</pre>
 */
public final class Communicators {
    private Communicators() {}

    /**
     * One communicator rank per backend, rank {@code i} for {@code backends.get(i)}.
     *
     * @param deadline how long a collective waits for the other ranks before it fails naming them
     * @param elements the largest collective expected, in floats (the parameter count), reserved up front on GPUs
     * @throws UserInputException when CPU and GPU backends are mixed
     */
    public static List<TensorCommunicator> forGroup(List<Backend> backends, Duration deadline, long elements) {
        return forGroup(backends, deadline, elements, ProcessGroup.single());
    }

    /**
     * As above, for this process's replicas in a job of several processes: rank {@code i} is global rank
     * {@code processes.rank() * backends.size() + i} of {@code processes.size() * backends.size()}, every process
     * having the same number of replicas. Host replicas reduce inside the process first and then between processes
     * ({@link HierarchicalCommunicator} over {@link ProcessGroup#link()}). GPU replicas, one per GPU, form one NCCL
     * communicator over every GPU of the job ({@code ncclCommInitRank}; process 0 makes the id and broadcasts it over
     * the link), global rank = NCCL rank. One process is the call above.
     *
     * @throws UserInputException when the processes have different numbers of replicas, or GPU replicas across
     *         processes share a GPU ({@code cuda:0xN})
     */
    public static List<TensorCommunicator> forGroup(List<Backend> backends, Duration deadline, long elements,
                                                    ProcessGroup processes) {
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("a communicator group needs at least one backend");
        }
        List<Device> devices = backends.stream().map(Backend::device).toList();
        long gpus = devices.stream().filter(d -> d.kind() == Device.Kind.CUDA).count();
        if (!processes.isSingle()) {
            processes.requireSame("the number of replicas per process (--devices)", backends.size());
            if (gpus > 0) {
                String m = null;
                if (gpus != devices.size()) {
                    m = "--devices " + devices + ": CPU and GPU replicas cannot be mixed in one run; use cpu:N or "
                            + "cuda:... in every process";
                } else if (devices.stream().distinct().count() != devices.size()) {
                    m = "--devices " + devices + " across " + processes.size() + " processes: several replicas on one "
                            + "GPU (cuda:0xN) work inside one process only; across processes give every replica a GPU "
                            + "of its own (e.g. cuda:0,1 in each process, or one process per GPU with cuda:0)";
                }
                if (m != null) {
                    processes.abortJob(m);
                    throw new UserInputException(m);
                }
                try {
                    return CudaGroup.acrossProcesses(backends, deadline, elements, processes.link());
                } catch (UserInputException e) {
                    processes.abortJob(e.getMessage());
                    throw e;
                }
            }
            List<TensorCommunicator> out = new ArrayList<>();
            for (HierarchicalCommunicator c : HierarchicalCommunicator.create(backends.size(), processes.link(),
                    deadline)) {
                out.add(TensorCommunicator.of(c, Communicators::hostBuffer, "host shared memory inside each process, "
                        + processes.link().describe() + " between them, " + c.size() + " ranks"));
            }
            return out;
        }
        if (gpus == 0) {
            List<TensorCommunicator> out = new ArrayList<>();
            for (LocalCommunicator c : LocalCommunicator.create(backends.size(), deadline)) {
                out.add(TensorCommunicator.of(c, Communicators::hostBuffer,
                        "host shared memory, " + c.size() + " ranks"));
            }
            return out;
        }
        if (gpus != devices.size()) {
            throw new UserInputException("--devices " + devices + ": CPU and GPU replicas cannot be mixed in one run; "
                    + "use cpu:N or cuda:...");
        }
        return CudaGroup.forGroup(backends, deadline, elements);
    }

    private static FloatBuffer hostBuffer(Tensor t) {
        if (t.device().kind() != Device.Kind.CPU) {
            throw new IllegalArgumentException("the local communicator moves host tensors; got " + t);
        }
        return CpuBackend.floats(t);
    }
}
