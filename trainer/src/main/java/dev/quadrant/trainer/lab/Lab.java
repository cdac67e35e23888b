package dev.quadrant.trainer.lab;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quadrant.device.DType;
import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.AllReduceStrategy;
import dev.quadrant.trainer.parallel.GossipStrategy;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.parallel.Strategies;
import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Training;

/**
 * The strategy lab: calibrates this machine ({@link Calibration}: the collectives first, then one replica's compute
 * just before the runs on each replica count), runs the four strategies for a short budget at
 * every replica count asked for ({@link Training#run}, the trainer's own metrics), predicts each measured point with
 * the {@link CostModel} of this machine and every point N = 1 ... 1024 on the named {@link HardwareProfile}s (and the
 * user's), and writes the report ({@link LabReport}) into {@code --out}.
 *
 * <pre>{@code
 * LabOptions o = new LabOptions();
 * o.model = "gpt:layers=4,heads=4,dim=128,ctx=64";
 * o.data = "text:../shared/datasets/tinyshakespeare/input.txt";
 * o.batch = 12;
 * LabResult r = Lab.run(o);   // also writes lab/summary.md, errors.csv, step-time.png, ...
 * }</pre>
 *
 * Runs on the calling thread and the replica threads of each run, one run at a time.
 */
public final class Lab {
    private static final Logger log = LoggerFactory.getLogger(Lab.class);
    /** Replica counts the profiles are predicted at. */
    static final int MAX_PREDICTED = 1024;
    /** Backward's share of a step's compute (two GEMMs per forward GEMM). */
    static final double BACKWARD_SHARE = 2.0 / 3;

    private Lab() {}

