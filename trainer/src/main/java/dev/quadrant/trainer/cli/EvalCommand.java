package dev.quadrant.trainer.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code quadrant eval}: loads saved parameters and reports test loss and accuracy. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate saved parameters on the test split of a data set.", "",
                "Example: quadrant eval --data idx:../shared/datasets/mnist --model mlp:256 --load model.safetensors"})
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--load", required = true, paramLabel = "FILE", description = "safetensors file written by quadrant train --save")
    Path load;

    @Option(names = "--data", paramLabel = "SPEC", description = "synthetic[:FEATURESxCLASSESxSAMPLES] | idx:DIR | csv:FILE (default: ${DEFAULT-VALUE})")
    String data = "synthetic";

    @Option(names = "--model", paramLabel = "mlp:H1-H2-...", description = "the model the file was trained with (default: ${DEFAULT-VALUE})")
    String model = "mlp:512-256";

    @Option(names = "--activation", paramLabel = "NAME", description = "relu | gelu | tanh (default: ${DEFAULT-VALUE})")
    String activation = "relu";

    @Option(names = "--batch", paramLabel = "N", description = "evaluation batch (default: ${DEFAULT-VALUE})")
    int batch = 1024;

    @Option(names = "--seed", paramLabel = "N", description = "seed of synthetic data (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--devices", paramLabel = "SPEC", description = "auto | cpu | cuda:0 (default: ${DEFAULT-VALUE}; only the first device is used)")
    String devices = "auto";

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all cores)")
    int threads = 0;

    @Mixin
    VerboseOption verbose = new VerboseOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        TrainOptions o = new TrainOptions();
        o.data = data;
        o.model = model;
        o.activation = activation;
        o.batch = batch;
        o.seed = seed;
        o.devices = devices.startsWith("cpu") ? "cpu:1" : devices;
        o.threads = threads;
        o.load = load;
        Training.Setup s = Training.setup(o);
        s = new Training.Setup(s.model(), s.activation(), s.init(), s.optimizer(), s.schedule(), s.devices().subList(0, 1),
                s.precision());
        DataSplit split = Training.loadData(o);
        try (StepRunner runner = Training.buildRunner(o, s, split)) {
            Replica r = runner.replicas().get(0);
            long t0 = System.nanoTime();
            double[] e = Trainer.evaluate(r, split.test());
            int n = split.test().size();
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "%s on %s: %d test samples, test_loss %.4f, test_accuracy %.4f (%.2f s)%n",
                    load, split.test().name(), n, e[0] / n, e[1] / n, (System.nanoTime() - t0) / 1e9);
            out.flush();
        }
        return 0;
    }
}
