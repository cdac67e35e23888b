package dev.quadrant.trainer.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;
import dev.quadrant.device.cuda.CudaBackendProvider;
import dev.quadrant.device.cuda.Precision;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.cluster.ProcessGroup;
import dev.quadrant.trainer.checkpoint.Checkpoint;
import dev.quadrant.trainer.checkpoint.CheckpointEvery;
import dev.quadrant.trainer.checkpoint.CheckpointStore;
import dev.quadrant.trainer.checkpoint.CheckpointWriter;
import dev.quadrant.trainer.data.Augmentation;
import dev.quadrant.trainer.data.DataSpec;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.io.OutputPaths;
import dev.quadrant.trainer.nn.Initializer;
import dev.quadrant.trainer.nn.ModelFactory;
import dev.quadrant.trainer.nn.ModelSpec;
import dev.quadrant.trainer.objective.Objective;
import dev.quadrant.trainer.objective.Objectives;
import dev.quadrant.trainer.parallel.StepBatch;
import dev.quadrant.trainer.nn.ParamLayout;
import dev.quadrant.trainer.optim.LrSchedule;
import dev.quadrant.trainer.optim.OptimizerConfig;
import dev.quadrant.trainer.optim.OptimizerKind;
import dev.quadrant.trainer.parallel.NonFinitePolicy;
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
    private static final Logger log = LoggerFactory.getLogger(Training.class);

    private Training() {}

    /** Validated, parsed form of the options that shape the model and the optimizer. */
    public record Setup(ModelFactory model, Activation activation, Initializer init, OptimizerConfig optimizer,
                        LrSchedule schedule, List<Device> devices, Precision precision) {
        /** The sequence length the data must provide (a GPT's ctx), or 0. */
        public int sequenceLength() { return model instanceof ModelSpec m ? m.sequenceLength() : 0; }
    }

    /** Parses and checks every option before any data is read, so a typo fails fast. */
    public static Setup setup(TrainOptions o) {
        OptionChecks.check(o); // every numeric option, before anything is parsed further
        ModelSpec model = ModelSpec.parse(o.model);
        Activation act = Activation.parse(o.activation);
        Initializer init = o.init == null ? (act == Activation.TANH ? Initializer.XAVIER : Initializer.HE)
                : Initializer.parse(o.init);
        OptimizerKind kind = OptimizerKind.parse(o.optimizer);
        float[] betas = parseBetas(o.betas);
        OptimizerConfig opt = new OptimizerConfig(kind, o.lr, o.weightDecay, o.momentum, betas[0], betas[1], 1e-8f);
        LrSchedule schedule = LrSchedule.parse(o.schedule);
        Precision precision = Precision.parse(o.precision);
        List<Device> devices = DeviceSpec.parse(o.devices);
        if (precision != Precision.FP32 && devices.stream().anyMatch(Device::isCpu)) {
            throw new dev.quadrant.device.UserInputException("--precision " + o.precision
                    + " is for GPUs (TF32 and bf16 tensor cores); CPU replicas compute in fp32");
        }
        Strategies.check(o.strategy, devices);
        StepGraphMode.parse(o.cudaGraphs, devices, o.strategy);
        Augmentation.parse(o.augment);
        return new Setup(model, act, init, opt, schedule, devices, precision);
    }

    /** Parses {@code --betas B1,B2}: two numbers in [0, 1). */
    static float[] parseBetas(String text) {
        String[] p = text.split(",", -1);
        float[] b = new float[2];
        boolean ok = p.length == 2;
        for (int i = 0; ok && i < 2; i++) {
            try {
                b[i] = Float.parseFloat(p[i].trim());
                ok = b[i] >= 0 && b[i] < 1;
            } catch (NumberFormatException e) {
                ok = false;
            }
        }
        if (!ok) {
            throw new UserInputException("--betas '" + text + "': expected two numbers in [0, 1) separated by a "
                    + "comma, e.g. 0.9,0.999 (Adam's default) or 0.9,0.99");
        }
        return b;
    }

    /**
     * The most rows one step (or one evaluation chunk) can hold: {@code --batch} x {@code --grad-accum}, but no more
     * than the data has when it is visited in epochs (a step never holds a sample twice), so a {@code --batch} larger
     * than the data sizes no buffer by the batch. Data drawn at random positions fills every step whatever its size.
     */
    public static int bufferRows(TrainOptions o, DataSplit data) {
        long rows = (long) o.batch * o.gradAccum;
        if (data.train().order() == dev.quadrant.trainer.data.Samples.Order.EPOCHS) {
            rows = Math.min(rows, Math.max(data.train().size(), data.test().size()));
        }
        return (int) Math.min(rows, OptionChecks.MAX_STEP_ROWS);
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
        return loadData(o, setup(o));
    }

    /** Loads the data named by {@code --data}, with the sequence length the model of {@code s} reads. */
    public static DataSplit loadData(TrainOptions o, Setup s) {
        return MemoryAdvice.guard("loading --data " + o.data, -1,
                () -> DataSpec.parse(o.data).load(o.seed, o.csvLabelColumn, o.csvTestFraction, s.sequenceLength())
                        .holdOut(o.valFraction));
    }

    /**
     * Builds the replicas and the step runner of {@code o.strategy}, with every replica holding the initial (or
     * loaded) parameters.
     */
    public static StepRunner buildRunner(TrainOptions o, Setup s, DataSplit data) {
        return buildRunner(o, s, data, null, NonFinitePolicy.ABORT, BackendFactory.DEFAULT);
    }

    /** As above, with each replica's backend made by {@code backends} (tests use it to run GPU code on stubs). */
    public static StepRunner buildRunner(TrainOptions o, Setup s, DataSplit data, BackendFactory backends) {
        return buildRunner(o, s, data, null, NonFinitePolicy.ABORT, backends);
    }

    /**
     * As {@link #buildRunner(TrainOptions, Setup, DataSplit)}; with a checkpoint, every replica starts from its
     * parameters and optimizer state (whatever the number of replicas or the device kind it was written on), and
     * every replica treats non-finite gradients by {@code onNonFinite}.
     */
    public static StepRunner buildRunner(TrainOptions o, Setup s, DataSplit data, Checkpoint resume,
                                         NonFinitePolicy onNonFinite) {
        return buildRunner(o, s, data, resume, onNonFinite, BackendFactory.DEFAULT);
    }

    /** The general form: checkpoint to resume from (or null), non-finite policy, and backend factory. */
    public static StepRunner buildRunner(TrainOptions o, Setup s, DataSplit data, Checkpoint resume,
                                         NonFinitePolicy onNonFinite, BackendFactory backends) {
        return buildRunner(o, s, data, Objectives.forSchema(data.schema()), resume, onNonFinite, backends);
    }

    /** The most general form, with the objective given. */
    public static StepRunner buildRunner(TrainOptions o, Setup s, DataSplit data, Objective objective,
                                         Checkpoint resume, NonFinitePolicy onNonFinite, BackendFactory backends) {
        return buildRunner(o, s, data, objective, resume, onNonFinite, backends, ProcessGroup.single());
    }

    /**
     * As above, for this process's replicas ({@code --devices}) in a job of several processes: every process builds
     * the same model from the same seed (or checkpoint), and the strategy's first broadcast gives every replica of
     * the job global replica 0's parameters.
     */
    public static StepRunner buildRunner(TrainOptions o, Setup s, DataSplit data, Objective objective,
                                         Checkpoint resume, NonFinitePolicy onNonFinite, BackendFactory backends,
                                         ProcessGroup processes) {
        MemoryPlan.of(o, s, data); // a model too large for its buffers, or a misfit to the data, fails here clearly
        int n = s.devices().size();
        int threadsEach = Math.max(1, o.effectiveThreads() / n);
        int maxRows = StepBatch.maxShardRows(bufferRows(o, data), o.gradAccum, n * processes.size());
        boolean graphs = StepGraphMode.parse(o.cudaGraphs, s.devices(), o.strategy).uses(n == 1 && processes.size() == 1
                ? "single" : o.strategy);
        List<Replica> replicas = new ArrayList<>();
        try {
            for (int r = 0; r < n; r++) {
                Device d = s.devices().get(r);
                Backend be = backends.create(d, threadsEach, s.precision());
                be.useStepGraphs(graphs);   // nothing on CPU replicas
                replicas.add(new Replica(r, be, s.model(), data.schema(), objective, s.activation(), o.dropout,
                        maxRows, s.optimizer()));
            }
            ParamLayout layout = replicas.get(0).model().layout();
            float[] initial;
            if (resume != null) {
                initial = resume.parameters(layout);
            } else if (o.load != null) {
                var file = ModelFiles.read(o.load);
                initial = ModelFiles.load(o.load, file, layout); // names and shapes first: the more specific message
                ModelFiles.checkRecorded(o.load, file.metadata(), s.model().describeSpec(), s.activation());
            } else {
                initial = replicas.get(0).model().initialValues(o.seed, s.init());
            }
            replicas.get(0).setParameters(initial);
            if (resume != null) {
                var state = resume.optimizerState(layout, replicas.get(0).optimizer().state().keySet());
                for (Replica r : replicas) {
                    r.optimizer().uploadState(state);
                    r.optimizer().setSteps(resume.optimizerSteps());
                }
            }
            for (Replica r : replicas) {
                r.setNonFinitePolicy(onNonFinite);
            }
            StepRunner runner = Strategies.create(o.strategy, replicas, o.clipNorm,
                    Strategies.COLLECTIVE_DEADLINE, processes);
            if (!processes.isSingle()) {
                log.debug("job: {}; {} replica{} here, {} in the job; {}", processes.describe(), n, n == 1 ? "" : "s",
                        runner.replicaCount(), runner.name());
            }
            return runner;
        } catch (RuntimeException | Error e) {
            for (Replica r : replicas) {
                closeQuietly(r, e);
            }
            throw e;
        }
    }

    /**
     * Runs the whole job: setup, data, replicas (from a checkpoint with {@code --resume}), training with checkpoints
     * ({@code --checkpoint-dir}), saving.
     */
    public static TrainResult run(TrainOptions o, List<TrainListener> listeners) {
        return run(o, listeners, java.util.Map.of());
    }

    /**
     * As {@link #run(TrainOptions, List)}, with more files the caller has read for this run ({@code --config}, by
     * option name), which no output may overwrite.
     */
    public static TrainResult run(TrainOptions o, List<TrainListener> listeners, java.util.Map<String, Path> inputs) {
        return run(o, listeners, inputs, ProcessGroup.single());
    }

    /**
     * As above, as one process of a job of several ({@code processes}, e.g. {@link ProcessGroup#fromEnvironment}
     * under {@code mpirun}): this process's {@code --devices} are its replicas, each process reads the data and draws
     * the same seeded batches, and global replica {@code rank * replicas + i} computes that shard of each; only rank 0
     * writes {@code --save}, {@code --metrics} and checkpoints (the others run without outputs), and the metrics
     * count every replica of the job.
     */
    public static TrainResult run(TrainOptions o, List<TrainListener> listeners, java.util.Map<String, Path> inputs,
                                  ProcessGroup processes) {
        TrainOptions mine = processes.rank() == 0 ? o : TrainConfig.withoutOutputs(o);
        Setup s = setup(mine);
        // the other ranks consolidate where rank 0 checkpoints (for hogwild and gossip that is a collective)
        CheckpointEvery follow = processes.rank() == 0 ? null : checkpointEvery(o);
        return run(mine, s, null, null, listeners, inputs, processes, follow).result();
    }

    /** What a run ends with: its metrics and replica 0's final parameters. */
    public record Outcome(TrainResult result, float[] parameters) {}

    /**
     * The whole job with typed parts a Java caller may give instead of the options' text: {@code s} (model factory
     * and optimizer), {@code given} (the data; null: load {@code --data}) and {@code objective} (null: the one the
     * data's target implies).
     */
    public static Outcome run(TrainOptions o, Setup s, DataSplit given, Objective objective,
                              List<TrainListener> listeners) {
        return run(o, s, given, objective, listeners, java.util.Map.of(), ProcessGroup.single(), null);
    }

    /** {@code follow}: on a rank other than 0, rank 0's checkpoint schedule (this rank consolidates there), or null. */
    private static Outcome run(TrainOptions o, Setup s, DataSplit given, Objective objective,
                               List<TrainListener> listeners, java.util.Map<String, Path> inputs,
                               ProcessGroup processes, CheckpointEvery follow) {
        NonFinitePolicy onNonFinite = NonFinitePolicy.parse(o.onNan);
        CheckpointEvery every = follow != null ? follow : checkpointEvery(o);
        if (o.resume != null && o.load != null) {
            throw new UserInputException("--resume and --load cannot be combined: a checkpoint holds the parameters; "
                    + "drop --load");
        }
        Checkpoint resume = o.resume == null ? null : CheckpointStore.resolve(o.resume);
        checkFiles(o, given == null, resume, inputs); // every output path, before anything is read at length
        DataSplit data = given != null ? given
                : loadData(o, s);
        EarlyStopping early = o.earlyStop > 0 ? earlyStopping(o, data) : null;
        Objective goal = objective != null ? objective : Objectives.forSchema(data.schema());
        Trainer trainer = new Trainer(plan(o, s, data));
        trainer.epochCount(data.train()); // a step count the run cannot count fails here, before any output
        Trainer.Position start = resume == null ? Trainer.Position.START
                : RunCheckpoints.startFrom(resume, o, s, data, trainer);
        MemoryPlan memory = MemoryPlan.of(o, s, data); // builds the model: a misfit to the data fails here
        log.debug("{}", memory);
        CheckpointWriter writer = openWriter(o, resume, start); // the first output: everything above is checked
        try {
            createParents("--save", o.save);
            createParents("--metrics", o.metrics);
            List<TrainListener> all = new ArrayList<>(listeners);
            if (early != null) {
                all.add(early);
            }
            return train(o, s, data, goal, trainer, resume, start, memory, writer, every, onNonFinite, all, processes);
        } finally {
            if (writer != null) {
                writer.close(); // releases the lock of --checkpoint-dir
            }
        }
    }

    private static Outcome train(TrainOptions o, Setup s, DataSplit data, Objective goal, Trainer trainer,
                                 Checkpoint resume, Trainer.Position start, MemoryPlan memory, CheckpointWriter writer,
                                 CheckpointEvery every, NonFinitePolicy onNonFinite, List<TrainListener> listeners,
                                 ProcessGroup processes) {
        long replicaBytes = memory.totalBytes() * s.devices().size();
        String building = "building " + s.devices().size() + " replica" + (s.devices().size() == 1 ? "" : "s")
                + " of " + s.model().describeSpec() + " with --batch " + o.batch;
        try (StepRunner runner = MemoryAdvice.guard(building, replicaBytes,
                () -> buildRunner(o, s, data, goal, resume, onNonFinite, BackendFactory.DEFAULT, processes))) {
            if (resume != null) {
                long total = trainer.totalSteps(data.train());
                log.info("resuming from {}: step {} of {}, epoch {}, batch {} of the epoch", resume.dir(),
                        start.step(), total, start.epoch() + 1, start.batchInEpoch());
                reportScheduleHorizon(resume, s, total);
                if (start.step() >= total) {
                    log.info("the checkpoint has already trained the {} steps asked for; raise --epochs or --steps "
                            + "to train longer", total);
                }
            }
            RunCheckpoints checkpoints = writer == null && every == null ? null : new RunCheckpoints(writer, every, o, s, data,
                    trainer.stepsPerEpoch(data.train()), start);
            TrainResult result;
            try (MetricsFileListener metrics = o.metrics == null ? null : resume == null
                    ? new MetricsFileListener(o.metrics, false) : MetricsFileListener.resumedAt(o.metrics, start.step())) {
                List<TrainListener> all = new ArrayList<>(listeners);
                if (metrics != null) {
                    all.add(metrics);
                }
                result = MemoryAdvice.guard("training", -1, () -> trainer.fit(data, runner, all, start, checkpoints));
            } catch (TrainingInterruptedException e) {
                throw checkpoints == null ? e : e.withCheckpoint(checkpoints.lastWritten());
            }
            runner.consolidate();
            Replica r0 = runner.replicas().get(0);
            float[] parameters = r0.getParameters();
            if (o.save != null) {
                ModelFiles.save(o.save, r0.model().layout(), parameters, describe(o, s, data));
            }
            return new Outcome(result, parameters);
        }
    }

    /**
     * Declares every file of the run to {@link OutputPaths} and checks them together before any output is opened: an
     * output may not be an input ({@code --load}, the {@code --data} file or directory when {@code readsData}, the
     * {@code --resume} checkpoint, {@code inputs}), must be a writable regular file or a new name, and a fresh run
     * refuses to replace a non-empty {@code --metrics} file unless {@code --overwrite-metrics}.
     */
    static void checkFiles(TrainOptions o, boolean readsData, Checkpoint resume, java.util.Map<String, Path> inputs) {
        OutputPaths paths = OutputPaths.create();
        inputs.forEach(paths::inputFile);
        paths.inputFile("--load", o.load);
        if (readsData) {
            DataSpec data = DataSpec.parse(o.data);
            if (data.isFile()) {
                paths.inputFile("--data", data.path());
            } else if (data.path() != null) {
                paths.inputTree("--data", data.path());
            }
        }
        if (resume != null) {
            paths.inputTree("--resume", resume.dir());
        }
        paths.outputFile("--save", o.save);
        if (resume != null) {
            paths.appendFile("--metrics", o.metrics);
        } else {
            paths.outputFile("--metrics", o.metrics);
        }
        paths.outputDir("--checkpoint-dir", o.checkpointDir);
        paths.check();
        if (resume == null && o.metrics != null && !o.overwriteMetrics && sizeOf(o.metrics) > 0) {
            throw new UserInputException("--metrics " + o.metrics + " already holds " + sizeOf(o.metrics) + " bytes of "
                    + "records; a fresh run would replace them: choose another file, continue that run with --resume, "
                    + "or add --overwrite-metrics to replace it");
        }
    }

    private static long sizeOf(Path file) {
        try {
            return java.nio.file.Files.isRegularFile(file) ? java.nio.file.Files.size(file) : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /**
     * Creates the missing parent directories of an output file ({@code runs/} of {@code --save runs/x.safetensors}),
     * once the run's inputs are checked, so a refused run creates nothing.
     */
    private static void createParents(String option, Path file) {
        Path parent = file == null ? null : file.toAbsolutePath().getParent();
        if (parent == null || java.nio.file.Files.isDirectory(parent)) {
            return;
        }
        try {
            java.nio.file.Files.createDirectories(parent);
        } catch (java.io.IOException e) {
            throw new UserInputException(option + " " + file + ": cannot create the directory " + parent + ": " + e, e);
        }
    }

    /**
     * A cosine schedule depends on the run's total steps: a resumed run with more (or fewer) steps than the run that
     * wrote the checkpoint continues on the new curve. Says so in one line, with both totals.
     */
    private static void reportScheduleHorizon(Checkpoint resume, Setup s, long total) {
        if (s.schedule().kind() != LrSchedule.Kind.COSINE) {
            return;
        }
        var m = resume.manifest();
        long planned = plannedSteps(m.config(), m.progress().stepsPerEpoch());
        if (planned > 0 && planned != total) {
            log.info("--schedule {}: resuming changes the schedule's horizon from {} to {} total steps; from step {} on "
                    + "the learning rate follows the cosine over {} steps", s.schedule(), planned, total,
                    m.progress().step(), total);
        }
    }

    /** The total steps the run recorded in a checkpoint's config asked for, or 0 if it does not say. */
    static long plannedSteps(java.util.Map<String, Object> config, long stepsPerEpoch) {
        long steps = config.get("steps") instanceof Number n ? n.longValue() : 0;
        long epochs = config.get("epochs") instanceof Number n ? n.longValue() : 0;
        return steps > 0 ? steps : epochs * stepsPerEpoch;
    }

    private static CheckpointEvery checkpointEvery(TrainOptions o) {
        if (o.checkpointDir == null) {
            if (o.checkpointEvery != null) {
                throw new UserInputException("--checkpoint-every " + o.checkpointEvery + " needs --checkpoint-dir DIR "
                        + "(where to write the checkpoints)");
            }
            return null;
        }
        return o.checkpointEvery == null ? CheckpointEvery.EPOCH : CheckpointEvery.parse(o.checkpointEvery);
    }

    /**
     * The writer of {@code --checkpoint-dir}, or null. A fresh run refuses a directory that already holds
     * checkpoints (they would be mixed with, and pruned in favour of, the new run's); a run resumed from that same
     * directory sets aside the checkpoints newer than the one it resumed from.
     */
    private static CheckpointWriter openWriter(TrainOptions o, Checkpoint resume, Trainer.Position start) {
        if (o.checkpointDir == null) {
            return null;
        }
        List<Path> existing = CheckpointStore.list(o.checkpointDir); // read-only: refuse before taking the lock
        boolean sameRoot = resume != null && resume.dir().toAbsolutePath().normalize().getParent()
                .equals(o.checkpointDir.toAbsolutePath().normalize());
        if (!sameRoot && !existing.isEmpty()) {
            throw new UserInputException("--checkpoint-dir " + o.checkpointDir + " already holds checkpoints of "
                    + "another run (newest: " + existing.get(0).getFileName() + "); continue that run with --resume "
                    + o.checkpointDir + ", or choose another directory");
        }
        CheckpointWriter writer = new CheckpointWriter(o.checkpointDir, o.keepCheckpoints);
        try {
            if (sameRoot) {
                writer.supersedeAfter(start.step());
            } else if (!writer.existing().isEmpty()) { // appeared meanwhile
                throw new UserInputException("--checkpoint-dir " + o.checkpointDir + " now holds checkpoints of "
                        + "another run; choose another directory");
            }
        } catch (RuntimeException e) {
            writer.close();
            throw e;
        }
        return writer;
    }

    /** The training plan of the options, for data {@code data}. */
    public static Trainer.Plan plan(TrainOptions o, Setup s, DataSplit data) {
        if (data.train().order() == dev.quadrant.trainer.data.Samples.Order.RANDOM && o.steps <= 0) {
            throw new UserInputException("--data " + o.data + " draws training windows at random positions, so "
                    + "epochs do not apply: give --steps N (e.g. --steps 2000)");
        }
        Augmentation augment = Augmentation.parse(o.augment);
        augment.check(data.schema().input());
        return new Trainer.Plan(o.epochs, o.steps, o.batch, o.gradAccum, o.lr, s.schedule(), o.seed, o.evalEvery,
                o.evalBatches, augment);
    }

    /** The early stopping of {@code --early-stop}, checked against the data before anything trains. */
    private static EarlyStopping earlyStopping(TrainOptions o, DataSplit data) {
        EarlyStopping e = new EarlyStopping(o.earlyStopMetric, o.earlyStop, 0);
        boolean ownValidation = data.train().order() == dev.quadrant.trainer.data.Samples.Order.RANDOM; // a text
        if (data.validation() == null && !ownValidation) {
            throw new UserInputException("--early-stop " + o.earlyStop + " watches " + o.earlyStopMetric + " of a "
                    + "validation set, and --data " + o.data + " has none: hold one out with --val-fraction F (e.g. "
                    + "0.1; the test set is never used for stopping)");
        }
        return e;
    }

    /** The metadata of a {@code --save} file: the model spec, the data schema and (for text) the vocabulary. */
    static java.util.Map<String, String> describe(TrainOptions o, Setup s, DataSplit data) {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("format", "quadrant-model");
        m.put("model", s.model().describeSpec());
        m.put("activation", o.activation);
        m.put("data", o.data);               // so that eval and sample need only --load (SavedRun)
        if (o.data.startsWith("csv:")) {
            m.put("csv-label-column", Integer.toString(o.csvLabelColumn));
            m.put("csv-test-fraction", Double.toString(o.csvTestFraction));
        }
        if (o.data.startsWith("synthetic")) {
            m.put("seed", Long.toString(o.seed)); // synthetic data is drawn from the seed
        }
        m.put("input", data.schema().input().toString());
        m.put("target", data.schema().target().toString());
        if (data.schema().input().dtype() == dev.quadrant.device.DType.FLOAT32) {
            m.put("features", Integer.toString(data.schema().input().size()));
        }
        if (data.schema().target().categories() > 0) {
            m.put("classes", Integer.toString(data.schema().target().categories()));
        }
        if (data.vocabulary() != null) {
            m.put("vocabulary", data.vocabulary().chars());
        }
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
