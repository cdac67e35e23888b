package dev.quadrant.trainer.parallel;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.comm.CommHandle;
import dev.quadrant.device.comm.Communicator;
import dev.quadrant.device.comm.LocalCommunicator;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.device.cpu.CpuBackend;
import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.device.cuda.comm.CudaBuffer;
import dev.quadrant.device.cuda.comm.CudaCommunicator;
import dev.quadrant.device.cuda.comm.Layers;

/**
 * A rank's communicator applied to tensors: unwraps a tensor (or a flat slice of one) to the communicator's buffer
 * ({@code B}) and element offset. The strategies speak tensors; the communicator moves bytes. {@link #create} picks
 * the communicator for a group of replicas: host replicas get a {@link LocalCommunicator} over {@code FloatBuffer}s,
 * GPU replicas a {@link CudaCommunicator} over {@link CudaBuffer}s (device-local sums for replicas sharing a GPU,
 * NCCL across GPUs).
 *
 * <p>One per rank; used from that replica's thread ({@link #abort} and {@link #close} from any thread).
 *
 * @param <B> the communicator's buffer type
 */
final class TensorComm<B> {
    private final Communicator<B> comm;
    private final Function<Tensor, B> unwrap;

    TensorComm(Communicator<B> comm, Function<Tensor, B> unwrap) {
        this.comm = comm;
        this.unwrap = unwrap;
    }

    /**
     * One communicator rank per replica: local for CPU replicas, CUDA for GPU replicas (never mixed).
     *
     * @param reserveFloats the largest collective expected (the parameter count), allocated up front on GPUs
     */
    static List<TensorComm<?>> create(List<Replica> replicas, Duration deadline, long reserveFloats) {
        List<Device> devices = replicas.stream().map(r -> r.backend().device()).toList();
        long gpus = devices.stream().filter(d -> d.kind() == Device.Kind.CUDA).count();
        List<TensorComm<?>> out = new ArrayList<>();
        if (gpus == 0) {
            for (LocalCommunicator c : LocalCommunicator.create(replicas.size(), deadline)) {
                out.add(new TensorComm<FloatBuffer>(c, TensorComm::hostBuffer));
            }
            return out;
        }
        if (gpus != devices.size()) {
            throw new UserInputException("--devices " + devices + ": CPU and GPU replicas cannot be mixed in one run; "
                    + "use cpu:N or cuda:...");
        }
        List<CudaBackend> backends = new ArrayList<>();
        for (Replica r : replicas) {
            CudaBackend c = CudaBackend.of(r.backend());
            if (c == null) {
                throw new IllegalArgumentException("replica " + r.rank() + " is on " + r.backend().device()
                        + " but its backend (" + r.backend().describe() + ") is not a CUDA backend");
            }
            backends.add(c);
        }
        for (CudaCommunicator c : CudaCommunicator.create(backends, deadline, Layers.AUTO, reserveFloats)) {
            out.add(new TensorComm<CudaBuffer>(c, CudaBuffer::of));
        }
        return out;
    }

    private static FloatBuffer hostBuffer(Tensor t) {
        if (t.device().kind() != Device.Kind.CPU) {
            throw new IllegalArgumentException("the local communicator moves host tensors; got " + t);
        }
        return CpuBackend.floats(t);
    }

    Communicator<B> raw() { return comm; }

    /** What the communicator is, for logs (e.g. the CUDA group's layers). */
    String describe() {
        return comm instanceof CudaCommunicator c ? c.describe() : "host shared memory, " + comm.size() + " ranks";
    }

    private static int offset(Tensor t) {
        return Math.toIntExact(t.offset());
    }

    void allReduce(Tensor t, ReduceOp op) {
        comm.allReduce(unwrap.apply(t), offset(t), t.intSize(), op);
    }

    CommHandle allReduceAsync(Tensor t, ReduceOp op) {
        return comm.allReduceAsync(unwrap.apply(t), offset(t), t.intSize(), op);
    }

    void reduce(Tensor t, ReduceOp op, int root) {
        comm.reduce(unwrap.apply(t), offset(t), t.intSize(), op, root);
    }

    void broadcast(Tensor t, int root) {
        comm.broadcast(unwrap.apply(t), offset(t), t.intSize(), root);
    }

    void abort(Throwable cause) {
        comm.abort(cause);
    }

    void close() {
        comm.close();
    }
}
