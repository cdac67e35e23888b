package dev.quadrant.examples.bench;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.cuda.Precision;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.Training;

/**
 * The physical bound of a training step: records the {@link Backend} calls of one step (the {@code record}-th call of
 * {@link StepRunner#step}, on every replica) and prices them as the fastest this machine could run them. The step's
 * GEMMs ({@code gemm}, {@code gemmBatched}) are replayed alone, same shapes and order, on fresh backends of the same
 * kind and thread budget (replicas concurrently, as they ran), best of several passes; a convolution's GEMMs are
 * replayed on a CPU as the CPU backend runs them, cache-sized chunks of images each in one single-threaded call,
 * the chunks shared out over the thread budget (on a GPU as one call each); every other call is priced by
 * the bytes it must move at least (each tensor operand once; uploads and downloads once more for the host side) at
 * the machine's copy bandwidth, measured by {@link #copyBandwidth}. The bound is the sum of the two: a step can only
 * approach it by overlapping nothing and wasting nothing.
 *
 * <pre>{@code
 * StepBound bound = new StepBound(31);
 * try (StepRunner runner = bound.marking(Training.buildRunner(o, s, data, bound.wrap(BackendFactory.DEFAULT)))) { ... }
 * StepBound.Price p = bound.price(threadsEach, precision, StepBound.copyBandwidth(threads));
 * }</pre>
 *
 * <p>Thread-safe: replicas record from their own threads.
 */
final class StepBound {
    /** Methods that move no tensor data (or only describe it). */
    private static final Set<String> FREE = Set.of("device", "describe", "allocate", "synchronize", "newEvent",
            "newTimeline", "like", "close", "toString", "hashCode", "equals", "cudaBackend");

    /**
     * One recorded GEMM: flags, scalars and operand shapes; {@code chunk} > 0 for a convolution's, replayed as calls
     * of {@code chunk} rows of the batch dimension on cache-resident operands (see {@link #convolution}).
     */
    record Gemm(boolean batched, boolean transA, boolean transB, float alpha, int[] a, int[] b, float beta, int[] c,
                int chunk) {
        Gemm(boolean batched, boolean transA, boolean transB, float alpha, int[] a, int[] b, float beta, int[] c) {
            this(batched, transA, transB, alpha, a, b, beta, c, 0);
        }

        /** The batch dimension: rows of C, or the common dimension of a weight gradient ({@code transA}). */
        private int batchRows() { return transA ? a[0] : c[0]; }

        /** The same GEMM in one call (a convolution's on a backend that builds the whole column matrix). */
        Gemm whole() {
            return chunk == 0 ? this : new Gemm(batched, transA, transB, alpha, a, b, beta, c, 0);
        }

        /** Calls of the replay: one, or the chunks of a convolution's GEMM. */
        int calls() { return chunk == 0 ? 1 : (batchRows() + chunk - 1) / chunk; }

        /**
         * The shapes of one replayed call: this GEMM, or for a convolution's its first chunk of rows (the last chunk
         * may be shorter in the step; the replay repeats the full one, at most a chunk's work more).
         */
        Gemm chunked() {
            if (chunk == 0) {
                return this;
            }
            int rows = Math.min(chunk, batchRows());
            if (transA) {   // dW = dy^T col: both operands lose rows, C keeps its shape
                return new Gemm(false, true, transB, alpha, new int[] {rows, a[1]}, new int[] {rows, b[1]}, beta, c, 0);
            }
            return new Gemm(false, false, transB, alpha, new int[] {rows, a[1]}, b, beta, new int[] {rows, c[1]}, 0);
        }

        double flops() {
            int m = c[c.length - 2];
            int n = c[c.length - 1];
            int k = transA ? a[a.length - 2] : a[a.length - 1];
            double batch = batched ? c[0] : 1;
            return 2.0 * batch * m * n * k;
        }
    }

    /** A step's price: GEMM seconds alone, other bytes, and the bound at a bandwidth. */
    record Price(double gemmSeconds, long otherBytes, long otherCalls, int gemms, double gemmFlops,
                 double bytesPerSecond) {
        double memorySeconds() { return otherBytes / bytesPerSecond; }

        double boundSeconds() { return gemmSeconds + memorySeconds(); }
    }

    private final long record;
    private final AtomicLong steps = new AtomicLong();
    private volatile boolean recording;
    /** Per replica backend (in creation order), its recorded GEMMs. */
    private final List<List<Gemm>> gemms = new CopyOnWriteArrayList<>();
    private final AtomicLong otherBytes = new AtomicLong();
    private final AtomicLong otherCalls = new AtomicLong();
    private final List<Device> devices = new CopyOnWriteArrayList<>();
    /** While a step from the recorded one on runs: every backend call is timed into {@link #times}. */
    private volatile boolean timing;
    private final AtomicLong timedSteps = new AtomicLong();
    private final Map<String, Timed> times = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> bytesPerMethod = new ConcurrentHashMap<>();

