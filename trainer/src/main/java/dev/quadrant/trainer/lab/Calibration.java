package dev.quadrant.trainer.lab;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;


import dev.quadrant.device.comm.LocalCommunicator;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.StepBatch;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Training;

/**
 * Measures the parts of {@link MachineProfile} on this machine:
 * <ul>
 *   <li>compute: N independent replicas ({@code cpu:1} each, the thread budget a run gives each of N) stepping in
 *       lockstep, timing whole optimizer steps (forward, backward, update; the slowest replica's) at half, one and
 *       twice the per-replica batch: medians of {@code reps} steps after eight warm-up steps at the largest batch
 *       (for the JIT) and two at each size, fitted by a line in the batch;</li>
 *   <li>communication: {@link LocalCommunicator} all-reduce, reduce (to rank 0) and broadcast (from rank 0) on
 *       {@code n} replica threads for each n, and one copy between two direct buffers, at an eighth, a quarter, a half and all
 *       of the model's gradient bytes: medians of rank 0's times, each run after a barrier, fitted by
 *       {@code alpha + bytes / bandwidth}.</li>
 * </ul>
 * Runs on the calling thread and the replica threads it starts; not thread-safe.
 */
public final class Calibration {
    private static final Duration DEADLINE = Duration.ofMinutes(5);
    private static final int WARMUP = 2;
    private static final int JIT_WARMUP = 8;

    private Calibration() {}

    /** What to time. */
    public record Plan(TrainOptions run, int batch, List<Integer> replicas, int threads, int cores, int reps) {}

    /**
     * The alpha-beta fits of the in-process collectives over {@code parameters} floats for every replica count of
     * {@code plan} above 1, and of one copy.
     */
    public static Map<String, Map<Integer, LinearFit>> measureCollectives(Plan plan, long parameters) {
        Map<String, Map<Integer, LinearFit>> comm = new LinkedHashMap<>();
        int full = Math.toIntExact(Math.max(1024, parameters));
        int[] sizes = {full / 8, full / 4, full / 2, full};
        for (String c : MachineProfile.COLLECTIVES) {
            comm.put(c, new TreeMap<>());
        }
        comm.get("copy").put(1, fit(sizes, s -> copySeconds(s, plan.reps())));
        for (int n : plan.replicas()) {
            if (n < 2) {
                continue;
            }
            for (String c : List.of("all_reduce", "reduce", "broadcast")) {
                comm.get(c).put(n, fit(sizes, s -> collectiveSeconds(c, n, s, plan.reps())));
            }
        }
        return comm;
    }

    /**
     * The compute line of one of {@code n} replicas running at once, each with the thread budget it gets in a run,
     * at half, one and twice the per-replica batch of {@code n} (strong scaling); measured just before the runs on
     * {@code n} replicas, so that both see the same load on a shared machine.
     */
    public static LinearFit measureCompute(Plan plan, DataSplit data, int n) {
        int b = CostModel.perReplicaBatch(plan.batch(), n, CostModel.Scaling.STRONG);
        TreeSet<Integer> batches = new TreeSet<>(List.of(Math.max(1, b / 2), b, 2 * b));
        if (batches.size() < 2) {
            batches.add(b + 1);
        }
        return computeFit(plan, data, n, Math.max(1, plan.threads() / n), batches);
    }

    private interface Timer {
        double seconds(int floats);
    }

    private static LinearFit fit(int[] sizes, Timer timer) {
        double[] x = new double[sizes.length];
        double[] y = new double[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            x[i] = 4.0 * sizes[i];
            y[i] = timer.seconds(sizes[i]);
        }
        return LinearFit.of(x, y);
    }

