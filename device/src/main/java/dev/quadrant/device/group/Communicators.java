package dev.quadrant.device.group;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
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
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("a communicator group needs at least one backend");
        }
        List<Device> devices = backends.stream().map(Backend::device).toList();
        long gpus = devices.stream().filter(d -> d.kind() == Device.Kind.CUDA).count();
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
