package dev.quadrant.trainer.cli;

import java.io.PrintWriter;
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

/** {@code quadrant train}: trains a model and reports per-epoch metrics. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model.", "",
                "Example: quadrant train --data idx:../shared/datasets/mnist --model mlp:256 --epochs 3 --batch 128 --optimizer adam --lr 1e-3"})
public final class TrainCommand implements Callable<Integer> {

    @Mixin
    TrainOptions options = new TrainOptions();

    @Mixin
    VerboseOption verbose = new VerboseOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<TrainListener> listeners = new ArrayList<>();
        listeners.add(ProgressDisplay.create(out));
        try (MetricsFileListener metrics = options.metrics == null ? null : new MetricsFileListener(options.metrics)) {
            if (metrics != null) {
                listeners.add(metrics);
            }
            TrainResult r = Training.run(options, listeners);
            EpochMetrics last = r.last();
            out.printf(Locale.ROOT, "done: %d steps in %.1f s of training; test accuracy %.4f, test loss %.4f%s%n",
                    r.steps(), r.seconds(), last.testAccuracy(), last.testLoss(),
                    options.save != null ? "; saved " + options.save : "");
        }
        return 0;
    }
}