    /**
     * Median step seconds of {@code n} independent replicas with {@code threads} threads each, stepping in lockstep
     * (each step starts after a barrier; its time is the slowest replica's) at each batch size, fitted by a line. No
     * data moves between them: this is the compute of one of n replicas that share the machine's cores, caches and
     * memory bandwidth.
     */
    private static LinearFit computeFit(Plan plan, DataSplit data, int n, int threads, TreeSet<Integer> batches) {
        TrainOptions o = copyOf(plan.run());
        o.devices = "cpu:1";
        o.threads = threads;
        o.strategy = "allreduce";
        o.batch = batches.last();
        Training.Setup s = Training.setup(o);
        int[] sizes = batches.stream().mapToInt(Integer::intValue).toArray();
        int reps = plan.reps();
        double[][][] t = new double[n][sizes.length][reps];  // [replica][size][rep]
        List<StepRunner> runners = new ArrayList<>();
        try {
            for (int r = 0; r < n; r++) {
                runners.add(Training.buildRunner(o, s, data));
            }
            java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(n);
            Throwable[] failure = new Throwable[n];
            List<Thread> workers = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                Thread w = new Thread(() -> {
                    try {
                        StepRunner runner = runners.get(rank);
                        var objective = runner.replicas().get(0).objective();
                        StepBatch largest = StepBatch.first(data.train(), sizes[sizes.length - 1], 1, objective);
                        for (int k = 0; k < JIT_WARMUP; k++) {  // the first steps run before the JIT compiled them
                            runner.step(largest, o.lr, k);
                        }
                        for (int i = 0; i < sizes.length; i++) {
                            StepBatch batch = StepBatch.first(data.train(), sizes[i], 1, objective);
                            for (int k = -WARMUP; k < reps; k++) {
                                barrier.await(5, java.util.concurrent.TimeUnit.MINUTES);
                                long t0 = System.nanoTime();
                                runner.step(batch, o.lr, k);
                                if (k >= 0) {
                                    t[rank][i][k] = (System.nanoTime() - t0) / 1e9;
                                }
                            }
                        }
                    } catch (Throwable e) {
                        failure[rank] = e;
                        barrier.reset();  // the others' waits fail at once
                    }
                }, "replica-" + r);
                workers.add(w);
                w.start();
            }
            for (Thread w : workers) {
                w.join();
            }
            for (Throwable f : failure) {
                if (f != null && !(f instanceof java.util.concurrent.BrokenBarrierException)) {
                    throw new IllegalStateException("timing the compute of " + n + " replicas failed: " + f, f);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while timing the compute of " + n + " replicas", e);
        } finally {
            runners.forEach(StepRunner::close);
        }
        double[] x = new double[sizes.length];
        double[] y = new double[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            double[] slowest = new double[reps];
            for (int k = 0; k < reps; k++) {
                for (int r = 0; r < n; r++) {
                    slowest[k] = Math.max(slowest[k], t[r][i][k]);
                }
            }
            x[i] = sizes[i];
            y[i] = median(slowest);
        }
        return LinearFit.of(x, y);
    }

    /** A copy of the run options (their public fields), so the caller's stay as they were. */
    static TrainOptions copyOf(TrainOptions from) {
        TrainOptions o = new TrainOptions();
        for (var f : TrainOptions.class.getFields()) {
            try {
                f.set(o, f.get(from));
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("TrainOptions field " + f.getName() + " is not public", e);
            }
        }
        return o;
    }

    private static double copySeconds(int floats, int reps) {
        FloatBuffer src = direct(floats);
        FloatBuffer dst = direct(floats);
        double[] t = new double[reps];
        for (int k = -WARMUP; k < reps; k++) {
            long t0 = System.nanoTime();
            dst.put(0, src, 0, floats);
            if (k >= 0) {
                t[k] = (System.nanoTime() - t0) / 1e9;
            }
        }
        return median(t);
    }

    /** Median over {@code reps} runs of rank 0's time for one collective of {@code floats} on {@code n} ranks. */
    private static double collectiveSeconds(String collective, int n, int floats, int reps) {
        List<LocalCommunicator> comms = LocalCommunicator.create(n, DEADLINE);
        double[] times = new double[reps];
        Throwable[] failure = new Throwable[n];
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            int rank = r;
            Thread t = new Thread(() -> {
                LocalCommunicator c = comms.get(rank);
                FloatBuffer buf = direct(floats);
                try {
                    for (int k = -WARMUP; k < reps; k++) {
                        c.barrier();
                        long t0 = System.nanoTime();
                        switch (collective) {
                            case "all_reduce" -> c.allReduce(buf, 0, floats, ReduceOp.AVERAGE);
                            case "reduce" -> c.reduce(buf, 0, floats, ReduceOp.SUM, 0);
                            case "broadcast" -> c.broadcast(buf, 0, floats, 0);
                            default -> throw new IllegalArgumentException("collective " + collective);
                        }
                        if (rank == 0 && k >= 0) {
                            times[k] = (System.nanoTime() - t0) / 1e9;
                        }
                    }
                    c.barrier();
                } catch (Throwable e) {
                    failure[rank] = e;
                    c.abort(e);
                }
            }, "replica-" + r);
            threads.add(t);
            t.start();
        }
        try {
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            comms.forEach(c -> c.abort(e));
            throw new IllegalStateException("interrupted while timing " + collective, e);
        } finally {
            comms.forEach(LocalCommunicator::close);
        }
        for (Throwable f : failure) {
            if (f != null) {
                throw new IllegalStateException("timing " + collective + " on " + n + " ranks failed: " + f, f);
            }
        }
        return median(times);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(floats, 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
