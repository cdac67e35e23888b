package dev.quadrant.examples.bench;

import dev.quadrant.device.UserInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/**
 * The command-line flags of {@link GptBenchmark}; see {@link #USAGE}. The optimizer settings are fixed to those of the
 * reference command (AdamW, lr 1e-3, betas 0.9,0.99, weight decay 0.1, cosine schedule with 100 warm-up steps down to
 * 1e-4, clip norm 1, seed 1337); the model shape, batch, steps and threads are flags. Mutable while parsing only.
 */
final class GptBenchOptions {
    static final String SCRIPT = "bench/torch/gpt_char.py";
    static final String USAGE = String.join("\n",
            "usage: GptBenchmark [flags]",
            "  --steps K          optimizer steps per run, both implementations (default 200)",
            "  --repeats R        interleaved runs of each implementation; tokens/s is the median (default 3)",
            "  --threads N        CPU threads of each run (default 2)",
            "  --device D         cpu (default) or cuda:N: Quadrant trains on --devices D, PyTorch on --device cuda:N",
            "  --layers L --heads H --dim D --ctx T --batch B   model and batch (default 4 4 128 64 12)",
            "  --eval-batches N   PyTorch's validation loss: N batches of B evenly spaced windows, 0 = the whole split",
            "                     in windows of ctx (default 0)",
            "  --data FILE        text file (default ../shared/datasets/tinyshakespeare/input.txt from the repository)",
            "  --python EXE       interpreter with PyTorch (default /usr/bin/python3)",
            "  --script FILE      the PyTorch reference (default " + SCRIPT + " in the repository)",
            "  --omp-wait-policy P  OMP_WAIT_POLICY of the PyTorch child: PASSIVE (default; the OpenMP threads sleep",
            "                     while idle, as Quadrant's do) or ACTIVE, or inherit (leave the environment as it is).",
            "                     On a loaded shared host the spinning default was 5-15x slower per step here",
            "  --cuda-graphs M    Quadrant's --cuda-graphs: off, on, or both (a row each, interleaved); default both on",
            "                     cuda:N, off on the CPU (where there is nothing to replay)",
            "  --precision P      Quadrant's GEMM precision on a GPU: fp32 (default), tf32 or bf16 (PyTorch stays fp32)",
            "  --torch-only       run only the PyTorch reference (while Quadrant has no GPT model)",
            "  --help             this text");

    int steps = 200;
    int repeats = 3;
    int threads = 2;
    String device = "cpu";
    int layers = 4;
    int heads = 4;
    int dim = 128;
    int ctx = 64;
    int batch = 12;
    int evalBatches = 0;
    Path data;
    String python = "/usr/bin/python3";
    Path script;
    String ompWaitPolicy = "PASSIVE";
    boolean torchOnly;
    boolean help;
    String cudaGraphs;   // null: both on a GPU, off on the CPU
    String precision = "fp32";

