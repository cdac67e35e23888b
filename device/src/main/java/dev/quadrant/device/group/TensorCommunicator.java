package dev.quadrant.device.group;

import java.util.Objects;
import java.util.function.Function;

import dev.quadrant.device.Tensor;
import dev.quadrant.device.comm.CommHandle;
import dev.quadrant.device.comm.Communicator;
import dev.quadrant.device.comm.ReduceOp;

/**
 * One rank's {@link Communicator} applied to tensors: unwraps a tensor (or a flat slice of one) to the communicator's
 * buffer and element offset. Strategies speak tensors, the communicator moves bytes; which communicator a group of
 * backends gets is {@link Communicators#forGroup}'s choice.
 *
 * <pre>{@code
 * List<TensorCommunicator> ranks = Communicators.forGroup(backends, Duration.ofMinutes(5), paramCount);
 * // on replica r's thread:
 * ranks.get(r).allReduce(gradients.slice(from, n), ReduceOp.SUM);
 * }</pre>
 *
 * <p>One per rank, used from that rank's thread; {@link #abort} and {@link #close} from any thread (as the
 * communicator's).
 */
public final class TensorCommunicator implements AutoCloseable {
    /** The communicator with its buffer type, kept together so the tensor methods need no casts. */
    private record Binding<B>(Communicator<B> comm, Function<Tensor, B> unwrap) {}

    private final Binding<?> binding;
    private final String description;

    private TensorCommunicator(Binding<?> binding, String description) {
        this.binding = binding;
        this.description = description;
    }

    /**
     * {@code comm} over tensors that {@code unwrap} turns into its buffers (rejecting tensors it cannot move);
     * {@code description} says for logs how it moves them.
     */
    public static <B> TensorCommunicator of(Communicator<B> comm, Function<Tensor, B> unwrap, String description) {
        return new TensorCommunicator(new Binding<>(Objects.requireNonNull(comm, "comm"),
                Objects.requireNonNull(unwrap, "unwrap")), description);
    }

    /** This rank, in {@code [0, size())}. */
    public int rank() { return binding.comm().rank(); }

    /** Number of ranks. */
    public int size() { return binding.comm().size(); }

    /** How the group communicates, for logs (e.g. the CUDA group's layers). */
    public String describe() { return description; }

    /** {@link Communicator#allReduce} over {@code t}'s elements. */
    public void allReduce(Tensor t, ReduceOp op) {
        allReduce(binding, t, op);
    }

    /** {@link Communicator#allReduceAsync} over {@code t}'s elements. */
    public CommHandle allReduceAsync(Tensor t, ReduceOp op) {
        return allReduceAsync(binding, t, op);
    }

    /** {@link Communicator#reduce} of {@code t}'s elements to {@code root}. */
    public void reduce(Tensor t, ReduceOp op, int root) {
        reduce(binding, t, op, root);
    }

    /** {@link Communicator#broadcast} of {@code root}'s {@code t} to every rank's. */
    public void broadcast(Tensor t, int root) {
        broadcast(binding, t, root);
    }

    /** Fails this rank's pending and future collectives with {@code cause} (see {@link Communicator#abort}). */
    public void abort(Throwable cause) {
        binding.comm().abort(cause);
    }

    @Override
    public void close() {
        binding.comm().close();
    }

    private static int offset(Tensor t) {
        return Math.toIntExact(t.offset());
    }

    private static <B> void allReduce(Binding<B> b, Tensor t, ReduceOp op) {
        b.comm().allReduce(b.unwrap().apply(t), offset(t), t.intSize(), op);
    }

    private static <B> CommHandle allReduceAsync(Binding<B> b, Tensor t, ReduceOp op) {
        return b.comm().allReduceAsync(b.unwrap().apply(t), offset(t), t.intSize(), op);
    }

    private static <B> void reduce(Binding<B> b, Tensor t, ReduceOp op, int root) {
        b.comm().reduce(b.unwrap().apply(t), offset(t), t.intSize(), op, root);
    }

    private static <B> void broadcast(Binding<B> b, Tensor t, int root) {
        b.comm().broadcast(b.unwrap().apply(t), offset(t), t.intSize(), root);
    }
}
