package dev.quadrant.trainer.train;

import java.util.ArrayList;
import java.util.List;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;
import dev.quadrant.device.cuda.CudaBackendProvider;
import dev.quadrant.device.cuda.Precision;
import dev.quadrant.trainer.data.DataSpec;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.nn.Initializer;
import dev.quadrant.trainer.nn.ModelSpec;
import dev.quadrant.trainer.optim.LrSchedule;
import dev.quadrant.trainer.optim.OptimizerConfig;
import dev.quadrant.trainer.optim.OptimizerKind;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.parallel.Strategies;

/**
 * One training run from {@link TrainOptions}: loads the data, builds one replica per device, initialises (or loads)
 * the parameters, trains, saves. This is what {@code quadrant train} runs, and what tests and benchmarks call.
 *
 * <pre>{@code
 * TrainOptions o = new TrainOptions();
 * o.data = "synthetic:64x4x2000";
 * TrainResult r = Training.run(o, List.of());
 * }</pre>
 */
public final class Training {
    private Training() {}

    /** Validated, parsed form of the options that shape the model and the optimizer. */
    public record Setup(ModelSpec model, Activation activation, Initializer init, OptimizerConfig optimizer,
                        LrSchedule schedule, List<Device> devices, Precision precision) {}

    /** Parses and checks every option before any data is read, so a typo fails fast. */
    public static Setup setup(TrainOptions o) {
        ModelSpec model = ModelSpec.parse(o.model);
        Activation act = Activation.parse(o.activation);
        Initializer init = o.init == null ? (act == Activation.TANH ? Initializer.XAVIER : Initializer.HE)
                : Initializer.parse(o.init);
        OptimizerKind kind = OptimizerKind.parse(o.optimizer);
        OptimizerConfig opt = new OptimizerConfig(kind, o.lr, o.weightDecay, o.momentum, 0.9f, 0.999f, 1e-8f);
        LrSchedule schedule = LrSchedule.parse(o.schedule);
        if (!(o.dropout >= 0 && o.dropout < 1)) {
            throw new dev.quadrant.device.UserInputException("--dropout must be in [0, 1), got " + o.dropout);
        }
        if (o.clipNorm < 0) {
            throw new dev.quadrant.device.UserInputException("--clip-norm must be >= 0, got " + o.clipNorm);
        }
        if (o.threads < 0) {
            throw new dev.quadrant.device.UserInputException("--threads must be >= 1, got " + o.threads);
        }
        Precision precision = Precision.parse(o.precision);
        List<Device> devices = DeviceSpec.parse(o.devices);
        if (precision != Precision.FP32 && devices.stream().anyMatch(Device::isCpu)) {
            throw new dev.quadrant.device.UserInputException("--precision " + o.precision
                    + " is for GPUs (TF32 and bf16 tensor cores); CPU replicas compute in fp32");
        }
        Strategies.check(o.strategy, devices);
        return new Setup(model, act, init, opt, schedule, devices, precision);
    }

    /** Makes the backend of one replica. */
    @FunctionalInterface
    public interface BackendFactory {
        /**
         * A backend on {@code device} for a replica with a budget of {@code threads} CPU threads, GEMMs in
         * {@code precision} on GPUs.
         */
        Backend create(Device device, int threads, Precision precision);

        /** The CPU provider's backend, or a CUDA backend with NVRTC-compiled kernels. */
        BackendFactory DEFAULT = (d, threads, p) -> d.isCpu() ? BackendProvider.of(d.kind()).create(d, threads)
                : new CudaBackendProvider().create(d, p);
    }

    /** Loads the data named by {@code --data}. */
    public static DataSplit loadData(TrainOptions o) {
        return DataSpec.parse(o.data).load(o.seed, o.csvLabelColumn, o.csvTestFraction);
    }

    /**
     * Builds the replicas and the step runner of {@code o.strategy}, with every replica holding the initial (or
     * loaded) parameters.
     */
    public static StepRunner buildRunner(TrainOptions o, Setup s, DataSplit data) {
        return buildRunner(o, s, data, BackendFactory.DEFAULT);
    }

    /** As above, with each replica's backend made by {@code backends} (tests use it to run GPU code on stubs). */
    public static StepRunner buildRunner(TrainOptions o, Setup s, DataSplit data, BackendFactory backends) {
        int features = data.train().features();
        int classes = data.train().classes();
        int n = s.devices().size();
        int threadsEach = Math.max(1, o.effectiveThreads() / n);
        int maxRows = Math.max(1, (o.batch + n - 1) / n);
        List<Replica> replicas = new ArrayList<>();
        try {
            for (int r = 0; r < n; r++) {
                Device d = s.devices().get(r);
                Backend be = backends.create(d, threadsEach, s.precision());
                replicas.add(new Replica(r, be, s.model(), features, classes, s.activation(), o.dropout, maxRows,
                        s.optimizer()));
            }
            float[] initial = o.load != null
                    ? ModelFiles.load(o.load, replicas.get(0).model().layout())
                    : replicas.get(0).model().initialValues(o.seed, s.init());
            replicas.get(0).setParameters(initial);
            return Strategies.create(o.strategy, replicas, o.clipNorm);
        } catch (RuntimeException | Error e) {
            for (Replica r : replicas) {
                closeQuietly(r, e);
            }
            throw e;
        }
    }

    /** Runs the whole job: setup, data, replicas, training, saving. */
    public static TrainResult run(TrainOptions o, List<TrainListener> listeners) {
        Setup s = setup(o);
        DataSplit data = loadData(o);
        try (StepRunner runner = buildRunner(o, s, data)) {
            Trainer trainer = new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.lr, s.schedule(), o.seed));
            TrainResult result = trainer.fit(data, runner, listeners);
            if (o.save != null) {
                runner.consolidate();
                Replica r0 = runner.replicas().get(0);
                ModelFiles.save(o.save, r0.model().layout(), r0.getParameters(), describe(o, data));
            }
            return result;
        }
    }

    private static java.util.Map<String, String> describe(TrainOptions o, DataSplit data) {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("format", "quadrant-model");
        m.put("model", ModelSpec.parse(o.model).toString());
        m.put("activation", o.activation);
        m.put("features", Integer.toString(data.train().features()));
        m.put("classes", Integer.toString(data.train().classes()));
        return m;
    }

    private static void closeQuietly(AutoCloseable c, Throwable primary) {
        try {
            c.close();
        } catch (Exception e) {
            primary.addSuppressed(e);
        }
    }
}
