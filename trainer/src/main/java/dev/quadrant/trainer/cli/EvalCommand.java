package dev.quadrant.trainer.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.ModelFiles;
import dev.quadrant.trainer.train.Training;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code quadrant eval}: loads saved parameters and reports the objective's metrics on the evaluation split: test
 * loss and accuracy for a classifier, validation loss and bits per character for a language model. The model spec
 * and activation default to those the file records.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate saved parameters on the test (or validation) split of a data set.", "",
                "Example: quadrant eval --data idx:../shared/datasets/mnist --load model.safetensors",
                "         quadrant eval --data text:input.txt --load gpt.safetensors"})
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--load", required = true, paramLabel = "FILE", description = "safetensors file written by quadrant train --save")
    Path load;

    @Option(names = "--data", paramLabel = "SPEC", description = "synthetic[:FEATURESxCLASSESxSAMPLES] | idx:DIR | csv:FILE | text:FILE | tokens:FILE (default: ${DEFAULT-VALUE})")
    String data = "synthetic";

    @Option(names = "--model", paramLabel = "SPEC", description = "the model the file was trained with (default: the one the file records)")
    String model;

    @Option(names = "--activation", paramLabel = "NAME", description = "relu | gelu | tanh (default: the one the file records, else relu)")
    String activation;

    @Option(names = "--eval-batches", paramLabel = "N", description = "text data: N batches of --batch evenly spaced windows; 0 = the whole validation text once (default: ${DEFAULT-VALUE})")
    int evalBatches = 0;

    @Option(names = "--batch", paramLabel = "N", description = "evaluation batch (default: ${DEFAULT-VALUE})")
    int batch = 256;

    @Option(names = "--seed", paramLabel = "N", description = "seed of synthetic data (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Mixin
    OneDeviceOptions device = new OneDeviceOptions();

    @Mixin
    VerboseOption verbose = new VerboseOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        TrainOptions o = new TrainOptions();
        o.data = data;
        o.batch = batch;
        o.evalBatches = evalBatches;
        o.seed = seed;
        o.devices = device.oneDevice();      // checks the whole --devices text first
        o.threads = device.threads;
        o.load = load;
        dev.quadrant.trainer.train.OptionChecks.check(o); // every numeric option, before the file is read
        java.util.Map<String, String> meta = ModelFiles.metadata(load);
        o.model = model != null ? model : meta.getOrDefault("model", o.model);
        o.activation = activation != null ? activation : meta.getOrDefault("activation", "relu");
        Training.Setup s = Training.setup(o);
        s = new Training.Setup(s.model(), s.activation(), s.init(), s.optimizer(), s.schedule(), s.devices().subList(0, 1),
                s.precision());
        DataSplit split = Training.loadData(o, s);
        ModelFiles.checkVocabulary(load, meta, split);
        ModelFiles.checkInput(load.toString(), meta.get("input"), split.schema().input());
        try (StepRunner runner = Training.buildRunner(o, s, split)) {
            Replica r = runner.replicas().get(0);
            long t0 = System.nanoTime();
            long[] ids = split.test().evaluationIds(evalBatches, batch);
            double[] e = r.evaluate(split.test(), ids);
            StringBuilder metrics = new StringBuilder();
            for (var m : r.objective().metrics(e[0], e[1], (long) e[2], ids.length).entrySet()) {
                metrics.append(", ").append(m.getKey()).append(' ')
                        .append(String.format(Locale.ROOT, "%.4f", ((Number) m.getValue()).doubleValue()));
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "%s on %s: %d samples%s (%.2f s)%n", load, split.test().name(), ids.length,
                    metrics, (System.nanoTime() - t0) / 1e9);
            out.flush();
        }
        return 0;
    }
}
