package dev.quadrant.trainer.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.quadrant.device.cluster.ProcessGroup;
import dev.quadrant.trainer.parallel.Strategies;
import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Training;
import dev.quadrant.trainer.train.TrainingInterruptedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code quadrant train}: trains a model and reports per-epoch metrics. Options may also come from a
 * {@code --config} file and, with {@code --resume}, from the checkpoint's run (see {@link TrainDefaults}).
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model.", "",
                "Example: quadrant train --data idx:../shared/datasets/mnist --model mlp:256 --epochs 3 --batch 128 --optimizer adam --lr 1e-3",
                "Resume: quadrant train --resume runs/ck   (continues the run in runs/ck with its options; add --epochs N to train longer)", ""})
public final class TrainCommand implements Callable<Integer> {

    /** The run's options; {@link Main#commandLine} adds them to this command as a mixin ({@link TrainSettings}). */
    final TrainOptions options = new TrainOptions();

    @Option(names = "--config", order = 100, paramLabel = "FILE", description = "read options from a YAML (or .json) file, keys as the option names (epochs: 3); the command line wins")
    Path config;

    @Option(names = "--print-config", order = 101, arity = "0..1", fallbackValue = "yaml", paramLabel = "yaml|json",
            description = "print the effective options (loadable with --config) and exit")
    String printConfig;

    @Option(names = "--log-every", order = 102, paramLabel = "N", description = "without a terminal, print a progress line every N "
            + "steps (default: every 30 s); on a terminal the progress bar shows it")
    long logEvery;

    @Mixin
    VerboseOption verbose = new VerboseOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (printConfig != null) {
            out.print(ConfigFile.print(options, printConfig));
            out.flush();
            return 0;
        }
        ProcessGroup processes = ProcessGroup.fromEnvironment(Strategies.COLLECTIVE_DEADLINE);
        if (!processes.isSingle()) {
            return callInJob(processes, out);
        }
        List<TrainListener> listeners = new ArrayList<>();
        try (ProgressDisplay display = ProgressDisplay.create(out, logEvery);
             StopOnSignal stop = StopOnSignal.install()) {
            listeners.add(display);
            listeners.add(stop);           // --metrics: Training.run writes it
            TrainResult r;
            try {
                r = Training.run(options, listeners, config == null ? java.util.Map.of() : java.util.Map.of("--config", config));
            } catch (TrainingInterruptedException e) {
                display.close();
                return interrupted(e, stop);
            }
            report(out, r);
        }
        return 0;
    }

    /**
     * One process of a job of several (under {@code mpirun} or {@code srun}): rank 0 shows the progress and the
     * result and writes the outputs; the others train silently. No Ctrl-C handler: a signal ends the processes at
     * once (the launcher forwards it to all), since processes finishing different steps would wait for each other. A
     * failure here ends every process of the job with this process's message (MPI_Abort), so none waits for it.
     */
    private int callInJob(ProcessGroup processes, PrintWriter out) {
        List<TrainListener> listeners = new ArrayList<>();
        ProgressDisplay display = processes.rank() == 0 ? ProgressDisplay.create(out, logEvery) : null;
        TrainResult r;
        try {
            if (display != null) {
                listeners.add(display);
            }
            r = Training.run(options, listeners, config == null ? java.util.Map.of() : java.util.Map.of("--config", config),
                    processes);
        } catch (RuntimeException | Error e) {
            processes.abortJob(String.valueOf(e.getMessage() != null ? e.getMessage() : e));
            throw e;
        } finally {
            if (display != null) {
                display.close();
            }
        }
        processes.close();   // MPI_Finalize, after every process's last collective
        if (processes.rank() == 0) {
            report(out, r);
        }
        return 0;
    }

    /** The lines after Ctrl-C or SIGTERM: where the run stopped, its checkpoint and the command that resumes it. */
    private int interrupted(TrainingInterruptedException e, StopOnSignal stop) {
        PrintWriter err = spec.commandLine().getErr();
        String signal = stop.received() != null ? stop.received() : "a request";
        String where = String.format(Locale.ROOT, "quadrant: stopped by %s after step %d of %d", signal,
                e.position().step(), e.totalSteps());
        if (e.checkpoint() != null) {
            Path root = e.checkpoint().getParent();
            err.println(where + "; checkpoint written: " + e.checkpoint());
            // outputs never come from a checkpoint, so the command names this run's again
            String outputs = (options.metrics != null ? " --metrics " + shellWord(options.metrics.toString()) : "")
                    + (options.save != null ? " --save " + shellWord(options.save.toString()) : "");
            err.println("resume with: quadrant train --resume " + shellWord(root.toString()) + outputs
                    + "   (the checkpoint holds this run's options; add any you change)");
        } else {
            err.println(where + "; nothing saved (no --checkpoint-dir: pass --checkpoint-dir DIR to make a run "
                    + "resumable)");
        }
        err.flush();
        return stop.exitStatus() != 0 ? stop.exitStatus() : 130;
    }

    /** {@code word} as one shell word: unchanged if it needs no quoting, else in single quotes. */
    static String shellWord(String word) {
        return word.matches("[A-Za-z0-9_./:=@%+,-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    private void report(PrintWriter out, TrainResult r) {
        String saved = (options.save != null ? "; saved " + options.save : "")
                + (options.checkpointDir != null ? "; checkpoints in " + options.checkpointDir : "");
        if (r.epochs().isEmpty()) {
            out.printf(Locale.ROOT, "done: nothing to train: the checkpoint is at step %d, the end of this run; "
                    + "raise --epochs or --steps to train longer%s%n", r.steps(), saved);
        } else {
            EpochMetrics last = r.last();
            String result = last.eval().containsKey("val_bpc")
                    ? "val_loss " + Numbers.readable(last.valLoss()) + " (" + Numbers.readable(last.number("val_bpc"))
                            + " bits per character)"
                    : last.eval().containsKey("test_accuracy")
                    ? "test accuracy " + Numbers.readable(last.testAccuracy()) + ", test loss "
                            + Numbers.readable(last.testLoss())
                    : "test loss " + Numbers.readable(last.testLoss());
            if (last.eval().get("val_accuracy") instanceof Number v) {
                result += ", validation accuracy " + Numbers.readable(v.doubleValue());
            }
            out.printf(Locale.ROOT, "done: %d steps in %.1f s of training; %s%s%n", r.steps(), r.seconds(), result,
                    saved);
        }
        out.flush();
    }
}
