package dev.quadrant.trainer.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.io.MetricsPlot;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code quadrant plot}: learning curves of one or more metrics files ({@code train --metrics}) in one PNG, drawn by
 * {@link MetricsPlot}: train and test loss on the left, test accuracy on the right, one colour per file.
 */
@Command(name = "plot", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw the learning curves of metrics files (written by train --metrics) into a PNG.", "",
                "Example: quadrant plot --metrics runs/allreduce.jsonl runs/hogwild.jsonl --out curves.png"})
public final class PlotCommand implements Callable<Integer> {

    @Option(names = "--metrics", required = true, arity = "1..*", paramLabel = "FILE",
            description = "metrics files (JSON lines), one curve colour each")
    List<Path> metrics;

    @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "the PNG to write")
    Path out;

    @Option(names = "--width", paramLabel = "PX", description = "image width (default: ${DEFAULT-VALUE})")
    int width = MetricsPlot.DEFAULT_WIDTH;

    @Option(names = "--height", paramLabel = "PX", description = "image height (default: ${DEFAULT-VALUE})")
    int height = MetricsPlot.DEFAULT_HEIGHT;

    @Mixin
    VerboseOption verbose = new VerboseOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        for (Path m : metrics) {
            if (!Files.isRegularFile(m)) {
                throw new UserInputException("plot: --metrics " + m + ": " + (Files.exists(m) ? "not a file"
                        : "no such file"));
            }
        }
        try {
            MetricsPlot.render(metrics, out, width, height);
        } catch (IOException e) {
            throw new UserInputException("plot: cannot read the metrics or write " + out + ": " + e, e);
        }
        PrintWriter w = spec.commandLine().getOut();
        w.println("wrote " + out + " (" + metrics.size() + " run" + (metrics.size() == 1 ? "" : "s") + ")");
        w.flush();
        return 0;
    }
}
