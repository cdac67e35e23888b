package dev.quadrant.examples.bench;

import dev.quadrant.device.UserInputException;
import dev.quadrant.device.comm.LocalCommunicator;
import dev.quadrant.device.comm.ParameterServerExchange;
import dev.quadrant.device.comm.ReduceOp;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How fast {@link LocalCommunicator} moves data, against what the memory allows:
 * <ol type="a">
 *   <li>memory copy bandwidth: one large direct {@code FloatBuffer} copied into another (bytes copied per second,
 *       best of several; also with two threads each copying half);</li>
 *   <li>all-reduce bus bandwidth in the NCCL convention, {@code busBw = 2(n-1)/n * bytes / time}, for 2 replicas of
 *       64 MB, printed as a ratio to (a) (target: at least 0.5);</li>
 *   <li>a table: one all-reduce against one parameter-server exchange ({@link ParameterServerExchange}: all-to-one
 *       reduce on rank 0, then one-to-all broadcast) of P floats for N replicas, with their ratio.</li>
 * </ol>
 *
 * <pre>
 * mvn -q -B -o -pl examples -am package -DskipTests
 * java -cp device/target/classes:examples/target/classes dev.quadrant.examples.bench.CollectivesBenchmark --help
 * </pre>
 *
 * <p>The default table (N = 2, 4, 8, 16; P = 1e4 ... 1e7) takes about a minute on 2 cores; {@code --full} adds
 * P = 1e8. Times are medians of repeated runs, each starting after a barrier, taken on rank 0. Single-threaded
 * program apart from the replica threads it starts.
 */
public final class CollectivesBenchmark {
    private static final Duration DEADLINE = Duration.ofMinutes(5);
    private static final int WARMUP = 4;

    /** One way of making every replica's buffer the average of all. */
    private interface Exchange {
        void run(LocalCommunicator comm, FloatBuffer buf, int count);
    }

    private static final Exchange ALL_REDUCE = (c, b, n) -> c.allReduce(b, 0, n, ReduceOp.AVERAGE);
    private static final Exchange PARAMETER_SERVER =
            (c, b, n) -> new ParameterServerExchange<>(c, 0).exchange(b, 0, n, ReduceOp.AVERAGE);

    private CollectivesBenchmark() {}

