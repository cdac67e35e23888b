package dev.quadrant.trainer.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quadrant.device.Device;
import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.checkpoint.Checkpoint;
import dev.quadrant.trainer.checkpoint.CheckpointEvery;
import dev.quadrant.trainer.checkpoint.CheckpointFormatException;
import dev.quadrant.trainer.checkpoint.CheckpointManifest;
import dev.quadrant.trainer.checkpoint.CheckpointWriter;
import dev.quadrant.trainer.data.Augmentation;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.optim.Optimizer;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;

/**
 * The checkpoints of one run: when to write them ({@code --checkpoint-every}, and at the end), what goes in the
 * manifest, and the checks that a checkpoint fits the run that resumes from it. Used by {@link Training}; called on
 * the driver thread. Not thread-safe. Without a writer (a rank other than 0 of a job of several processes) it only
 * consolidates the replicas where rank 0 writes, since for the asynchronous strategies that is a collective.
 */
final class RunCheckpoints implements Trainer.Checkpoints {
    private static final Logger log = LoggerFactory.getLogger(RunCheckpoints.class);

    private final CheckpointWriter writer;
    private final CheckpointEvery every;
    private final TrainOptions options;
    private final Training.Setup setup;
    private final DataSplit data;
    private final long stepsPerEpoch;
    private long lastSaved;
    private Path lastWritten; // null until the first checkpoint of this run

    RunCheckpoints(CheckpointWriter writer, CheckpointEvery every, TrainOptions options, Training.Setup setup,
                   DataSplit data, long stepsPerEpoch, Trainer.Position start) {
        this.writer = writer;
        this.every = every;
        this.options = options;
        this.setup = setup;
        this.data = data;
        this.stepsPerEpoch = stepsPerEpoch;
        this.lastSaved = start.step();
    }

    @Override
    public void after(StepRunner runner, Trainer.Position next, boolean epochEnd) {
        // a step count that falls on an epoch's end is saved there, after the evaluation
        if (every.dueAfterStep(next.step()) || epochEnd && every.dueAfterEpoch(next.epoch() - 1)) {
            save(runner, next);
        }
    }

    @Override
    public void atEnd(StepRunner runner, Trainer.Position end) {
        if (end.step() > lastSaved) {
            save(runner, end);
        }
    }

    /** The checkpoint this run wrote last, or null if none yet. */
    Path lastWritten() { return lastWritten; }

    private void save(StepRunner runner, Trainer.Position at) {
        long t0 = System.nanoTime();
        runner.consolidate();
        runner.readChecks();   // folds skipped updates into the optimizer's count before it is saved
        if (writer == null) {  // a rank other than 0 of a job: it consolidates where rank 0 writes, nothing more
            lastSaved = at.step();
            return;
        }
        Replica r0 = runner.replicas().get(0);
        Optimizer opt = runner.checkpointOptimizer();
        CheckpointManifest m = manifest(options, setup, data, runner, at, stepsPerEpoch, opt.steps());
        Path dir = writer.write(m, r0.model().layout(), r0.getParameters(), opt.downloadState(),
                Training.describe(options, setup, data));
        lastSaved = at.step();
        lastWritten = dir;
        log.info("checkpoint written: {} ({} ms)", dir, (System.nanoTime() - t0) / 1_000_000);
    }

    /** The manifest of the state at {@code at} (files not yet filled in). */
    static CheckpointManifest manifest(TrainOptions o, Training.Setup s, DataSplit data, StepRunner runner,
                                       Trainer.Position at, long stepsPerEpoch, int optimizerSteps) {
        Map<String, Object> config = new LinkedHashMap<>(TrainConfig.toMap(o));
        config.put("resume", null); // a resumed run names its checkpoint itself
        config.put("load", null);   // the checkpoint holds the parameters
        Replica r0 = runner.replicas().get(0);
        return new CheckpointManifest(CheckpointManifest.VERSION,
                new CheckpointManifest.Progress(at.step(), at.epoch(), at.batchInEpoch(), stepsPerEpoch,
                        optimizerSteps, runner.skippedSteps()),
                new CheckpointManifest.Model(s.model().describeSpec(), activation(s), o.dropout,
                        data.schema().input().toString(), data.schema().target().toString(),
                        data.vocabulary() == null ? null : data.vocabulary().chars(),
                        r0.model().layout().totalSize()),
                new CheckpointManifest.Run(s.optimizer().kind().toString(), o.batch, o.seed, o.data,
                        Math.toIntExact(data.train().size()), runner.name(), runner.replicaCount(),
                        devices(runner)),
                config, Map.of());
    }

    private static String activation(Training.Setup s) {
        return s.activation().name().toLowerCase(Locale.ROOT);
    }

