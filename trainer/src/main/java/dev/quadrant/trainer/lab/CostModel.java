package dev.quadrant.trainer.lab;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Paleo-style analytical model of one training step (Qi, Sparks and Talwalkar, "Paleo: a performance model for deep
 * neural networks", ICLR 2017): {@code step(N) = compute(b) + communication(strategy, N, P) - what overlaps with
 * backward}, where {@code b} is the per-replica batch ({@code B/N} under strong scaling, {@code B} under weak
 * scaling) and {@code P} the model's parameter count (4 bytes each).
 *
 * <ul>
 *   <li>all-reduce: the gradient buckets (the layout's, in backward order) become final as backward proceeds
 *       (bucket k at {@code backward * (elements up to k) / P}); they are reduced one after another, each paying
 *       its own collective; only what runs past the end of backward is exposed ({@link #exposedAllReduce}). A
 *       {@link Comm} that does not overlap (all cores already busy computing) exposes every bucket.</li>
 *   <li>ps: reduce then broadcast of P, after backward, nothing hidden.</li>
 *   <li>hogwild: a worker's step is {@code compute + pull + push}, but the server's link carries {@code 2 P} bytes
 *       for every worker's step, so N workers cannot step faster than {@code N * 2P / bandwidth} allows.</li>
 *   <li>gossip: {@code compute + neighbour(P) / period}.</li>
 * </ul>
 * Throughput is {@code N b / step} samples per second for every strategy (for the synchronous ones that is
 * {@code B / step} under strong scaling).
 *
 * <pre>{@code
 * CostModel m = new CostModel(1_863_690, new long[] {1_050_000, 813_690}, 2.0 / 3, computeFit, profile.comm(), 1);
 * CostModel.Prediction p = m.predict(ModelStrategy.ALLREDUCE_RING, 8, 256, CostModel.Scaling.STRONG);
 * }</pre>
 *
 * Immutable and thread-safe if its {@link Compute} and {@link Comm} are.
 */
public final class CostModel {

    /** Strong scaling: the global batch B is split over the N replicas. Weak: every replica takes B. */
    public enum Scaling { STRONG, WEAK }

    /** Seconds of forward, backward and update of one replica on {@code batch} samples when {@code n} run at once. */
    @FunctionalInterface
    public interface Compute {
        double seconds(int batch, int n);
    }

    /** How a set of links moves bytes. */
    public interface Comm {
        /** Seconds of collective {@code c} over {@code n} ranks holding {@code bytes} each. */
        double seconds(Collective c, int n, double bytes);

        /** Whether communication can run while backward computes (its own engine or idle cores), for n replicas. */
        boolean overlaps(int n);
    }

    /** One predicted step: its parts in seconds and the resulting throughput. */
    public record Prediction(ModelStrategy strategy, int n, int perReplicaBatch, double computeSeconds,
                             double commSeconds, double exposedCommSeconds, double stepSeconds,
                             double samplesPerSecond) {}

    private final long parameters;
    private final long[] bucketElements;   // in backward order, summing to parameters
    private final double backwardShare;
    private final Compute compute;
    private final Comm comm;
    private final int gossipPeriod;

    /**
     * @param parameters     P, the model's parameter count
     * @param bucketElements the all-reduce buckets' sizes in elements, in the order backward finishes them
     * @param backwardShare  the share of a step's compute that is backward (2/3 for dense layers: two GEMMs of the
     *                       forward's one)
     * @param gossipPeriod   steps between gossip exchanges
     */
    public CostModel(long parameters, long[] bucketElements, double backwardShare, Compute compute, Comm comm,
                     int gossipPeriod) {
        if (parameters < 1) {
            throw new IllegalArgumentException("parameter count must be >= 1, got " + parameters);
        }
        if (Arrays.stream(bucketElements).sum() != parameters) {
            throw new IllegalArgumentException("the buckets hold " + Arrays.stream(bucketElements).sum()
                    + " elements, the model " + parameters + ": they must cover the gradient buffer once");
        }
        if (!(backwardShare >= 0 && backwardShare <= 1)) {
            throw new IllegalArgumentException("backward share must be in [0, 1], got " + backwardShare);
        }
        if (gossipPeriod < 1) {
            throw new IllegalArgumentException("gossip period must be >= 1, got " + gossipPeriod);
        }
        this.parameters = parameters;
        this.bucketElements = bucketElements.clone();
        this.backwardShare = backwardShare;
        this.compute = Objects.requireNonNull(compute, "compute");
        this.comm = Objects.requireNonNull(comm, "comm");
        this.gossipPeriod = gossipPeriod;
    }

    /** The model's parameter count. */
    public long parameters() { return parameters; }

    /** Per-replica batch of a global batch {@code batch} on {@code n} replicas (at least 1). */
    public static int perReplicaBatch(int batch, int n, Scaling scaling) {
        return scaling == Scaling.WEAK ? batch : Math.max(1, (int) Math.ceil((double) batch / n));
    }

    /** The predicted step of {@code s} on {@code n} replicas for global batch {@code batch}. */
    public Prediction predict(ModelStrategy s, int n, int batch, Scaling scaling) {
        if (n < 1) {
            throw new IllegalArgumentException("replicas must be >= 1, got " + n);
        }
        int b = perReplicaBatch(batch, n, scaling);
        double c = compute.seconds(b, n);
        double bytes = 4.0 * parameters;
        double total;
        double exposed;
        double step;
        if (n == 1) {
            total = 0;
            exposed = 0;
            step = c;
        } else {
            switch (s) {
                case ALLREDUCE_RING, ALLREDUCE_TREE -> {
                    Collective k = s == ModelStrategy.ALLREDUCE_RING ? Collective.RING_ALL_REDUCE
                            : Collective.TREE_ALL_REDUCE;
                    double[] perBucket = new double[bucketElements.length];
                    total = 0;
                    for (int i = 0; i < perBucket.length; i++) {
                        perBucket[i] = comm.seconds(k, n, 4.0 * bucketElements[i]);
                        total += perBucket[i];
                    }
                    exposed = comm.overlaps(n) ? exposedAllReduce(bucketElements, perBucket, backwardShare * c)
                            : total;
                    step = c + exposed;
                }
                case PS -> {
                    total = comm.seconds(Collective.ALL_TO_ONE_ONE_TO_ALL, n, bytes);
                    exposed = total;
                    step = c + total;
                }
                case HOGWILD -> {
                    total = 2 * comm.seconds(Collective.NEIGHBOUR, n, bytes);
                    double serverBound = n * total;  // the server's link carries every worker's pull and push
                    step = Math.max(c + total, serverBound);
                    exposed = step - c;
                }
                case GOSSIP -> {
                    total = comm.seconds(Collective.NEIGHBOUR, n, bytes) / gossipPeriod;
                    exposed = total;
                    step = c + total;
                }
                default -> throw new IllegalStateException("strategy " + s);
            }
        }
        return new Prediction(s, n, b, c, total, exposed, step, n * (double) b / step);
    }

    /**
     * Communication left after backward ends, when bucket {@code k} (elements {@code elements[k]}, in backward
     * order) is ready at {@code backward * (elements of buckets 0..k) / total} and takes {@code seconds[k]}, the
     * buckets going one after another over one channel.
     */
    static double exposedAllReduce(long[] elements, double[] seconds, double backward) {
        long all = Arrays.stream(elements).sum();
        double end = 0;
        long done = 0;
        for (int k = 0; k < elements.length; k++) {
            done += elements[k];
            double ready = backward * done / all;
            end = Math.max(end, ready) + seconds[k];
        }
        return Math.max(0, end - backward);
    }
}