    /** Runs the lab and writes its report; every option is checked before anything is measured or written. */
    public static LabResult run(LabOptions o) {
        List<Integer> counts = parseDevices(o.devices);
        if (o.batch < counts.get(counts.size() - 1)) {
            throw new UserInputException("--batch " + o.batch + " is smaller than the largest replica count "
                    + counts.get(counts.size() - 1) + " of --devices " + o.devices + ": every replica needs a sample");
        }
        if (o.steps < 2 || o.warmup < 1 || o.reps < 1) {
            throw new UserInputException("--steps must be >= 2, --warmup >= 1 and --reps >= 1, got " + o.steps + ", "
                    + o.warmup + " and " + o.reps);
        }
        HardwareProfile user = o.profile == null ? null : HardwareProfile.read(o.profile);
        TrainOptions base = trainOptions(o, counts.get(0));
        Training.Setup setup = Training.setup(base);
        DataSplit data = Training.loadData(base, setup);

        long parameters;
        long[] buckets;
        TrainOptions probe = Calibration.copyOf(base);
        probe.devices = "cpu:1";
        probe.threads = 1;
        try (StepRunner r = Training.buildRunner(probe, Training.setup(probe), data)) {
            var layout = r.replicas().get(0).model().layout();
            parameters = layout.totalSize();
            buckets = AllReduceStrategy.planBuckets(layout, AllReduceStrategy.DEFAULT_BUCKET_BYTES).stream()
                    .mapToLong(b -> b.size()).toArray();
        }
        log.info("lab: {} on {}, {} parameters in {} all-reduce buckets, batch {}, replicas {}", o.model, o.data,
                parameters, buckets.length, o.batch, counts);

        double loadBefore = loadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        Calibration.Plan plan = new Calibration.Plan(base, o.batch, counts, o.effectiveThreads(), cores, o.reps);
        Map<String, Map<Integer, LinearFit>> collectives = Calibration.measureCollectives(plan, parameters);
        double loadCalibrated = loadAverage();
        log.info("lab: timed the collectives");

        Map<Integer, LinearFit> compute = new java.util.TreeMap<>();
        List<LabResult.Measured> measured = new ArrayList<>();
        for (int n : counts) {
            compute.put(n, Calibration.measureCompute(plan, data, n));
            for (String strategy : n == 1 ? List.of("allreduce") : Strategies.NAMES) {
                measured.add(measure(o, data, n, strategy));
            }
        }
        MachineProfile machine = new MachineProfile(cores, o.effectiveThreads(), compute, collectives);
        double loadAfter = loadAverage();
        CostModel here = new CostModel(parameters, buckets, BACKWARD_SHARE, machine.compute(), machine,
                GossipStrategy.DEFAULT_PERIOD);
        List<LabResult.ErrorRow> errors = new ArrayList<>();
        for (LabResult.Measured m : measured) {
            ModelStrategy s = m.n() == 1 ? ModelStrategy.ALLREDUCE_RING : forRun(m.strategy());
            CostModel.Prediction p = here.predict(s, m.n(), o.batch, CostModel.Scaling.STRONG);
            errors.add(new LabResult.ErrorRow(m.strategy(), m.n(), p.stepSeconds(), m.stepSeconds(),
                    p.computeSeconds() * 1e3, m.computeMs(), p.exposedCommSeconds() * 1e3, m.commExposedMs()));
        }

        int tokens = data.schema().input().dtype() == DType.INT32 ? data.schema().input().size() : 1;
        double flopsPerSample = 6.0 * parameters * tokens;
        Map<HardwareProfile, Map<CostModel.Scaling, List<CostModel.Prediction>>> predictions = new LinkedHashMap<>();
        for (HardwareProfile hp : HardwareProfile.withUser(user)) {
            CostModel m = new CostModel(parameters, buckets, BACKWARD_SHARE, hp.compute(flopsPerSample,
                    machine.compute()), hp.comm(), GossipStrategy.DEFAULT_PERIOD);
            Map<CostModel.Scaling, List<CostModel.Prediction>> byScaling = new EnumMap<>(CostModel.Scaling.class);
            for (CostModel.Scaling sc : CostModel.Scaling.values()) {
                List<CostModel.Prediction> ps = new ArrayList<>();
                for (int n = 1; n <= MAX_PREDICTED; n *= 2) {
                    for (ModelStrategy s : ModelStrategy.values()) {
                        ps.add(m.predict(s, n, o.batch, sc));
                    }
                }
                byScaling.put(sc, ps);
            }
            predictions.put(hp, byScaling);
        }
        LabResult result = new LabResult(o, parameters, buckets, machine, List.copyOf(measured), List.copyOf(errors),
                predictions, new double[] {loadBefore, loadCalibrated, loadAfter});
        try {
            LabReport.write(result, here, o.out);
        } catch (IOException e) {
            throw new UserInputException("--out " + o.out + ": cannot write the report: " + e, e);
        }
        return result;
    }

    /** The cost model's strategy for a run's {@code --strategy} (all-reduce as the ring). */
    static ModelStrategy forRun(String strategy) {
        return switch (strategy) {
            case "allreduce" -> ModelStrategy.ALLREDUCE_RING;
            case "ps" -> ModelStrategy.PS;
            case "hogwild" -> ModelStrategy.HOGWILD;
            case "gossip" -> ModelStrategy.GOSSIP;
            default -> throw new IllegalArgumentException("strategy " + strategy);
        };
    }

    /** {@code cpu:1,2,4} (or {@code 1,2,4}): the replica counts, increasing from 1. */
    static List<Integer> parseDevices(String text) {
        String list = text.startsWith("cpu:") ? text.substring(4) : text;
        List<Integer> counts = new ArrayList<>();
        try {
            for (String p : list.split(",", -1)) {
                int n = Integer.parseInt(p.trim());
                if (n < 1 || (!counts.isEmpty() && n <= counts.get(counts.size() - 1))) {
                    throw new NumberFormatException();
                }
                counts.add(n);
            }
        } catch (NumberFormatException e) {
            throw new UserInputException("--devices '" + text + "': expected cpu: and increasing replica counts "
                    + ">= 1 separated by commas, e.g. cpu:1,2,4 (the lab runs in-process CPU replicas)");
        }
        if (counts.get(0) != 1) {
            throw new UserInputException("--devices '" + text + "': the first replica count must be 1 (the base of "
                    + "the speed-up), e.g. cpu:1," + list);
        }
        return counts;
    }