    /** Time spent in one backend method over the timed steps (all replicas together) and its calls. */
    record Timed(LongAdder nanos, LongAdder calls) {
        Timed() {
            this(new LongAdder(), new LongAdder());
        }
    }

    /**
     * One line of {@link #breakdown}: a backend method's wall time per step (on a CPU the op itself; on a GPU only
     * the host's share of a launch), calls per step and the bytes the recorded step's calls of it moved at least.
     */
    record Share(String method, double callsPerStep, double secondsPerStep, long bytesPerStep) {}

    /** Records the {@code record}-th step (1-based), which should come after the warm-up. */
    StepBound(long record) {
        if (record < 1) {
            throw new IllegalArgumentException("record must be >= 1, got " + record);
        }
        this.record = record;
    }

    /** A factory whose backends are {@code inner}'s, recorded while the chosen step runs. */
    Training.BackendFactory wrap(Training.BackendFactory inner) {
        return (device, threads, precision) -> recorded(inner.create(device, threads, precision));
    }

    private Backend recorded(Backend be) {
        List<Gemm> mine = new CopyOnWriteArrayList<>();
        synchronized (this) {   // the two lists stay index-aligned
            gemms.add(mine);
            devices.add(be.device());
        }
        InvocationHandler h = (proxy, method, args) -> {
            String name = method.getName();
            if (recording && !FREE.contains(name)) {
                long moved;   // the least bytes of this call, once: the bound's other bytes and the breakdown's GB/s
                if (name.equals("gemm") || name.equals("gemmBatched")) {
                    mine.add(new Gemm(name.equals("gemmBatched"), (boolean) args[0], (boolean) args[1],
                            (float) args[2], ((Tensor) args[3]).shape(), ((Tensor) args[4]).shape(), (float) args[5],
                            ((Tensor) args[6]).shape()));
                    moved = bytes(name, args);
                } else {
                    moved = name.equals("conv2dForward") || name.equals("conv2dBackward")
                            ? convolution(name, args, mine) : bytes(name, args);
                    otherCalls.incrementAndGet();
                    otherBytes.addAndGet(moved);
                }
                bytesPerMethod.computeIfAbsent(name, x -> new LongAdder()).add(moved);
            }
            if (!timing || FREE.contains(name)) {
                return invokeOn(be, method, args);
            }
            long t0 = System.nanoTime();
            try {
                return invokeOn(be, method, args);
            } finally {
                Timed t = times.computeIfAbsent(name, x -> new Timed());
                t.nanos().add(System.nanoTime() - t0);
                t.calls().increment();
            }
        };
        return (Backend) Proxy.newProxyInstance(StepBound.class.getClassLoader(), new Class<?>[] {Backend.class}, h);
    }

    /**
     * A convolution as the GEMMs of its im2col form (added to {@code gemms}) plus the bytes it must move besides: the
     * images, outputs and gradients, never the column matrix, which a backend need not build
     * ({@link Backend#conv2dForward}). The GEMMs are replayed in chunks of rows whose column matrix fits in 256 KiB,
     * each on the same cache-resident operands: their compute time, without the memory traffic of a column matrix
     * the size of the batch (LeNet's conv1 at batch 128: 10 MB, a GEMM of n = 6 that only streams it). Returns those
     * bytes.
     */
    static long convolution(String method, Object[] args, List<Gemm> gemms) {
        if (method.equals("conv2dForward")) {   // (x, w, weight, bias, col, y)
            Tensor weight = (Tensor) args[2];
            Tensor y = (Tensor) args[5];
            int[] col = columns((Tensor) args[0], (Window2d) args[1]);
            gemms.add(new Gemm(false, false, true, 1f, col, weight.shape(), 0f, y.shape(), chunk(col)));
            return bytes(method, new Object[] {args[0], weight, args[3], y});
        }
        // (x, dy, w, weight, col, dcol, dWeight, dBias, dx)
        Tensor dy = (Tensor) args[1];
        Tensor weight = (Tensor) args[3];
        Tensor dWeight = (Tensor) args[6];
        int[] col = columns((Tensor) args[0], (Window2d) args[2]);
        gemms.add(new Gemm(false, true, false, 1f, dy.shape(), col, 1f, dWeight.shape(), chunk(col)));
        if (args[8] != null) {
            gemms.add(new Gemm(false, false, false, 1f, dy.shape(), weight.shape(), 0f, col, chunk(col)));
        }
        return bytes(method, new Object[] {args[0], dy, weight, dWeight, args[7], args[8]});
    }

