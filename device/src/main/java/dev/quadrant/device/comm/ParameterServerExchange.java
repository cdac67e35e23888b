package dev.quadrant.device.comm;

import java.util.Objects;

/**
 * The synchronous parameter-server exchange over any communicator: every worker hands its region to the server rank,
 * which alone combines them all ({@link Communicator#reduce}, all-to-one), then every worker copies the server's
 * result ({@link Communicator#broadcast}, one-to-all). Same result as {@link Communicator#allReduce} (on a
 * {@link LocalCommunicator}, bit for bit: the server sums in the same rank order), but the server does all the
 * arithmetic and moves {@code (size-1)} times the data through its memory, where all-reduce spreads both over every
 * rank.
 *
 * <pre>{@code
 * ParameterServerExchange<FloatBuffer> ps = new ParameterServerExchange<>(comm, 0);
 * ps.exchange(grads, 0, n, ReduceOp.AVERAGE);   // every rank now holds the average
 * }</pre>
 *
 * <p>Thread-safety, memory effects and failures are those of the two collectives it calls: issue it from the
 * rank's thread, like any collective; a failure of either breaks the communicator for every rank.
 *
 * @param <B> the communicator's buffer type
 */
public final class ParameterServerExchange<B> {
    private final Communicator<B> comm;
    private final int server;

    /** An exchange through rank {@code server} of {@code comm}'s group. */
    public ParameterServerExchange(Communicator<B> comm, int server) {
        this.comm = Objects.requireNonNull(comm, "comm");
        if (server < 0 || server >= comm.size()) {
            throw new IllegalArgumentException("parameter server rank " + server + " is not a rank of a group of "
                    + comm.size());
        }
        this.server = server;
    }

    /** The rank that combines everything. */
    public int server() {
        return server;
    }

    /** All-to-one then one-to-all over {@code [offset, offset + count)}; every rank ends with the combined region. */
    public void exchange(B buf, int offset, int count, ReduceOp op) {
        comm.reduce(buf, offset, count, op, server);
        comm.broadcast(buf, offset, count, server);
    }
}
