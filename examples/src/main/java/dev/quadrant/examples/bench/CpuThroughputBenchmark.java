package dev.quadrant.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.cli.TrainArgs;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.data.Field;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * CPU training throughput of Quadrant against PyTorch on the same machine, in the same run, with the physical bound
 * of each step: issue 12's benchmark. Workloads (each Quadrant's {@code quadrant train} flags beside the PyTorch
 * reference of the same configuration):
 * <ul>
 *   <li>{@code w1}: MLP 784-1024-1024-10, ReLU, SGD momentum 0.9, lr 0.01, batch 256, fp32 ({@code bench/torch/mlp.py});
 *   <li>{@code w2}: the same at batch 64;
 *   <li>{@code gpt}: the character GPT of nanoGPT's CPU configuration (4 layers, 4 heads, dim 128, ctx 64, batch 12,
 *       AdamW, clip 1) on Tiny Shakespeare ({@code bench/torch/gpt_char.py});
 *   <li>{@code lenet}, {@code resnet}: the convnets at batch 128, Adam 1e-3, on random [28, 28, 1] images
 *       ({@code bench/torch/convnet.py}).
 * </ul>
 * Per workload and round, Quadrant and PyTorch alternate (who goes first alternates too); the table gives medians over
 * the rounds. Both implementations run {@code warmup} untimed steps and then {@code steps} timed ones; Quadrant's time
 * is its trainer's training time (gathering and uploading each batch included, evaluation excluded).
 *
 * <p>The bound ({@link StepBound}): one step after the warm-up is recorded; its GEMMs replayed alone (same shapes,
 * same backend and thread budget) plus the bytes its other ops must move at least, at the copy bandwidth measured
 * at the start ({@code step/bound} is how far the step is from it; the goal is 1.15). The {@code first/later} column
 * is the time per step of the warm-up window against the timed ones (the goal: within 1.5).
 *
 * <p>{@code --breakdown} adds, per workload, the last round's timed steps split by backend method: milliseconds per
 * step, share of the step, calls, and the bytes the recorded step's calls moved at least over their time (against
 * the copy bandwidth: a memory-bound op far below it has work to do). Timing every call costs a proxy call each.
 *
 * <p>{@code --busy-core C} is the load test: after the unloaded rounds, the same rounds again with a busy loop
 * ({@code sh -c 'while :; do :; done'}, pinned to core C by {@code taskset} where present) running beside them; a
 * second table gives each implementation's loaded figure against its own unloaded one.
 *
 * <pre>
 * mvn -q -B -o -DskipTests package
 * bin/quadrant-example CpuThroughputBenchmark                       # all workloads, 3 rounds
 * bin/quadrant-example CpuThroughputBenchmark --workloads w1,w2 --rounds 5 --busy-core 1
 * </pre>
 *
 * <p>PyTorch comes from {@code --python} (default {@code /usr/bin/python3}, Debian's {@code python3-torch}); when it
 * cannot import torch the benchmark says so and runs Quadrant alone (ratios left empty). Exit status 2 on a bad flag.
 */
@Command(name = "CpuThroughputBenchmark", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Quadrant against PyTorch on CPU training steps, with each step's physical bound.")
public final class CpuThroughputBenchmark implements Callable<Integer> {
    @Option(names = "--workloads", split = ",", paramLabel = "LIST",
            description = "w1, w2, gpt, lenet, resnet (default: ${DEFAULT-VALUE})")
    List<String> workloads = List.of("w1", "w2", "gpt", "lenet", "resnet");

    @Option(names = "--rounds", paramLabel = "R", description = "interleaved rounds; medians (default: ${DEFAULT-VALUE})")
    int rounds = 3;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads of both (default: ${DEFAULT-VALUE})")
    int threads = 2;

    @Option(names = "--devices", paramLabel = "SPEC",
            description = "Quadrant's --devices (default: ${DEFAULT-VALUE}, what a user gets)")
    String devices = "auto";

    @Option(names = "--scale", paramLabel = "X",
            description = "multiply every workload's warm-up and timed steps (default: ${DEFAULT-VALUE})")
    double scale = 1;

    @Option(names = "--busy-core", paramLabel = "C", description = "also run with a busy loop pinned to core C")
    Integer busyCore;

    @Option(names = "--no-torch", description = "Quadrant only")
    boolean noTorch;

    @Option(names = "--python", paramLabel = "EXE", description = "interpreter with PyTorch (default: ${DEFAULT-VALUE})")
    String python = "/usr/bin/python3";

    @Option(names = "--omp-wait-policy", paramLabel = "P",
            description = "OMP_WAIT_POLICY of the PyTorch child: PASSIVE (idle threads sleep, as Quadrant's do), "
                    + "ACTIVE, or inherit (default: ${DEFAULT-VALUE})")
    String ompWaitPolicy = "PASSIVE";

    @Option(names = "--breakdown", description = "also print where each workload's step goes: per backend method, "
            + "ms per step, share and GB/s (the last round's timed steps)")
    boolean breakdown;

    @Option(names = "--text", paramLabel = "FILE",
            description = "the gpt workload's text (default: Tiny Shakespeare in ../shared/datasets)")
    Path text;

    /** One workload: its Quadrant flags, data (null: from --data), PyTorch command and units per step. */
    private record Workload(String name, String describe, List<String> quadrant, Supplier<DataSplit> data,
                            List<String> torch, String torchKey, String unit, long unitsPerStep, int warmup,
                            int steps) {}

    /** One measured Quadrant run. */
    private record Measured(double unitsPerSecond, double secondsPerStep, double firstOverLater,
                            StepBound.Price price, List<StepBound.Share> breakdown) {}

    /** Medians of the rounds of one workload. */
    private record Row(Workload w, double quadrant, double torch, double msPerStep, double boundMs, double gemmMs,
                       double memoryMs, double firstOverLater, String failure, List<StepBound.Share> breakdown) {}

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line of the benchmark: a {@link UserInputException} ends it with its message and exit code 2. */
    static CommandLine commandLine() {
        return new CommandLine(new CpuThroughputBenchmark()).setExecutionExceptionHandler((e, cl, parsed) -> {
            if (e instanceof UserInputException) {   // a missing text file, a bad workload: one line, no trace
                cl.getErr().println("CpuThroughputBenchmark: " + e.getMessage());
                return 2;
            }
            throw e;
        });
    }

    @Override
    public Integer call() throws Exception {
        String torchVersion = null;
        if (!noTorch) {
            try {
                torchVersion = TorchReference.version(python);
            } catch (UserInputException e) {
                System.out.println("PyTorch: not available, Quadrant alone (" + e.getMessage() + ")");
            }
        }
        List<Workload> ws = new ArrayList<>();
        for (String name : workloads) {
            ws.add(workload(name.trim()));
        }
        double bandwidth = StepBound.copyBandwidth(threads);
        System.out.printf(Locale.ROOT, "CPU throughput, %d threads, Quadrant --devices %s (GEMMs on %s), PyTorch %s "
                        + "(OMP_WAIT_POLICY %s), %d cores, copy bandwidth %.1f GB/s (read + write, %d threads), "
                        + "medians of %d interleaved rounds%n", threads, devices, dev.quadrant.device.cpu.CpuBlas.choose(),
                torchVersion == null ? "absent" : torchVersion, ompWaitPolicy,
                Runtime.getRuntime().availableProcessors(), bandwidth / 1e9, threads, rounds);
        Map<String, Row> quiet = measure(ws, torchVersion != null, bandwidth);
        print(quiet.values());
        if (breakdown) {
            printBreakdown(quiet.values(), bandwidth);
        }
        if (busyCore == null) {
            return quiet.values().stream().anyMatch(r -> r.failure() != null) ? 1 : 0;
        }
        Process busy = startBusy(busyCore);
        Map<String, Row> loaded;
        try {
            loaded = measure(ws, torchVersion != null, bandwidth);
        } finally {
            busy.destroyForcibly();
        }
        System.out.printf(Locale.ROOT, "%nUnder load (a busy loop on core %d%s): each implementation against its own "
                + "unloaded figure above (goal for Quadrant: >= about 0.5)%n", busyCore,
                hasTaskset() ? ", pinned by taskset" : ", not pinned: taskset absent");
        System.out.println("| workload | quadrant loaded/s | loaded/unloaded | pytorch loaded/s | loaded/unloaded "
                + "| quadrant/pytorch loaded |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        for (Row l : loaded.values()) {
            Row q = quiet.get(l.w().name());
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.2f | %s | %s | %s |%n", l.w().name(), l.quadrant(),
                    l.quadrant() / q.quadrant(), num(l.torch(), "%.0f"), num(l.torch() / q.torch(), "%.2f"),
                    num(l.quadrant() / l.torch(), "%.2f"));
        }
        return 0;
    }

    private Map<String, Row> measure(List<Workload> ws, boolean torch, double bandwidth) throws Exception {
        Map<String, Row> rows = new LinkedHashMap<>();
        for (Workload w : ws) {
            List<Measured> q = new ArrayList<>();
            List<Double> t = new ArrayList<>();
            String failure = null;
            for (int r = 0; r < rounds; r++) {
                boolean torchFirst = r % 2 == 0;
                if (torch && torchFirst) {
                    t.add(runTorch(w));
                }
                if (failure == null) {
                    try {
                        q.add(runQuadrant(w, bandwidth));
                    } catch (RuntimeException e) {
                        System.err.println("Quadrant failed on " + w.name() + ":");
                        e.printStackTrace();
                        failure = e.getClass().getSimpleName() + ": " + e.getMessage();
                    }
                }
                if (torch && !torchFirst) {
                    t.add(runTorch(w));
                }
            }
            double torchMedian = t.isEmpty() ? Double.NaN : median(t);
            if (failure != null) {
                rows.put(w.name(), new Row(w, Double.NaN, torchMedian, 0, 0, 0, 0, 0, failure, List.of()));
                continue;
            }
            rows.put(w.name(), new Row(w, median(q.stream().map(Measured::unitsPerSecond).toList()), torchMedian,
                    1e3 * median(q.stream().map(Measured::secondsPerStep).toList()),
                    1e3 * median(q.stream().map(m -> m.price().boundSeconds()).toList()),
                    1e3 * median(q.stream().map(m -> m.price().gemmSeconds()).toList()),
                    1e3 * median(q.stream().map(m -> m.price().memorySeconds()).toList()),
                    median(q.stream().map(Measured::firstOverLater).toList()), null, q.get(q.size() - 1).breakdown()));
        }
        return rows;
    }

    private static void print(Iterable<Row> rows) {
        System.out.println("| workload | quadrant | pytorch | quadrant/pytorch | quadrant ms/step | bound ms "
                + "(GEMMs alone + other bytes at copy speed) | step/bound | first/later |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (Row r : rows) {
            if (r.failure() != null) {
                System.out.printf(Locale.ROOT, "| %s | failed: %s | %s | | | | | |%n", r.w().name(), r.failure(),
                        num(r.torch(), "%.0f"));
                continue;
            }
            System.out.printf(Locale.ROOT, "| %s (%s/s) | %.0f | %s | %s | %.2f | %.2f (%.2f + %.2f) | %.2f | %.2f |%n",
                    r.w().name(), r.w().unit(), r.quadrant(), num(r.torch(), "%.0f"),
                    num(r.quadrant() / r.torch(), "%.2f"), r.msPerStep(), r.boundMs(), r.gemmMs(), r.memoryMs(),
                    r.msPerStep() / r.boundMs(), r.firstOverLater());
        }
        for (Row r : rows) {
            System.out.println("  " + r.w().name() + ": " + r.w().describe() + "; quadrant train "
                    + String.join(" ", withoutFlags(r.w().quadrant(), List.of("--threads", "--devices", "--steps")))
                    + " (" + r.w().warmup() + " + " + r.w().steps() + " steps)");
        }
    }

    private static void printBreakdown(Iterable<Row> rows, double bandwidth) {
        for (Row r : rows) {
            if (r.failure() != null) {
                continue;
            }
            double total = r.breakdown().stream().mapToDouble(StepBound.Share::secondsPerStep).sum();
            System.out.printf(Locale.ROOT, "%n%s: where a step goes (%.2f ms in backend calls of %.2f ms per step; "
                    + "GB/s: least bytes moved over the time, copy bandwidth %.1f)%n", r.w().name(), 1e3 * total,
                    r.msPerStep(), bandwidth / 1e9);
            System.out.println("| backend method | calls/step | ms/step | share of step | GB/s |");
            System.out.println("| --- | ---: | ---: | ---: | ---: |");
            for (StepBound.Share s : r.breakdown()) {
                System.out.printf(Locale.ROOT, "| %s | %.1f | %.3f | %.1f%% | %s |%n", s.method(), s.callsPerStep(),
                        1e3 * s.secondsPerStep(), 100 * 1e3 * s.secondsPerStep() / r.msPerStep(),
                        s.bytesPerStep() == 0 ? "" : String.format(Locale.ROOT, "%.1f",
                                s.bytesPerStep() / s.secondsPerStep() / 1e9));
            }
        }
    }

    private static String num(double v, String format) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, format, v);
    }

    private Workload workload(String name) {
        String t = Integer.toString(threads);
        return switch (name) {
            case "w1", "w2" -> {
                int batch = name.equals("w1") ? 256 : 64;
                int warmup = scaled(name.equals("w1") ? 30 : 60);
                int steps = scaled(name.equals("w1") ? 200 : 600);
                yield new Workload(name, "MLP 784-1024-1024-10, ReLU, SGD momentum 0.9, lr 0.01, batch " + batch,
                        List.of("--data", "synthetic:784x10x16384", "--model", "mlp:1024-1024", "--batch",
                                Integer.toString(batch), "--optimizer", "momentum", "--momentum", "0.9", "--lr",
                                "0.01", "--seed", "1"), null,
                        List.of(python, script("bench/torch/mlp.py").toString(), "--batch", Integer.toString(batch),
                                "--warmup", Integer.toString(warmup), "--steps", Integer.toString(steps),
                                "--threads", t),
                        "samples_per_second", "samples", batch, warmup, steps);
            }
            case "gpt" -> {
                GptBenchOptions g = gptOptions(scaled(20) + scaled(60));
                yield new Workload(name, "GPT " + g.modelSpec() + ", batch 12, AdamW, clip 1, Tiny Shakespeare",
                        GptBenchmark.quadrantArgs(g), null, null, "tokens_per_second", "tokens",
                        (long) g.batch * g.ctx, scaled(20), scaled(60));
            }
            case "lenet", "resnet" -> {
                int warmup = scaled(20);
                int steps = scaled(name.equals("lenet") ? 60 : 30);
                ConvnetBenchOptions c = ConvnetBenchOptions.parse(new String[] {"--models", name, "--steps",
                        Integer.toString(steps), "--warmup", Integer.toString(warmup), "--threads", t});
                int images = c.batch * Math.min(warmup + steps, 64);
                yield new Workload(name, name + ", batch " + c.batch + ", Adam lr 1e-3, random [28, 28, 1] images",
                        List.of("--model", name, "--batch", Integer.toString(c.batch), "--optimizer", "adam",
                                "--lr", "1e-3", "--seed", "1"),
                        () -> new DataSplit(ConvnetBenchmark.randomImages("random/train", Field.floats("image",
                                ConvnetBenchmark.IMAGE), Field.ints("label", ConvnetBenchmark.CLASSES), images, 1),
                                ConvnetBenchmark.randomImages("random/test", Field.floats("image",
                                        ConvnetBenchmark.IMAGE), Field.ints("label", ConvnetBenchmark.CLASSES),
                                        c.batch, 2)),
                        ConvnetBenchmark.torchArgs(name, c), "images_per_second", "images", c.batch, warmup, steps);
            }
            default -> throw new CommandLine.ParameterException(new CommandLine(this),
                    "--workloads: '" + name + "'; expected w1, w2, gpt, lenet or resnet");
        };
    }

    private int scaled(int steps) {
        return Math.max(1, (int) Math.round(steps * scale));
    }

    private GptBenchOptions gptOptions(int totalSteps) {
        List<String> a = new ArrayList<>(List.of("--steps", Integer.toString(totalSteps), "--threads",
                Integer.toString(threads), "--python", python, "--eval-batches", "1", "--omp-wait-policy",
                ompWaitPolicy));
        if (text != null) {
            a.addAll(List.of("--data", text.toString()));
        }
        return GptBenchOptions.parse(a.toArray(String[]::new));
    }

    private static Path script(String relative) {
        return GptBenchOptions.repositoryRoot(relative).resolve(relative);
    }

    private double runTorch(Workload w) throws InterruptedException {
        if (w.name().equals("gpt")) {
            return new TorchReference(gptOptions(w.warmup() + w.steps())).train(w.warmup()).tokensPerSecond();
        }
        JsonNode j = TorchReference.runForJson(w.torch(), "inherit".equals(ompWaitPolicy) ? null : ompWaitPolicy);
        return j.get(w.torchKey()).asDouble();
    }

    /**
     * One Quadrant run of {@code w}: {@code warmup} steps ending with an (untimed) evaluation, then {@code steps}
     * timed ones (evaluated every {@code warmup} steps, untimed); step {@code warmup + 1} is recorded for the bound.
     */
    private Measured runQuadrant(Workload w, double bandwidth) throws InterruptedException {
        List<String> args = withoutFlags(w.quadrant(), List.of("--threads", "--devices", "--steps"));
        args.addAll(List.of("--threads", Integer.toString(threads), "--devices", devices,
                "--steps", Integer.toString(w.warmup() + w.steps()), "--eval-every", Integer.toString(w.warmup()),
                "--eval-batches", "1"));
        TrainOptions o = TrainArgs.parse(args);
        Training.Setup s = Training.setup(o);
        DataSplit data = w.data() != null ? w.data().get() : Training.loadData(o, s);
        StepBound bound = new StepBound(w.warmup() + 1L);
        double[] seconds = {0, 0}; // warm-up window, timed windows
        long[] timed = {0};
        TrainListener timer = new TrainListener() {
            private long last;

            @Override
            public void onEpoch(EpochMetrics m) {
                if (m.step() <= w.warmup()) {
                    seconds[0] += m.seconds();
                } else {
                    seconds[1] += m.seconds();
                    timed[0] += m.step() - Math.max(last, w.warmup());
                }
                last = m.step();
            }
        };
        try (StepRunner runner = bound.marking(Training.buildRunner(o, s, data,
                bound.wrap(Training.BackendFactory.DEFAULT)))) {
            new Trainer(Training.plan(o, s, data)).fit(data, runner, List.of(timer));
        }
        int replicas = s.devices().size();
        StepBound.Price price = bound.price(Training.BackendFactory.DEFAULT,
                Math.max(1, o.effectiveThreads() / replicas), s.precision(), bandwidth, 10);
        double perStep = seconds[1] / timed[0];
        return new Measured(w.unitsPerStep() / perStep, perStep, seconds[0] / w.warmup() / perStep, price,
                bound.breakdown());
    }

    /** {@code args} without the given flags and their values (this benchmark sets them). */
    private static List<String> withoutFlags(List<String> args, List<String> flags) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            if (flags.contains(args.get(i))) {
                i++;   // and its value
            } else {
                out.add(args.get(i));
            }
        }
        return out;
    }

    private static double median(List<Double> xs) {
        double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }

    private static boolean hasTaskset() {
        return Files.isExecutable(Path.of("/usr/bin/taskset"));
    }

    private static Process startBusy(int core) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (hasTaskset()) {
            cmd.addAll(List.of("/usr/bin/taskset", "-c", Integer.toString(core)));
        }
        cmd.addAll(List.of("sh", "-c", "while :; do :; done"));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }
}
