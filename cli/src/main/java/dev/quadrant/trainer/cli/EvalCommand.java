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
import dev.quadrant.trainer.train.SavedRun;
import dev.quadrant.trainer.train.Training;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code quadrant eval}: loads saved parameters and reports the objective's metrics on the evaluation split: test
 * loss and accuracy for a classifier, validation loss and bits per character for a language model. The model spec,
 * activation and data default to those the file or checkpoint records ({@link SavedRun}).
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate saved parameters on the test (or validation) split of a data set.", "",
                "Example: quadrant eval --load model.safetensors   (the data and model the file records)",
                "         quadrant eval --load runs/mnist            (the newest checkpoint of a run)",
                "         quadrant eval --data text:input.txt --load gpt.safetensors"})
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--load", required = true, paramLabel = "FILE|DIR", description = "a safetensors file written by quadrant train --save, a checkpoint (its directory or its model.safetensors), or a directory of checkpoints (the newest valid one)")
    Path load;

    @Option(names = "--data", paramLabel = "SPEC", description = "synthetic[:FEATURESxCLASSESxSAMPLES] | idx:DIR | csv:FILE | text:FILE | tokens:FILE (default: the data the file or checkpoint records)")
    String data;

    @Option(names = "--model", paramLabel = "SPEC", description = "the model the file was trained with (default: the one the file records)")
    String model;

    @Option(names = "--activation", paramLabel = "NAME", description = "relu | gelu | tanh (default: the one the file records, else relu)")
    String activation;

    @Option(names = "--eval-batches", paramLabel = "N", description = "text data: N batches of --batch evenly spaced windows; 0 = the whole validation text once (default: ${DEFAULT-VALUE})")
    int evalBatches = 0;

    @Option(names = "--batch", paramLabel = "N", description = "evaluation batch (default: ${DEFAULT-VALUE})")
    int batch = 256;

    @Option(names = "--seed", paramLabel = "N", description = "seed of synthetic data (default: the one the file records, else 1)")
    Long seed;

    @Mixin
    OneDeviceOptions device = new OneDeviceOptions();

    @Mixin
    VerboseOption verbose = new VerboseOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        TrainOptions o = new TrainOptions();
        o.batch = batch;
        o.evalBatches = evalBatches;
        o.devices = device.oneDevice();      // checks the whole --devices text first
        o.threads = device.threads;
        dev.quadrant.trainer.train.OptionChecks.check(o); // every numeric option, before any file is read
        SavedRun run = SavedRun.open(load);
        Path file = run.modelFile();
        o.data = run.requireData(data);
        java.util.Map<String, String> meta = ModelFiles.metadata(file);
        o.model = run.choose("model", model, o.model);
        o.activation = run.choose("activation", activation, "relu");
        o.csvLabelColumn = Integer.parseInt(run.choose("csv-label-column", null, Integer.toString(o.csvLabelColumn)));
        o.csvTestFraction = Double.parseDouble(run.choose("csv-test-fraction", null,
                Double.toString(o.csvTestFraction)));
        o.seed = seed != null ? seed : Long.parseLong(run.choose("seed", null, "1"));
        o.load = file;
        Training.Setup s = Training.setup(o);
        s = new Training.Setup(s.model(), s.activation(), s.init(), s.optimizer(), s.schedule(), s.devices().subList(0, 1),
                s.precision());
        DataSplit split = Training.loadData(o, s);
        ModelFiles.checkVocabulary(file, meta, split);
        ModelFiles.checkInput(file.toString(), meta.get("input"), split.schema().input());
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
            out.printf(Locale.ROOT, "%s on %s: %d samples%s (%.2f s)%n", file, split.test().name(), ids.length,
                    metrics, (System.nanoTime() - t0) / 1e9);
            out.flush();
        }
        return 0;
    }
}
