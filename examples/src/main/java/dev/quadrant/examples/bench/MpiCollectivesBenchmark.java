package dev.quadrant.examples.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.quadrant.device.cluster.ProcessGroup;
import dev.quadrant.device.comm.Communicator;
import dev.quadrant.device.comm.HierarchicalCommunicator;
import dev.quadrant.device.comm.LocalCommunicator;
import dev.quadrant.device.comm.ReduceOp;

/**
 * Issue 15, must-show 5: the collectives of a job of N processes (one replica each, over Open MPI through
 * {@link HierarchicalCommunicator}, as training uses them) beside the same N replicas as threads of one process
 * ({@link LocalCommunicator}), for P = 1e4 ... 1e7 floats (1e8 with {@code --full}):
 * <ul>
 *   <li>all-reduce bus bandwidth in the NCCL convention, {@code busBw = 2(N-1)/N * 4P / time}, across processes and
 *       in-process;</li>
 *   <li>across processes: one all-reduce against all-to-one + one-to-all (reduce to rank 0, then broadcast), their
 *       time ratio.</li>
 * </ul>
 * Run it under the launcher; rank 0 prints a markdown table (the in-process runs happen on rank 0 while the others
 * wait, so they do not compete for the cores).
 *
 * <pre>
 * mpirun --oversubscribe -np 2 bin/quadrant-example MpiCollectivesBenchmark [--full] [--reps N]
 * </pre>
 *
 * Times are medians of {@code --reps} runs (default: enough for about 0.2 GB per size, at least 3), each after a
 * barrier, measured on rank 0.
 */
public final class MpiCollectivesBenchmark {
    private MpiCollectivesBenchmark() {}

    /** One timed operation on one rank's buffer. */
    private interface Op {
        void run(Communicator<FloatBuffer> c, FloatBuffer b, int count);
    }

    public static void main(String[] args) throws Exception {
        boolean full = Arrays.asList(args).contains("--full");
        int repsArg = 0;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--reps")) {
                repsArg = Integer.parseInt(args[i + 1]);
            }
        }
        long[] sizes = full ? new long[] {10_000, 100_000, 1_000_000, 10_000_000, 100_000_000}
                : new long[] {10_000, 100_000, 1_000_000, 10_000_000};
        try (ProcessGroup procs = ProcessGroup.fromEnvironment(Duration.ofMinutes(10))) {
            if (procs.isSingle()) {
                System.err.println("MpiCollectivesBenchmark: run it under a launcher, e.g. mpirun -np 2 "
                        + "bin/quadrant-example MpiCollectivesBenchmark");
                System.exit(2);
            }
            int n = procs.size();
            HierarchicalCommunicator cross = HierarchicalCommunicator.create(1, procs.link(), Duration.ofMinutes(10))
                    .get(0);
            Op allReduce = (c, b, p) -> c.allReduce(b, 0, p, ReduceOp.SUM);
            Op reduceBroadcast = (c, b, p) -> {
                c.reduce(b, 0, p, ReduceOp.SUM, 0);
                c.broadcast(b, 0, p, 0);
            };
            List<String> rows = new ArrayList<>();
            for (long size : sizes) {
                int p = Math.toIntExact(size);
                int reps = repsArg > 0 ? repsArg : (int) Math.max(3, Math.min(50, 50_000_000L / p));
                FloatBuffer b = floats(p);
                double across = median(cross, b, p, reps, allReduce);
                double psAcross = median(cross, b, p, reps, reduceBroadcast);
                cross.barrier();
                double inside = Double.NaN;
                if (procs.rank() == 0) {
                    inside = inProcess(n, p, reps);
                }
                cross.barrier();
                double bytes = 4.0 * p;
                double busAcross = 2.0 * (n - 1) / n * bytes / across / 1e9;
                double busInside = 2.0 * (n - 1) / n * bytes / inside / 1e9;
                rows.add(String.format(Locale.ROOT, "| %.0e | %d | %.3f | %.2f | %.3f | %.2f | %.3f | %.2f |",
                        (double) p, reps, across * 1e3, busAcross, inside * 1e3, busInside, psAcross * 1e3,
                        psAcross / across));
            }
            if (procs.rank() == 0) {
                System.out.println("all-reduce of P floats: " + n + " processes (Open MPI: " + procs.describe()
                        + ") beside " + n + " replicas in one process; medians; busBw = 2(N-1)/N * 4P / time");
                System.out.println();
                System.out.println("| P | reps | across ms | across busBw GB/s | in-process ms | in-process busBw GB/s "
                        + "| across reduce+bcast ms | reduce+bcast / all-reduce |");
                System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
                rows.forEach(System.out::println);
            }
            cross.close();
        }
    }

    private static double median(Communicator<FloatBuffer> c, FloatBuffer b, int p, int reps, Op op) {
        op.run(c, b, p); // warm-up
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            c.barrier();
            long t0 = System.nanoTime();
            op.run(c, b, p);
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    /** The same all-reduce among {@code n} replica threads of this process; rank 0's median. */
    private static double inProcess(int n, int p, int reps) throws Exception {
        List<LocalCommunicator> comms = LocalCommunicator.create(n, Duration.ofMinutes(10));
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Double>> fs = new ArrayList<>();
            for (LocalCommunicator c : comms) {
                fs.add(pool.submit(() -> median(c, floats(p), p, reps, (cc, b, q) -> cc.allReduce(b, 0, q,
                        ReduceOp.SUM))));
            }
            double rank0 = fs.get(0).get();
            for (Future<Double> f : fs) {
                f.get();
            }
            return rank0;
        } finally {
            pool.shutdownNow();
            comms.forEach(LocalCommunicator::close);
        }
    }

    private static FloatBuffer floats(int n) {
        FloatBuffer b = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < n; i++) {
            b.put(i, (i % 7) * 0.25f);
        }
        return b;
    }
}