    /**
     * The shape of the column matrix of images {@code x [N, H, W, C]} under {@code w}: {@code [N * Ho * Wo, C * kh *
     * kw]} (from the images, since a backend that needs none is passed no {@code col}).
     */
    private static int[] columns(Tensor x, Window2d w) {
        return new int[] {x.dim(0) * w.outHeight(x.dim(1)) * w.outWidth(x.dim(2)), x.dim(3) * w.kh() * w.kw()};
    }

    /** Rows of a column matrix {@code [rows, taps]} in 64 Ki floats, at least one. */
    private static int chunk(int[] col) {
        return Math.max(1, Math.min(col[0], 65_536 / Math.max(1, col[1])));
    }

    /** The least bytes a call moves: each distinct tensor operand once, the host side of a transfer once more. */
    static long bytes(String method, Object[] args) {
        if (args == null) {
            return 0;
        }
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        long total = 0;
        for (Object a : args) {
            if (a instanceof Tensor t && seen.put(t, Boolean.TRUE) == null) {
                total += t.size() * t.dtype().bytes();
            }
        }
        return method.equals("upload") || method.equals("download") ? 2 * total : total;
    }

    private static Object invokeOn(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * {@code runner}, recording the backend calls of its {@code record}-th step and timing those of every step from
     * that one on ({@link #breakdown}).
     */
    StepRunner marking(StepRunner runner) {
        InvocationHandler h = (proxy, method, args) -> {
            boolean step = method.getName().equals("step");
            long n = step ? steps.incrementAndGet() : 0;
            boolean mark = n == record;
            if (mark) {
                recording = true;
            }
            if (step && n >= record) {
                timing = true;
                timedSteps.incrementAndGet();
            }
            try {
                return invokeOn(runner, method, args);
            } finally {
                recording = false;
                timing = false;
            }
        };
        return (StepRunner) Proxy.newProxyInstance(StepBound.class.getClassLoader(), new Class<?>[] {StepRunner.class}, h);
    }

    /**
     * Where the timed steps' time went: per backend method (all replicas' calls added, so on several replicas the
     * total exceeds the step), most expensive first.
     */
    List<Share> breakdown() {
        long n = Math.max(1, timedSteps.get());
        List<Share> out = new ArrayList<>();
        times.forEach((m, t) -> out.add(new Share(m, t.calls().sum() / (double) n, t.nanos().sum() / 1e9 / n,
                bytesPerMethod.containsKey(m) ? bytesPerMethod.get(m).sum() : 0)));
        out.sort((a, b) -> Double.compare(b.secondsPerStep(), a.secondsPerStep()));
        return out;
    }

    /** Whether the chosen step ran (and so was recorded). */
    boolean recorded() {
        return steps.get() >= record;
    }

    /**
     * Prices the recorded step: its GEMMs replayed alone ({@code passes} passes after 3 untimed ones, the fastest
     * kept) on backends made by {@code backends} with {@code threadsEach} threads, one per replica, concurrently; the
     * rest at {@code bytesPerSecond}.
     */
    Price price(Training.BackendFactory backends, int threadsEach, Precision precision, double bytesPerSecond,
                int passes) throws InterruptedException {
        if (!recorded()) {
            throw new IllegalStateException("step " + record + " never ran; " + steps.get() + " steps did");
        }
        List<List<Gemm>> perReplica = new ArrayList<>();
        List<Device> where = new ArrayList<>();
        for (int i = 0; i < gemms.size(); i++) {   // by index: two replicas' lists may be equal
            if (!gemms.get(i).isEmpty()) {
                perReplica.add(gemms.get(i));
                where.add(devices.get(i));
            }
        }
        double[] best = new double[perReplica.size()];
        Throwable[] failed = new Throwable[1];
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < perReplica.size(); r++) {
            int replica = r;
            Device device = where.get(r);
            Thread t = new Thread(() -> {
                List<Backend> workers = new ArrayList<>();
                ExecutorService pool = null;
                try (Backend be = backends.create(device, threadsEach, precision)) {
                    List<Gemm> calls = perReplica.get(replica);
                    if (device.isCpu()) {   // convolution chunks: one single-threaded call per chunk, chunks in parallel
                        for (int w = 0; w < threadsEach; w++) {
                            workers.add(backends.create(device, 1, precision));
                        }
                        pool = Executors.newFixedThreadPool(threadsEach);
                    } else {   // a GPU backend builds the whole column matrix and multiplies it in one call
                        calls = calls.stream().map(Gemm::whole).toList();
                    }
                    best[replica] = replay(be, calls, passes, workers, pool);
                } catch (RuntimeException | Error | InterruptedException | ExecutionException e) {
                    synchronized (failed) {
                        failed[0] = e;
                    }
                } finally {
                    if (pool != null) {
                        pool.shutdownNow();
                    }
                    workers.forEach(Backend::close);
                }
            }, "step-bound-" + r);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failed[0] != null) {
            throw new IllegalStateException("replaying the step's GEMMs failed: " + failed[0], failed[0]);
        }
        double gemmSeconds = Arrays.stream(best).max().orElse(0);
        int count = perReplica.stream().mapToInt(List::size).sum();
        double flops = perReplica.stream().flatMap(List::stream).mapToDouble(Gemm::flops).sum();
        return new Price(gemmSeconds, otherBytes.get(), otherCalls.get(), count, flops, bytesPerSecond);
    }

    /**
     * The fastest of {@code passes} timed passes over {@code calls} on {@code be}, in seconds per pass. A chunked
     * (convolution) GEMM's calls are shared out over {@code workers} (one-thread backends, each with operands of its
     * own, on {@code pool}'s threads), as the CPU backend runs a convolution's chunks; without workers they run one
     * after another on {@code be}.
     */
    private static double replay(Backend be, List<Gemm> calls, int passes, List<Backend> workers,
                                 ExecutorService pool) throws InterruptedException, ExecutionException {
        List<Tensor[][]> operands = new ArrayList<>();   // per call: [worker][a, b, c], or [0] on be
        for (Gemm g : calls) {
            Gemm c = g.chunked();
            boolean shared = g.chunk() > 0 && !workers.isEmpty();
            List<Backend> on = shared ? workers : List.of(be);
            Tensor[][] t = new Tensor[on.size()][];
            for (int w = 0; w < on.size(); w++) {
                Backend b = on.get(w);
                t[w] = new Tensor[] {b.allocate(DType.FLOAT32, c.a()), b.allocate(DType.FLOAT32, c.b()),
                        b.allocate(DType.FLOAT32, c.c())};
                for (Tensor x : t[w]) {
                    b.fill(x, 0.01f);
                }
            }
            operands.add(t);
        }
        try {
            double best = Double.MAX_VALUE;
            for (int p = -3; p < passes; p++) {
                be.synchronize();
                long t0 = System.nanoTime();
                for (int i = 0; i < calls.size(); i++) {
                    Gemm g = calls.get(i);
                    Tensor[][] t = operands.get(i);
                    if (g.batched()) {
                        be.gemmBatched(g.transA(), g.transB(), g.alpha(), t[0][0], t[0][1], g.beta(), t[0][2]);
                    } else if (t.length > 1) {
                        int n = g.calls();
                        List<Future<?>> done = new ArrayList<>();
                        for (int w = 0; w < t.length; w++) {
                            Backend b = workers.get(w);
                            Tensor[] o = t[w];
                            int share = (int) ((long) n * (w + 1) / t.length) - (int) ((long) n * w / t.length);
                            done.add(pool.submit(() -> {
                                for (int r = share; r > 0; r--) {
                                    b.gemm(g.transA(), g.transB(), g.alpha(), o[0], o[1], g.beta(), o[2]);
                                }
                            }));
                        }
                        for (Future<?> f : done) {
                            f.get();
                        }
                    } else {
                        for (int r = g.calls(); r > 0; r--) {
                            be.gemm(g.transA(), g.transB(), g.alpha(), t[0][0], t[0][1], g.beta(), t[0][2]);
                        }
                    }
                }
                be.synchronize();
                if (p >= 0) {
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
            }
            return best;
        } finally {
            for (Tensor[][] t : operands) {
                for (Tensor[] w : t) {
                    for (Tensor x : w) {
                        x.close();
                    }
                }
            }
        }
    }

    /**
     * This machine's copy bandwidth in bytes per second (read plus written) with {@code threads} threads, each copying
     * its share of a 256 MiB float array to another (far beyond any cache), the fastest of 5 rounds after one untimed.
     */
    static double copyBandwidth(int threads) throws InterruptedException {
        int n = 64 << 20; // floats: 256 MiB
        float[] src = new float[n];
        float[] dst = new float[n];
        Arrays.fill(src, 1f);
        double best = 0;
        for (int round = -1; round < 5; round++) {
            List<Thread> ts = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < threads; i++) {
                int from = (int) ((long) n * i / threads);
                int to = (int) ((long) n * (i + 1) / threads);
                Thread t = new Thread(() -> System.arraycopy(src, from, dst, from, to - from));
                ts.add(t);
                t.start();
            }
            for (Thread t : ts) {
                t.join();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (round >= 0) {
                best = Math.max(best, 2.0 * 4 * n / seconds);
            }
        }
        if (dst[n - 1] != 1f) {
            throw new IllegalStateException("the copy test copied nothing");
        }
        return best;
    }
}
