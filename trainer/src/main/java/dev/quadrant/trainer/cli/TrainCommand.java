package dev.quadrant.trainer.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Training;
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

    @Mixin
    TrainOptions options = new TrainOptions();

    @Option(names = "--config", paramLabel = "FILE", description = "read options from a YAML (or .json) file, keys as the option names (epochs: 3); the command line wins")
    Path config;

    @Option(names = "--print-config", arity = "0..1", fallbackValue = "yaml", paramLabel = "yaml|json",
            description = "print the effective options (loadable with --config) and exit")
    String printConfig;

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
        List<TrainListener> listeners = new ArrayList<>();
        listeners.add(ProgressDisplay.create(out));
        try (MetricsFileListener metrics = options.metrics == null ? null
                : new MetricsFileListener(options.metrics, options.resume != null)) {
            if (metrics != null) {
                listeners.add(metrics);
            }
            TrainResult r = Training.run(options, listeners);
            String saved = (options.save != null ? "; saved " + options.save : "")
                    + (options.checkpointDir != null ? "; checkpoints in " + options.checkpointDir : "");
            if (r.epochs().isEmpty()) {
                out.printf(Locale.ROOT, "done: nothing to train: the checkpoint is at step %d, the end of this run; "
                        + "raise --epochs or --steps to train longer%s%n", r.steps(), saved);
            } else {
                EpochMetrics last = r.last();
                String result = last.eval().containsKey("val_loss")
                        ? String.format(Locale.ROOT, "val_loss %.4f (%.4f bits per character)", last.valLoss(),
                                last.number("val_bpc"))
                        : last.eval().containsKey("test_accuracy")
                        ? String.format(Locale.ROOT, "test accuracy %.4f, test loss %.4f", last.testAccuracy(),
                                last.testLoss())
                        : String.format(Locale.ROOT, "test loss %.4f", last.testLoss());
                out.printf(Locale.ROOT, "done: %d steps in %.1f s of training; %s%s%n", r.steps(), r.seconds(), result,
                        saved);
            }
            out.flush();
        }
        return 0;
    }
}
