package dev.quadrant.trainer.parallel;

import java.nio.FloatBuffer;

import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.comm.CommHandle;
import dev.quadrant.device.comm.Communicator;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.device.cpu.CpuBackend;

/**
 * A rank's communicator applied to tensors: unwraps a tensor (or a flat slice of one) to the communicator's buffer
 * and element offset. The strategies speak tensors; the communicator moves bytes. Host tensors map to
 * {@code FloatBuffer}s of a {@link dev.quadrant.device.comm.LocalCommunicator}; GPU tensors will map to device
 * buffers of a NCCL communicator behind the same methods.
 *
 * <p>One per rank; used from that replica's thread.
 */
final class TensorComm {
    private final Communicator<FloatBuffer> comm;

    TensorComm(Communicator<FloatBuffer> comm) {
        this.comm = comm;
    }

    Communicator<FloatBuffer> raw() { return comm; }

    private static FloatBuffer buffer(Tensor t) {
        if (t.device().kind() != Device.Kind.CPU) {
            throw new IllegalArgumentException("the local communicator moves host tensors; got " + t);
        }
        return CpuBackend.floats(t);
    }

    private static int offset(Tensor t) {
        return Math.toIntExact(t.offset());
    }

    void allReduce(Tensor t, ReduceOp op) {
        comm.allReduce(buffer(t), offset(t), t.intSize(), op);
    }

    CommHandle allReduceAsync(Tensor t, ReduceOp op) {
        return comm.allReduceAsync(buffer(t), offset(t), t.intSize(), op);
    }

    void reduce(Tensor t, ReduceOp op, int root) {
        comm.reduce(buffer(t), offset(t), t.intSize(), op, root);
    }

    void broadcast(Tensor t, int root) {
        comm.broadcast(buffer(t), offset(t), t.intSize(), root);
    }

    void abort(Throwable cause) {
        comm.abort(cause);
    }

    void close() {
        comm.close();
    }
}
