package dev.quadrant.trainer.lab;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * "This machine", measured ({@link Calibration}): compute of one of N replicas running at once as a line in its
 * batch, measured for each N just before the runs on N replicas; and an alpha-beta line (seconds against bytes per rank) per in-process collective and replica count. In-process
 * replicas share the cores: the measured lines hold that sharing; for a replica count not measured, the nearest
 * measured line is scaled by {@code max(1, n t / cores)} over its own such factor ({@code t} threads per replica on
 * {@code cores} cores), and communication overlaps backward only while a core is free ({@code n t < cores}).
 *
 * <p>Collectives map to what the in-process strategies run: either all-reduce to the measured
 * {@code all_reduce} (reduce-scatter fused with all-gather over shared memory: neither ring nor tree), all-to-one +
 * one-to-all to {@code reduce} + {@code broadcast}, a neighbour message to one {@code copy}. A replica count that was
 * not measured uses the nearest one that was.
 */
public record MachineProfile(int cores, int threads, Map<Integer, LinearFit> computeByReplicas,
                             Map<String, Map<Integer, LinearFit>> collectives) implements CostModel.Comm {

    /** Threads each of {@code n} replicas gets from a budget of {@link #threads()}. */
    public int threadsPerReplica(int n) { return Math.max(1, threads / n); }

    /** How many times slower a replica runs when {@code n} run at once (more threads than cores). */
    public double contention(int n) { return Math.max(1.0, (double) n * threadsPerReplica(n) / cores); }

    /** The compute of one of {@code n} concurrent replicas on {@code batch} samples. */
    public CostModel.Compute compute() {
        return (b, n) -> {
            int measured = nearestKey(computeByReplicas, n);
            return computeByReplicas.get(measured).at(b) * contention(n) / contention(measured);
        };
    }

    @Override
    public double seconds(Collective c, int n, double bytes) {
        if (n == 1) {
            return 0;
        }
        return switch (c) {
            case RING_ALL_REDUCE, TREE_ALL_REDUCE -> fit("all_reduce", n).at(bytes);
            case ALL_TO_ONE_ONE_TO_ALL -> fit("reduce", n).at(bytes) + fit("broadcast", n).at(bytes);
            case NEIGHBOUR -> fit("copy", 1).at(bytes);
        };
    }

    @Override
    public boolean overlaps(int n) { return n * threadsPerReplica(n) < cores; }

    /** The alpha-beta line of {@code collective} measured nearest to {@code n} ranks. */
    public LinearFit fit(String collective, int n) {
        Map<Integer, LinearFit> byN = collectives.get(collective);
        if (byN == null || byN.isEmpty()) {
            throw new IllegalStateException("no measurement of " + collective + "; measured: " + collectives.keySet());
        }
        return nearest(byN, n);
    }

    private static LinearFit nearest(Map<Integer, LinearFit> byKey, int key) {
        return byKey.get(nearestKey(byKey, key));
    }

    private static int nearestKey(Map<Integer, LinearFit> byKey, int key) {
        int best = -1;
        double dist = Double.MAX_VALUE;
        for (int k : byKey.keySet()) {
            double d = Math.abs(Math.log(k) - Math.log(key));
            if (d < dist) {
                dist = d;
                best = k;
            }
        }
        return best;
    }

    /** The fits as the report's {@code machine.json} writes them. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", cores);
        m.put("threads", threads);
        Map<String, Object> compute = new TreeMap<>();
        computeByReplicas.forEach((n, f) -> compute.put("n" + n, Map.of("threads", threadsPerReplica(n),"fixed_seconds", f.intercept(),
                "seconds_per_sample", f.slope(), "batches", f.x(), "seconds", f.y(),
                "worst_relative_residual", f.worstRelativeResidual())));
        m.put("compute", compute);
        Map<String, Object> comm = new LinkedHashMap<>();
        collectives.forEach((name, byN) -> {
            Map<String, Object> per = new TreeMap<>();
            byN.forEach((n, f) -> per.put("n" + n, Map.of("alpha_seconds", f.intercept(),
                    "bandwidth_bytes_per_second", f.slope() > 0 ? 1 / f.slope() : Double.POSITIVE_INFINITY,
                    "bytes", f.x(), "seconds", f.y(), "worst_relative_residual", f.worstRelativeResidual())));
            comm.put(name, per);
        });
        m.put("collectives", comm);
        return m;
    }

    /** Names of the measured collectives, in report order. */
    public static final List<String> COLLECTIVES = List.of("all_reduce", "reduce", "broadcast", "copy");
}
