package dev.quadrant.trainer.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import dev.quadrant.device.Activation;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.data.Samples;
import dev.quadrant.trainer.nn.Initializer;
import dev.quadrant.trainer.nn.ModelFactory;
import dev.quadrant.trainer.nn.ModelSpec;
import dev.quadrant.trainer.objective.Objective;
import dev.quadrant.trainer.optim.LrSchedule;
import dev.quadrant.trainer.optim.OptimizerConfig;
import dev.quadrant.trainer.optim.OptimizerKind;

/**
 * Training from Java with typed parts: a model (a {@link ModelSpec} such as {@code new MlpSpec(...)} or
 * {@code GptSpec}, or a {@link ModelFactory} lambda that builds your own {@link dev.quadrant.trainer.nn.Module}s),
 * your own data ({@link Samples}: {@link dev.quadrant.trainer.data.ArraySamples} for arrays or an iterator), an
 * objective (or the one the data's target implies), a strategy over any devices, listeners for per-step and
 * per-evaluation metrics that may stop early. {@link #run()} returns a {@link Trained} model to save, predict with
 * or sample from. What the options don't cover has the same defaults as {@code quadrant train}.
 *
 * <pre>{@code
 * Trained t = Fit.builder()
 *         .model(new MlpSpec(new int[] {64}))
 *         .data(train, test)
 *         .optimizer(OptimizerKind.ADAM, 1e-3f)
 *         .devices("cpu:2").strategy(Strategy.ALLREDUCE)
 *         .batch(32).epochs(3)
 *         .listener(new TrainListener() {
 *             public void onEpoch(EpochMetrics m) { System.out.println(m.testAccuracy()); }
 *         })
 *         .build().run();
 * int[] classes = t.predictor(1).classify(inputs, 1);
 * }</pre>
 *
 * <p>Not thread-safe; a built {@code Fit} may be run more than once (each run starts from the seed).
 */
public final class Fit {

    /** The four ways to keep replicas in step (see {@code --strategy}). */
    public enum Strategy {
        /** Synchronous all-reduce of gradients (the default). */
        ALLREDUCE,
        /** Synchronous parameter server. */
        PS,
        /** Asynchronous parameter server without locks. */
        HOGWILD,
        /** Asynchronous neighbour exchange. */
        GOSSIP;

        String optionName() { return name().toLowerCase(Locale.ROOT); }
    }

    private final TrainOptions options;
    private final ModelFactory model;
    private final DataSplit data;
    private final Objective objective;
    private final OptimizerConfig optimizer;
    private final LrSchedule schedule;
    private final List<TrainListener> listeners;

    private Fit(Builder b) {
        this.options = b.options;
        this.model = Objects.requireNonNull(b.model, "model");
        this.data = Objects.requireNonNull(b.data, "data");
        this.objective = b.objective;
        this.optimizer = b.optimizer;
        this.schedule = b.schedule;
        this.listeners = List.copyOf(b.listeners);
    }

    public static Builder builder() { return new Builder(); }

    /** Trains and returns the model with its final parameters. */
    public Trained run() {
        Training.Setup defaults = Training.setup(options);
        OptimizerConfig opt = optimizer != null ? optimizer : defaults.optimizer();
        Training.Setup s = new Training.Setup(model, defaults.activation(), defaults.init(), opt,
                schedule != null ? schedule : defaults.schedule(), defaults.devices(), defaults.precision());
        Training.Outcome out = Training.run(options, s, data, objective, listeners);
        return new Trained(out.result(), out.parameters(), model, data.schema(), data.vocabulary(), s.activation());
    }

    /** Collects the parts of a {@link Fit}. */
    public static final class Builder {
        private final TrainOptions options = new TrainOptions();
        private ModelFactory model;
        private DataSplit data;
        private Objective objective;
        private OptimizerConfig optimizer;
        private LrSchedule schedule;
        private final List<TrainListener> listeners = new ArrayList<>();

        private Builder() {
            options.data = "(given from Java)";
        }

        /** The model: a spec ({@code MlpSpec}, {@code GptSpec}) or your own factory. */
        public Builder model(ModelFactory m) {
            this.model = m;
            if (m instanceof ModelSpec spec) {
                options.model = spec.toString();
            }
            return this;
        }

        /** Training and evaluation samples of one schema. */
        public Builder data(Samples train, Samples test) { return data(new DataSplit(train, test)); }

        public Builder data(DataSplit split) {
            this.data = split;
            return this;
        }

        /** The objective; by default the one the target implies (classification, language modelling, regression). */
        public Builder objective(Objective o) {
            this.objective = o;
            return this;
        }

        /** Optimizer kind and learning rate, other settings at their defaults. */
        public Builder optimizer(OptimizerKind kind, float lr) {
            options.optimizer = kind.toString();
            options.lr = lr;
            return this;
        }

        /** A fully specified optimizer (its learning rate is the base rate of the schedule). */
        public Builder optimizer(OptimizerConfig config) {
            this.optimizer = config;
            options.optimizer = config.kind().toString();
            options.lr = config.lr();
            return this;
        }

        public Builder schedule(LrSchedule s) {
            this.schedule = s;
            return this;
        }

        /** {@code cpu:N}, {@code cuda:0x2}, ... as {@code --devices}. */
        public Builder devices(String spec) {
            options.devices = spec;
            return this;
        }

        public Builder strategy(Strategy s) {
            options.strategy = s.optionName();
            return this;
        }

        public Builder batch(int rows) {
            options.batch = rows;
            return this;
        }

        public Builder epochs(int n) {
            options.epochs = n;
            return this;
        }

        /** Stop after {@code n} optimizer steps (overrides epochs). */
        public Builder steps(long n) {
            options.steps = n;
            return this;
        }

        /** Micro-batches per optimizer step. */
        public Builder gradAccum(int k) {
            options.gradAccum = k;
            return this;
        }

        public Builder evalEvery(long steps) {
            options.evalEvery = steps;
            return this;
        }

        public Builder seed(long seed) {
            options.seed = seed;
            return this;
        }

        /** Augments the training images ({@code --augment}); {@code Augmentation.NONE} by default. */
        public Builder augment(dev.quadrant.trainer.data.Augmentation a) {
            options.augment = a.toString();
            return this;
        }

        public Builder clipNorm(float norm) {
            options.clipNorm = norm;
            return this;
        }

        /** For spec models: the MLP activation, dropout and initializer. */
        public Builder activation(Activation a, float dropout, Initializer init) {
            options.activation = a.name().toLowerCase(Locale.ROOT);
            options.dropout = dropout;
            options.init = init.name().toLowerCase(Locale.ROOT);
            return this;
        }

        /** CPU threads in all. */
        public Builder threads(int n) {
            options.threads = n;
            return this;
        }

        /** Write checkpoints to {@code dir} every {@code every} ({@code 100}, {@code 1e}: see --checkpoint-every). */
        public Builder checkpoints(Path dir, String every) {
            options.checkpointDir = dir;
            options.checkpointEvery = every;
            return this;
        }

        public Builder listener(TrainListener l) {
            listeners.add(Objects.requireNonNull(l, "listener"));
            return this;
        }

        public Fit build() { return new Fit(this); }
    }
}
