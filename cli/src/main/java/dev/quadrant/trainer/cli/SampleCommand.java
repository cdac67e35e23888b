package dev.quadrant.trainer.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Device;
import dev.quadrant.device.cuda.Precision;
import dev.quadrant.trainer.infer.Generator;
import dev.quadrant.trainer.infer.SavedModel;
import dev.quadrant.trainer.train.DeviceSpec;
import dev.quadrant.trainer.train.SavedRun;
import dev.quadrant.trainer.train.Training;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code quadrant sample}: text from a trained character-level language model. */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text from a language model saved by quadrant train --save.", "",
                "Example: quadrant sample --load gpt.safetensors --prompt 'ROMEO:' --tokens 300 --temperature 0.8 "
                        + "--top-k 40 --seed 1"})
public final class SampleCommand implements Callable<Integer> {

    @Option(names = "--load", required = true, paramLabel = "FILE|DIR", description = "a safetensors file written by quadrant train --save, a checkpoint (its directory or its model.safetensors), or a directory of checkpoints (the newest valid one)")
    Path load;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "text to continue (default: a line break)")
    String prompt = "";

    @Option(names = "--tokens", paramLabel = "N", description = "characters to generate (default: ${DEFAULT-VALUE})")
    int tokens = 500;

    @Option(names = "--temperature", paramLabel = "T", description = "softmax temperature; below 1 is more conservative (default: ${DEFAULT-VALUE})")
    double temperature = 1.0;

    @Option(names = "--top-k", paramLabel = "K", description = "draw from the K most likely tokens only; 0 = all (default: ${DEFAULT-VALUE})")
    int topK = 0;

    @Option(names = "--seed", paramLabel = "N", description = "seed of the draws; the same seed gives the same text (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Mixin
    OneDeviceOptions device = new OneDeviceOptions();

    @Mixin
    VerboseOption verbose = new VerboseOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        dev.quadrant.trainer.train.OptionChecks.checkSampling(tokens, temperature, topK); // before the file is read
        Device d = DeviceSpec.parse(device.oneDevice()).get(0);
        int t = device.effectiveThreads();
        try (Backend be = Training.BackendFactory.DEFAULT.create(d, t, Precision.FP32);
             SavedModel m = SavedModel.load(SavedRun.open(load).modelFile(), be, 1)) {
            String text = new Generator(m).generate(prompt, tokens, temperature, topK, seed);
            PrintWriter out = spec.commandLine().getOut();
            out.println(text);
            out.flush();
        }
        return 0;
    }
}
