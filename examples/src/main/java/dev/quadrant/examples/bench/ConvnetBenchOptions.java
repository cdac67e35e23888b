package dev.quadrant.examples.bench;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.nn.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The command-line flags of {@link ConvnetBenchmark}; see {@link #USAGE}. The optimizer is fixed (Adam, lr 1e-3,
 * betas 0.9,0.999), the data too (random [28, 28, 1] images, 10 classes); models, batch, steps and threads are flags.
 * Mutable while parsing only.
 */
final class ConvnetBenchOptions {
    static final String SCRIPT = "bench/torch/convnet.py";
    static final String USAGE = String.join("\n",
            "usage: ConvnetBenchmark [flags]",
            "  --models LIST      ';'-separated --model specs, each lenet or resnet[:...] (default lenet;resnet)",
            "                     (';' because resnet specs hold commas: --models 'lenet;resnet:norm=none,blocks=2')",
            "  --steps K          timed training steps per run, both implementations (default 50)",
            "  --warmup W         untimed steps before them, at least 1 (default 20: Quadrant's first steps run",
            "                     in the interpreter; after 2 warm-up steps a LeNet step took ~10x longer)",
            "  --repeats R        interleaved runs of each implementation; images/s is the median (default 3)",
            "  --batch B          images per step (default 128)",
            "  --threads N        CPU threads of each run (default 2)",
            "  --device D         cpu (default) or cuda:N: Quadrant trains on --devices D, PyTorch on --device cuda:N",
            "  --python EXE       interpreter with PyTorch (default /usr/bin/python3)",
            "  --script FILE      the PyTorch reference (default " + SCRIPT + " in the repository)",
            "  --omp-wait-policy P  OMP_WAIT_POLICY of the PyTorch child: PASSIVE (default), ACTIVE or inherit",
            "                     (see GptBenchmark: spinning OpenMP threads are much slower on a loaded shared host)",
            "  --torch-only       run only the PyTorch reference",
            "  --help             this text");

    List<String> models = List.of("lenet", "resnet");
    int steps = 50;
    int warmup = 20;
    int repeats = 3;
    int batch = 128;
    int threads = 2;
    String device = "cpu";
    String python = "/usr/bin/python3";
    Path script;
    String ompWaitPolicy = "PASSIVE";
    boolean torchOnly;
    boolean help;

    static ConvnetBenchOptions parse(String[] args) {
        ConvnetBenchOptions o = new ConvnetBenchOptions();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            switch (flag) {
                case "--help", "-h" -> o.help = true;
                case "--torch-only" -> o.torchOnly = true;
                case "--models" -> o.models = models(value(args, ++i, flag));
                case "--steps" -> o.steps = positive(flag, value(args, ++i, flag));
                case "--warmup" -> o.warmup = positive(flag, value(args, ++i, flag));
                case "--repeats" -> o.repeats = positive(flag, value(args, ++i, flag));
                case "--batch" -> o.batch = positive(flag, value(args, ++i, flag));
                case "--threads" -> o.threads = positive(flag, value(args, ++i, flag));
                case "--device" -> {
                    o.device = value(args, ++i, flag);
                    if (!o.device.equals("cpu") && !o.device.matches("cuda:[0-9]+")) {
                        throw new UserInputException("flag --device: '" + o.device + "'; expected cpu or cuda:N");
                    }
                }
                case "--python" -> o.python = value(args, ++i, flag);
                case "--script" -> o.script = Paths.get(value(args, ++i, flag));
                case "--omp-wait-policy" -> {
                    o.ompWaitPolicy = value(args, ++i, flag);
                    if (!List.of("PASSIVE", "ACTIVE", "inherit").contains(o.ompWaitPolicy)) {
                        throw new UserInputException("flag --omp-wait-policy: '" + o.ompWaitPolicy
                                + "'; expected PASSIVE, ACTIVE or inherit");
                    }
                }
                default -> throw new UserInputException("unknown flag '" + flag + "'; expected one of --models, "
                        + "--steps, --warmup, --repeats, --batch, --threads, --device, --python, --script, "
                        + "--omp-wait-policy, --torch-only, --help");
            }
        }
        if (!o.help) {
            o.resolveScript();
        }
        return o;
    }

    /** The {@code --devices} of the Quadrant run: one replica on the CPU or on GPU N. */
    String quadrantDevices() {
        return device.equals("cpu") ? "cpu:1" : device;
    }

    /** Each spec parsed by Quadrant (so a typo fails before any run) and limited to the kinds the script has. */
    private static List<String> models(String text) {
        List<String> out = new ArrayList<>();
        for (String part : text.split(";")) {
            String m = part.trim();
            if (!(m.equals("lenet") || m.equals("resnet") || m.startsWith("resnet:"))) {
                throw new UserInputException("flag --models: '" + m + "' is not lenet or resnet[:...] (the models "
                        + SCRIPT + " has); separate specs with ';'");
            }
            ModelSpec.parse(m);   // throws with the spec's own message
            out.add(m);
        }
        return List.copyOf(out);
    }

    private void resolveScript() {
        if (script == null) {
            Path root = GptBenchOptions.repositoryRoot(SCRIPT);
            if (root == null) {
                throw new UserInputException("cannot find " + SCRIPT + " above " + Paths.get("").toAbsolutePath()
                        + " nor above this program's jar; run from the Quadrant repository or pass --script FILE");
            }
            script = root.resolve(SCRIPT);
        }
        if (!Files.isRegularFile(script)) {
            throw new UserInputException("--script " + script + ": no such file");
        }
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new UserInputException("flag " + flag + " needs a value");
        }
        return args[i];
    }

    private static int positive(String flag, String text) {
        int v;
        try {
            v = Integer.parseInt(text.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UserInputException("flag " + flag + ": '" + text + "' is not a whole number");
        }
        if (v < 1) {
            throw new UserInputException("flag " + flag + ": " + text + " must be at least 1");
        }
        return v;
    }
}