    private static TrainOptions trainOptions(LabOptions o, int n) {
        TrainOptions t = new TrainOptions();
        t.model = o.model;
        t.data = o.data;
        t.batch = o.batch;
        t.optimizer = o.optimizer;
        t.lr = o.lr;
        t.seed = o.seed;
        t.threads = o.effectiveThreads();
        t.devices = "cpu:" + n;
        t.steps = o.warmup + o.steps;
        t.evalEvery = Math.max(2, o.warmup); // an evaluation at every step would leave no interval to time
        t.evalBatches = 1;
        return t;
    }

    /**
     * One run of {@code strategy} on {@code n} replicas. The step time of a synchronous strategy is the median wall
     * time between consecutive steps after the warm-up, leaving out the intervals that hold an evaluation (robust to
     * a loaded machine); that of an asynchronous one is a worker's own step (compute plus exposed communication on its
     * timeline). Compute and exposed communication are the trainer's, averaged over the evaluation windows after the
     * first.
     */
    private static LabResult.Measured measure(LabOptions lo, DataSplit data, int n, String strategy) {
        TrainOptions o = trainOptions(lo, n);
        o.strategy = strategy;
        Training.Setup s = Training.setup(o);
        List<Double> intervals = new ArrayList<>();
        TrainListener timer = new TrainListener() {
            private long last;
            private long lastStep;

            @Override
            public void onStep(long step, int epoch, double recentLoss) {
                long now = System.nanoTime();
                if (step > lo.warmup && lastStep % o.evalEvery != 0) {
                    intervals.add((now - last) / 1e9);
                }
                last = now;
                lastStep = step;
            }
        };
        TrainResult r = Training.run(o, s, data, null, List.of(timer)).result();
        if (intervals.isEmpty()) {
            throw new dev.quadrant.device.UserInputException("run of " + strategy + " x" + n + " timed no step: the data's epochs "
                    + "end at every step; use larger data or a smaller --batch");
        }
        double step = Calibration.median(intervals.stream().mapToDouble(Double::doubleValue).toArray());
        double steps = 0;
        double compute = 0;
        double comm = 0;
        for (int i = 1; i < r.epochs().size(); i++) {
            EpochMetrics m = r.epochs().get(i);
            double k = m.step() - r.epochs().get(i - 1).step();
            steps += k;
            compute += k * m.computeMs();
            comm += k * m.commExposedMs();
        }
        if (!Lab.forRun(strategy).synchronous() && n > 1) {
            // an asynchronous step only queues each worker's shard (a few ahead), so the driver's step interval is
            // not the workers' pace: a worker's step is its own timeline's compute plus its pull and push
            step = (compute + comm) / steps / 1e3;
        }
        EpochMetrics last = r.last();
        Object st = last.extra().get("staleness_mean");
        LabResult.Measured m = new LabResult.Measured(n == 1 ? "single" : strategy, n, step, o.batch / step,
                last.bytesMovedPerStep(), st instanceof Number x ? x.doubleValue() : 0, last.trainLoss(),
                last.testLoss(), compute / steps, comm / steps);
        log.info(String.format(Locale.ROOT, "lab: %s x%d: %.2f ms/step, %.0f samples/s, loss %.4f", m.strategy(), n,
                m.stepSeconds() * 1e3, m.samplesPerSecond(), m.trainLoss()));
        return m;
    }

    /**
     * The one-minute load average from {@code /proc/loadavg}, or NaN where there is none. Read from the file rather than
     * through {@code java.lang.management}, which the GPU-host bundle's runtime leaves out.
     */
    static double loadAverage() {
        try {
            String text = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg"));
            return Double.parseDouble(text.trim().split("\\s+")[0]);
        } catch (java.io.IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
