package dev.quadrant.trainer.lab;

/**
 * The textbook cost of one collective over {@code n} ranks on links of latency {@code alpha} seconds and
 * {@code bandwidth} bytes per second (the alpha-beta, or Hockney, model: a message of m bytes costs
 * {@code alpha + m / bandwidth}). Each constant gives the number of latency terms ({@link #latencyTerms}) and the bytes
 * that cross the busiest link per rank's {@code bytes} ({@link #linkBytes}); the time is their weighted sum.
 *
 * <pre>{@code
 * double t = Collective.RING_ALL_REDUCE.seconds(8, 4e6, 5e-6, 25e9); // 8 ranks, 4 MB each, 5 us, 25 GB/s
 * }</pre>
 */
public enum Collective {
    /**
     * Ring all-reduce (reduce-scatter then all-gather, Patarasuk and Yuan 2009): {@code 2 (n-1)} steps, each rank
     * sends and receives {@code 2 (n-1)/n} of the data.
     */
    RING_ALL_REDUCE,
    /** Tree all-reduce (binomial reduce then broadcast): {@code 2 log2 n} steps, each carrying all of the data. */
    TREE_ALL_REDUCE,
    /**
     * All-to-one then one-to-all (a parameter server on one rank): the server's link receives {@code n-1} gradients
     * and sends {@code n-1} parameter copies, one message after another.
     */
    ALL_TO_ONE_ONE_TO_ALL,
    /** One message to one neighbour (gossip; also one Hogwild pull or push over an idle link). */
    NEIGHBOUR;

    /** How many message latencies the collective pays on its critical path. */
    public double latencyTerms(int n) {
        check(n);
        return switch (this) {
            case RING_ALL_REDUCE -> 2.0 * (n - 1);
            case TREE_ALL_REDUCE -> 2.0 * log2Ceil(n);
            case ALL_TO_ONE_ONE_TO_ALL -> 2.0 * (n - 1);
            case NEIGHBOUR -> n == 1 ? 0 : 1;
        };
    }

    /** Bytes that cross the busiest link (in and out counted once each way) when every rank holds {@code bytes}. */
    public double linkBytes(int n, double bytes) {
        check(n);
        return switch (this) {
            case RING_ALL_REDUCE -> 2.0 * (n - 1) / n * bytes;
            case TREE_ALL_REDUCE -> 2.0 * log2Ceil(n) * bytes;
            case ALL_TO_ONE_ONE_TO_ALL -> 2.0 * (n - 1) * bytes;
            case NEIGHBOUR -> n == 1 ? 0 : bytes;
        };
    }

    /** Seconds for {@code n} ranks holding {@code bytes} each, on links of {@code alpha} s and {@code bandwidth} B/s. */
    public double seconds(int n, double bytes, double alpha, double bandwidth) {
        if (n == 1) {
            return 0;
        }
        return latencyTerms(n) * alpha + linkBytes(n, bytes) / bandwidth;
    }

    /** {@code ceil(log2 n)}: the depth of a binomial tree over n ranks. */
    static int log2Ceil(int n) {
        return n <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(n - 1);
    }

    private static void check(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("a collective needs at least 1 rank, got " + n);
        }
    }
}