    public static void main(String[] args) throws InterruptedException {
        BenchOptions o;
        try {
            o = BenchOptions.parse(args);
        } catch (UserInputException e) {
            System.err.println(e.getMessage());
            System.err.println(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        if (o.help) {
            System.out.println(BenchOptions.USAGE);
            return;
        }
        System.out.printf(Locale.ROOT, "Quadrant collectives benchmark: LocalCommunicator on %d cores, Java %s, "
                + "max heap %.1f GB%n", Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() / 1e9);
        System.out.println("Timings depend on the machine and on what else runs on it: compare ratios, not absolutes.");
        int busFloats = o.busMb * (1 << 20) / 4;
        double copyGbps = copyBandwidth(busFloats);
        busBandwidth(busFloats, copyGbps);
        if (o.table) {
            table(o);
        }
    }

    /** (a): best and median of 10 copies of {@code floats} floats, one thread; then two threads, one half each. */
    private static double copyBandwidth(int floats) throws InterruptedException {
        FloatBuffer src = direct(floats);
        FloatBuffer dst = direct(floats);
        for (int i = 0; i < floats; i++) {
            src.put(i, i);
        }
        double bytes = 4.0 * floats;
        double[] one = new double[10];
        for (int k = 0; k < one.length; k++) {
            long t0 = System.nanoTime();
            dst.put(0, src, 0, floats);
            one[k] = (System.nanoTime() - t0) / 1e9;
        }
        double[] two = new double[10];
        int half = floats / 2;
        for (int k = 0; k < two.length; k++) {
            Thread helper = new Thread(() -> dst.put(half, src, half, floats - half), "copy-helper");
            long t0 = System.nanoTime();
            helper.start();
            dst.put(0, src, 0, half);
            helper.join();
            two[k] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(one);
        Arrays.sort(two);
        System.out.printf(Locale.ROOT, "%n(a) memory copy bandwidth, %d MB direct FloatBuffer -> direct FloatBuffer "
                + "(bytes copied / time; the traffic, read + write, is twice that)%n", (long) bytes >> 20);
        System.out.printf(Locale.ROOT, "    1 thread : best %6.2f GB/s, median %6.2f GB/s%n",
                bytes / one[0] / 1e9, bytes / one[one.length / 2] / 1e9);
        System.out.printf(Locale.ROOT, "    2 threads: best %6.2f GB/s, median %6.2f GB/s (each copies half)%n",
                bytes / two[0] / 1e9, bytes / two[two.length / 2] / 1e9);
        return bytes / one[0] / 1e9;
    }

    /** (b): all-reduce of {@code floats} floats on 2 replicas, bus bandwidth and its ratio to the copy bandwidth. */
    private static void busBandwidth(int floats, double copyGbps) throws InterruptedException {
        int n = 2;
        double[] t = timeCell(n, floats, ALL_REDUCE, 1_000_000_000L, 40, new FloatBuffer[n]);
        double bytes = 4.0 * floats;
        double factor = 2.0 * (n - 1) / n;
        double best = factor * bytes / t[0] / 1e9;
        double median = factor * bytes / t[t.length / 2] / 1e9;
        System.out.printf(Locale.ROOT, "%n(b) all-reduce bus bandwidth, %d replicas x %d MB, AVERAGE, %d runs%n",
                n, (long) bytes >> 20, t.length);
        System.out.printf(Locale.ROOT, "    time best %.2f ms, median %.2f ms; busBw = 2(n-1)/n * bytes / time: best "
                + "%.2f GB/s, median %.2f GB/s%n", t[0] * 1e3, t[t.length / 2] * 1e3, best, median);
        System.out.printf(Locale.ROOT, "    busBw / copy bandwidth (1 thread, best of each) = %.2f (target >= 0.5); "
                + "median busBw / best copy = %.2f%n", best / copyGbps, median / copyGbps);
    }

    /** (c): all-reduce against the parameter-server exchange, median times, for every N and P that fits. */
    private static void table(BenchOptions o) throws InterruptedException {
        System.out.printf(Locale.ROOT, "%n(c) one all-reduce vs one parameter-server exchange (reduce to rank 0, then "
                + "broadcast), AVERAGE, median time per exchange, at least %d ms per cell and strategy%n", o.minTimeMs);
        System.out.println("    PS/AR > 1: all-reduce is faster. busBw as in (b).");
        System.out.printf(Locale.ROOT, "    %3s %12s %10s %12s %12s %7s %12s%n",
                "N", "P", "MB/replica", "allReduce ms", "PS ms", "PS/AR", "AR busBw GB/s");
        for (int n : o.replicas) {
            for (long p : o.sizes) {
                double gb = 4.0 * p * n / 1e9;
                if (gb > o.maxMemGb) {
                    System.out.printf(Locale.ROOT, "    %3d %12d   skipped: needs %.1f GB of buffers, limit %.1f GB "
                            + "(--max-mem-gb, -XX:MaxDirectMemorySize)%n", n, p, gb, o.maxMemGb);
                    continue;
                }
                int count = Math.toIntExact(p);
                FloatBuffer[] bufs = new FloatBuffer[n];
                double[] ar = timeCell(n, count, ALL_REDUCE, o.minTimeMs * 1_000_000L, 2000, bufs);
                double[] ps = timeCell(n, count, PARAMETER_SERVER, o.minTimeMs * 1_000_000L, 2000, bufs);
                double arMed = ar[ar.length / 2];
                double psMed = ps[ps.length / 2];
                System.out.printf(Locale.ROOT, "    %3d %12d %10.2f %12.4f %12.4f %7.2f %12.2f%n", n, p, 4.0 * p / 1e6,
                        arMed * 1e3, psMed * 1e3, psMed / arMed, 2.0 * (n - 1) / n * 4.0 * p / arMed / 1e9);
            }
        }
    }

    /**
     * Runs {@code exchange} on {@code n} replica threads over {@code count} floats each until at least
     * {@code minNanos} have passed (3 to {@code maxIters} runs after {@link #WARMUP} warm-up runs); returns rank 0's times in
     * seconds, sorted. Allocates the buffers into {@code bufs} if they are null, else reuses them.
     */
    private static double[] timeCell(int n, int count, Exchange exchange, long minNanos, int maxIters,
                                     FloatBuffer[] bufs) throws InterruptedException {
        for (int r = 0; r < n; r++) {
            if (bufs[r] == null) {
                bufs[r] = direct(count);
                for (int i = 0; i < count; i++) {
                    bufs[r].put(i, r + i % 7);
                }
            }
        }
        List<LocalCommunicator> comms = LocalCommunicator.create(n, DEADLINE);
        AtomicInteger iters = new AtomicInteger();
        double[][] times = new double[1][];
        Throwable[] failure = new Throwable[n];
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            int rank = r;
            Thread t = new Thread(() -> {
                LocalCommunicator c = comms.get(rank);
                try {
                    long warm = Long.MAX_VALUE;  // the fastest warm-up run: the first ones run before the JIT
                    for (int k = 0; k < WARMUP; k++) {
                        c.barrier();
                        long t0 = System.nanoTime();
                        exchange.run(c, bufs[rank], count);
                        warm = Math.min(warm, System.nanoTime() - t0);
                    }
                    if (rank == 0) {
                        iters.set((int) Math.max(3, Math.min(maxIters, minNanos / Math.max(1, warm))));
                    }
                    c.barrier();  // publishes iters
                    int k = iters.get();
                    double[] mine = new double[k];
                    for (int i = 0; i < k; i++) {
                        c.barrier();
                        long t0 = System.nanoTime();
                        exchange.run(c, bufs[rank], count);
                        mine[i] = (System.nanoTime() - t0) / 1e9;
                    }
                    if (rank == 0) {
                        times[0] = mine;
                    }
                } catch (Throwable e) {
                    failure[rank] = e;
                    c.abort(e);
                }
            }, "replica-" + r);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        comms.forEach(LocalCommunicator::close);
        for (Throwable f : failure) {
            if (f != null) {
                throw new IllegalStateException("benchmark replica failed", f);
            }
        }
        double[] t = times[0];
        Arrays.sort(t);
        return t;
    }

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(floats, 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