    /** {@code cpu:N} for N CPU replicas (as {@code --devices} writes it), else the devices one by one. */
    private static String devices(StepRunner runner) {
        if (runner.replicas().stream().allMatch(r -> r.backend().device().isCpu())) {
            return "cpu:" + runner.replicas().size();
        }
        return runner.replicas().stream().map(r -> r.backend().device()).map(Device::toString)
                .collect(Collectors.joining(","));
    }

    /**
     * Checks that checkpoint {@code c} can continue the run {@code o} describes, and returns where it continues.
     *
     * @throws UserInputException naming the checkpoint, the option, the checkpoint's value and the run's
     */
    static Trainer.Position startFrom(Checkpoint c, TrainOptions o, Training.Setup s, DataSplit data, Trainer trainer) {
        CheckpointManifest m = c.manifest();
        String checkpoint = "--resume " + c.dir();
        String where = checkpoint + ": ";
        for (String key : m.config().keySet()) {
            if (!TrainConfig.keys().contains(key)) {
                throw new UserInputException(where + "the manifest's config records an unknown option "
                        + dev.quadrant.trainer.io.Messages.quote(key) + " (not an option of this version: written by "
                        + "another version, or edited?); valid keys: " + String.join(", ", TrainConfig.keys()));
            }
        }
        mustMatch(where, "--model", m.model().spec(), s.model().describeSpec());
        mustMatch(where, "--activation", m.model().activation(), activation(s));
        mustMatch(where, "--dropout", Float.toString(m.model().dropout()), Float.toString(o.dropout));
        mustMatch(where, "--optimizer", m.run().optimizer(), s.optimizer().kind().toString());
        mustMatch(where, "--batch", Integer.toString(m.run().batch()), Integer.toString(o.batch));
        mustMatch(where, "--seed", Long.toString(m.run().seed()), Long.toString(o.seed));
        Object augment = m.config().get("augment"); // absent from checkpoints written before --augment: none
        mustMatch(where, "--augment", augment == null ? "none" : Augmentation.parse(augment.toString()).toString(),
                Augmentation.parse(o.augment).toString());
        ModelFiles.checkInput(checkpoint, m.model().input(), data.schema().input());
        // the input checked above may be recorded in its flat form (checkpoints written before images kept their shape)
        String shape = data.train().size() + " training samples of " + data.schema().target();
        String theirs = m.run().trainSamples() + " training samples of " + m.model().target();
        if (!shape.equals(theirs)) {
            throw new UserInputException(where + "the checkpoint was trained on " + m.run().trainSamples()
                    + " training samples of " + m.model().input() + " -> " + m.model().target() + " (--data "
                    + m.run().data() + "), but --data " + o.data + " has " + data.train().size()
                    + " training samples of " + data.schema()
                    + "; resume with the same data or start a new run without --resume");
        }
        if (!m.run().data().equals(o.data)) {
            log.warn("resuming a run trained on --data {} with --data {} (same size and shape)", m.run().data(), o.data);
        }
        String vocab = data.vocabulary() == null ? null : data.vocabulary().chars();
        if (!java.util.Objects.equals(vocab, m.model().vocabulary())) {
            throw new UserInputException(where + "the checkpoint's vocabulary (" + describeVocab(m.model().vocabulary())
                    + ") differs from that of --data " + o.data + " (" + describeVocab(vocab) + "); resume with the "
                    + "same text");
        }
        if (data.train().order() == dev.quadrant.trainer.data.Samples.Order.RANDOM) {
            // step-based: the whole run is one "epoch" of --steps steps, which a resumed run may raise
            CheckpointManifest.Progress p = m.progress();
            return new Trainer.Position(p.step(), 0, Math.toIntExact(p.step()));
        }
        long perEpoch = trainer.stepsPerEpoch(data.train());
        CheckpointManifest.Progress p = m.progress();
        if (p.stepsPerEpoch() != perEpoch || p.step() != p.epoch() * perEpoch + p.batchInEpoch()) {
            throw new CheckpointFormatException(where + "progress step " + p.step() + ", epoch " + p.epoch()
                    + ", batch " + p.batchInEpoch() + " of " + p.stepsPerEpoch() + " per epoch does not add up (this"
                    + " run has " + perEpoch + " steps per epoch)");
        }
        return new Trainer.Position(p.step(), p.epoch(), p.batchInEpoch());
    }

    private static String describeVocab(String chars) {
        return chars == null ? "none" : chars.codePointCount(0, chars.length()) + " characters";
    }

    private static void mustMatch(String where, String option, String checkpoint, String run) {
        if (!checkpoint.equals(run)) {
            throw new UserInputException(where + "the checkpoint was written with " + option + " " + checkpoint
                    + ", this run has " + option + " " + run + "; resume with " + option + " " + checkpoint
                    + " or start a new run without --resume");
        }
    }
}