    static GptBenchOptions parse(String[] args) {
        GptBenchOptions o = new GptBenchOptions();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            switch (flag) {
                case "--help", "-h" -> o.help = true;
                case "--torch-only" -> o.torchOnly = true;
                case "--cuda-graphs" -> {
                    o.cudaGraphs = value(args, ++i, flag);
                    if (!List.of("off", "on", "both").contains(o.cudaGraphs)) {
                        throw new UserInputException("flag --cuda-graphs: '" + o.cudaGraphs + "'; expected off, on or both");
                    }
                }
                case "--precision" -> o.precision = value(args, ++i, flag);
                case "--steps" -> o.steps = positive(flag, value(args, ++i, flag));
                case "--repeats" -> o.repeats = positive(flag, value(args, ++i, flag));
                case "--threads" -> o.threads = positive(flag, value(args, ++i, flag));
                case "--device" -> {
                    o.device = value(args, ++i, flag);
                    if (!o.device.equals("cpu") && !o.device.matches("cuda:[0-9]+")) {
                        throw new UserInputException("flag --device: '" + o.device + "'; expected cpu or cuda:N");
                    }
                }
                case "--layers" -> o.layers = positive(flag, value(args, ++i, flag));
                case "--heads" -> o.heads = positive(flag, value(args, ++i, flag));
                case "--dim" -> o.dim = positive(flag, value(args, ++i, flag));
                case "--ctx" -> o.ctx = positive(flag, value(args, ++i, flag));
                case "--batch" -> o.batch = positive(flag, value(args, ++i, flag));
                case "--eval-batches" -> o.evalBatches = nonNegative(flag, value(args, ++i, flag));
                case "--data" -> o.data = Paths.get(value(args, ++i, flag));
                case "--python" -> o.python = value(args, ++i, flag);
                case "--script" -> o.script = Paths.get(value(args, ++i, flag));
                case "--omp-wait-policy" -> {
                    o.ompWaitPolicy = value(args, ++i, flag);
                    if (!List.of("PASSIVE", "ACTIVE", "inherit").contains(o.ompWaitPolicy)) {
                        throw new UserInputException("flag --omp-wait-policy: '" + o.ompWaitPolicy
                                + "'; expected PASSIVE, ACTIVE or inherit");
                    }
                }
                default -> throw new UserInputException("unknown flag '" + flag + "'; expected one of --steps, "
                        + "--repeats, --threads, --device, --layers, --heads, --dim, --ctx, --batch, --eval-batches, --data, "
                        + "--python, --script, --omp-wait-policy, --cuda-graphs, --precision, --torch-only, --help");
            }
        }
        if (o.dim % o.heads != 0) {
            throw new UserInputException("--dim " + o.dim + " is not a multiple of --heads " + o.heads);
        }
        if (o.cudaGraphs == null) {
            o.cudaGraphs = o.device.equals("cpu") ? "off" : "both";
        } else if (o.device.equals("cpu") && !o.cudaGraphs.equals("off")) {
            throw new UserInputException("flag --cuda-graphs " + o.cudaGraphs + " needs --device cuda:N");
        }
        if (!o.help) {
            o.resolvePaths();
        }
        return o;
    }

    /** Quadrant's {@code --cuda-graphs} modes to run, one table row each. */
    List<String> graphModes() {
        return cudaGraphs.equals("both") ? List.of("off", "on") : List.of(cudaGraphs);
    }

    /** The model spec of {@code quadrant train --model}. */
    String modelSpec() {
        return "gpt:layers=" + layers + ",heads=" + heads + ",dim=" + dim + ",ctx=" + ctx + ",dropout=0";
    }

    /**
     * Finds the script and the data from the repository root: the first directory holding {@link #SCRIPT} at or above
     * the working directory, else at or above this class's jar or class folder.
     */
    private void resolvePaths() {
        Path root = repositoryRoot(SCRIPT);
        if (script == null) {
            if (root == null) {
                throw new UserInputException("cannot find " + SCRIPT + " above " + Paths.get("").toAbsolutePath()
                        + " nor above this program's jar; run from the Quadrant repository or pass --script FILE");
            }
            script = root.resolve(SCRIPT);
        }
        if (data == null) {
            Path base = root != null ? root : Paths.get("").toAbsolutePath();
            data = base.resolve("../shared/datasets/tinyshakespeare/input.txt").normalize();
        }
        if (!Files.isRegularFile(script)) {
            throw new UserInputException("--script " + script + ": no such file");
        }
        if (!Files.isRegularFile(data)) {
            throw new UserInputException("--data " + data + ": no such file; pass a text file, e.g. tinyshakespeare's "
                    + "input.txt");
        }
    }

    /**
     * The repository root: the first directory holding {@code script} at or above the working directory, else at or
     * above this class's jar or class folder; null if there is none.
     */
    static Path repositoryRoot(String script) {
        Path root = repositoryAbove(Paths.get("").toAbsolutePath(), script);
        if (root == null) {
            try {
                root = repositoryAbove(Paths.get(GptBenchOptions.class.getProtectionDomain().getCodeSource()
                        .getLocation().toURI()), script);
            } catch (java.net.URISyntaxException | RuntimeException e) {
                root = null; // no code source on the file system: only the working directory counts
            }
        }
        return root;
    }

    private static Path repositoryAbove(Path start, String script) {
        for (Path d = start; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(script))) {
                return d;
            }
        }
        return null;
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new UserInputException("flag " + flag + " needs a value");
        }
        return args[i];
    }

    private static int positive(String flag, String text) {
        int v = nonNegative(flag, text);
        if (v < 1) {
            throw new UserInputException("flag " + flag + ": " + text + " must be at least 1");
        }
        return v;
    }

    private static int nonNegative(String flag, String text) {
        int v;
        try {
            v = Integer.parseInt(text.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UserInputException("flag " + flag + ": '" + text + "' is not a whole number");
        }
        if (v < 0) {
            throw new UserInputException("flag " + flag + ": " + text + " must not be negative");
        }
        return v;
    }
}
