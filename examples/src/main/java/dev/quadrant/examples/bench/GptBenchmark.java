package dev.quadrant.examples.bench;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.cli.TrainArgs;
import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Training;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Quadrant's character-level GPT against a PyTorch reference of the same configuration on the same machine, in the
 * same run: nanoGPT's CPU configuration by default,
 *
 * <pre>
 * quadrant train --data text:FILE --model gpt:layers=4,heads=4,dim=128,ctx=64,dropout=0 --batch 12 --steps K
 *     --optimizer adamw --lr 1e-3 --betas 0.9,0.99 --weight-decay 0.1 --schedule cosine:100:1e-4 --clip-norm 1
 *     --seed 1337 --threads 2 --devices cpu:1
 * </pre>
 *
 * and {@code bench/torch/gpt_char.py} with the same flags, alternating the two (which one goes first alternates too)
 * for {@code --repeats} runs each. Prints tokens/s (median; training time only, evaluation excluded), the ratio
 * quadrant/pytorch, milliseconds per step and the final losses of the last run. The validation losses are each
 * implementation's own estimate (PyTorch: by default every target of the last 10% of the text once, in windows of
 * ctx; {@code --eval-batches N}: N x B evenly spaced windows).
 *
 * <pre>
 * mvn -q -B -o -DskipTests package
 * bin/quadrant-example GptBenchmark --steps 200 --repeats 3
 * bin/quadrant-example GptBenchmark --torch-only      # the PyTorch half alone
 * </pre>
 *
 * <p>The PyTorch child runs with {@code OMP_WAIT_POLICY=PASSIVE} unless {@code --omp-wait-policy} says otherwise: with
 * OpenMP's spinning default, a step on a loaded shared host was 5-15x slower (interleaved 20-30-step runs), which
 * would flatter Quadrant, whose idle threads sleep.
 *
 * <p>Exit status 2 when a flag is wrong, PyTorch is missing (the message says how to install it) or Quadrant does not
 * accept the GPT options yet. Single-threaded apart from the trainer's own threads and the child process.
 */
public final class GptBenchmark {

    private GptBenchmark() {}

    /** One implementation's run: training throughput, time per step, final losses. */
    private record Run(double tokensPerSecond, double secondsPerStep, double trainLoss, double valLoss) {}

    public static void main(String[] args) throws InterruptedException {
        GptBenchOptions o;
        try {
            o = GptBenchOptions.parse(args);
        } catch (UserInputException e) {
            System.err.println(e.getMessage());
            System.err.println(GptBenchOptions.USAGE);
            System.exit(2);
            return;
        }
        if (o.help) {
            System.out.println(GptBenchOptions.USAGE);
            return;
        }
        TorchReference torch = new TorchReference(o);
        String torchVersion;
        List<TrainOptions> quadrant = new ArrayList<>();   // one per --cuda-graphs mode
        try {
            torchVersion = torch.version();
            if (!o.torchOnly) {
                for (String mode : o.graphModes()) {
                    quadrant.add(quadrantOptions(o, mode));
                }
            }
        } catch (UserInputException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }

        List<Run> torchRuns = new ArrayList<>();
        List<List<Run>> quadrantRuns = new ArrayList<>();
        quadrant.forEach(q -> quadrantRuns.add(new ArrayList<>()));
        String blas = "?";
        long params = 0;
        for (int r = 0; r < o.repeats; r++) {
            boolean torchFirst = r % 2 == 0;
            if (!torchFirst) {
                for (int q = 0; q < quadrant.size(); q++) {
                    quadrantRuns.get(q).add(runQuadrant(quadrant.get(q), o));
                }
            }
            TorchReference.Run t = torch.train();
            torchRuns.add(new Run(t.tokensPerSecond(), t.secondsPerStep(), t.trainLoss(), t.valLoss()));
            blas = t.blas();
            params = t.params();
            if (torchFirst) {
                for (int q = 0; q < quadrant.size(); q++) {
                    quadrantRuns.get(q).add(runQuadrant(quadrant.get(q), o));
                }
            }
        }

        System.out.printf(Locale.ROOT, "GPT %s (%,d parameters), %s, batch %d, %d steps, AdamW lr 1e-3 betas 0.9,0.99 "
                        + "wd 0.1, cosine 100 warm-up to 1e-4, clip 1, seed 1337, %d threads; PyTorch %s (BLAS %s); "
                        + "OMP_WAIT_POLICY %s; medians of %d interleaved runs%n", o.modelSpec(), params, o.data,
                o.batch, o.steps, o.threads, torchVersion, blas, ompWaitPolicy(o), o.repeats);
        if (blas.contains("/blas/libblas")) {
            System.out.println("warning: PyTorch ran on the netlib reference BLAS (~25x slower GEMMs): the ratio "
                    + "flatters Quadrant; apt-get install libopenblas0-openmp and rerun");
        }
        System.out.println("| implementation | tokens/s | quadrant/pytorch | ms/step | final train loss | final val loss |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        double reference = median(torchRuns, Run::tokensPerSecond);
        row("pytorch", torchRuns, reference);
        if (quadrant.isEmpty()) {
            System.out.println("| quadrant | not run (--torch-only) | | | | |");
        }
        for (int q = 0; q < quadrant.size(); q++) {
            String mode = o.graphModes().get(q);
            row(o.device.equals("cpu") ? "quadrant" : "quadrant " + o.precision + (mode.equals("on") ? ", cuda graphs"
                    : ", eager"), quadrantRuns.get(q), reference);
        }
    }

    private static String ompWaitPolicy(GptBenchOptions o) {
        if (!"inherit".equals(o.ompWaitPolicy)) {
            return o.ompWaitPolicy;
        }
        String env = System.getenv("OMP_WAIT_POLICY");
        return env == null ? "unset" : env + " (inherited)";
    }

    /** The {@code quadrant train} flags of the benchmark's configuration. */
    static List<String> quadrantArgs(GptBenchOptions o) {
        return quadrantArgs(o, o.graphModes().get(0));
    }

    /** As above, with {@code --cuda-graphs graphs}. */
    static List<String> quadrantArgs(GptBenchOptions o, String graphs) {
        List<String> a = new ArrayList<>(List.of("--data", "text:" + o.data, "--model", o.modelSpec(), "--batch",
                Integer.toString(o.batch), "--steps", Integer.toString(o.steps), "--optimizer", "adamw", "--lr", "1e-3",
                "--betas", "0.9,0.99", "--weight-decay", "0.1", "--schedule", "cosine:100:1e-4", "--clip-norm", "1",
                "--seed", "1337", "--threads", Integer.toString(o.threads), "--devices",
                o.device.equals("cpu") ? "cpu:1" : o.device));
        if (!o.device.equals("cpu")) {
            a.addAll(List.of("--cuda-graphs", graphs, "--precision", o.precision));
        }
        return a;
    }

    /**
     * The options parsed as {@code quadrant train} parses them ({@link TrainArgs}), so that this class names no field that may not
     * exist yet (e.g. {@code --betas}); fails with a {@link UserInputException} when Quadrant does not accept a flag.
     */
    static TrainOptions quadrantOptions(GptBenchOptions o) {
        return quadrantOptions(o, o.graphModes().get(0));
    }

    /** As above, with {@code --cuda-graphs graphs}. */
    static TrainOptions quadrantOptions(GptBenchOptions o, String graphs) {
        List<String> args = quadrantArgs(o, graphs);
        try {
            return TrainArgs.parse(args);
        } catch (UserInputException e) {
            throw new UserInputException("Quadrant does not accept the GPT configuration: " + e.getMessage());
        }
    }

    private static Run runQuadrant(TrainOptions t, GptBenchOptions o) {
        double[] seconds = {0};
        TrainResult r = Training.run(t, List.of(new TrainListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
                seconds[0] += m.seconds();
            }
        }));
        EpochMetrics last = r.last();
        double tokens = (double) r.steps() * o.batch * o.ctx;
        return new Run(tokens / seconds[0], seconds[0] / r.steps(), last.trainLoss(), last.testLoss());
    }

    private static void row(String name, List<Run> runs, double reference) {
        double tps = median(runs, Run::tokensPerSecond);
        Run last = runs.get(runs.size() - 1);
        System.out.printf(Locale.ROOT, "| %s | %.0f | %.2f | %.1f | %.4f | %.4f |%n", name, tps, tps / reference,
                1e3 * median(runs, Run::secondsPerStep), last.trainLoss(), last.valLoss());
    }

    private static double median(List<Run> runs, ToDoubleFunction<Run> f) {
        double[] s = runs.stream().mapToDouble(f).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }
}
