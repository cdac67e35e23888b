package dev.quadrant.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.data.ArraySamples;
import dev.quadrant.trainer.data.Field;
import dev.quadrant.trainer.nn.ModelSpec;
import dev.quadrant.trainer.optim.OptimizerKind;
import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.Fit;
import dev.quadrant.trainer.train.TrainListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Quadrant's convnets ({@code lenet}, {@code resnet[:...]}) against the PyTorch reference of the same architectures
 * ({@code bench/torch/convnet.py --mode throughput}) on the same machine, in the same run: training steps (forward,
 * cross-entropy, backward, Adam lr 1e-3) of batch 128 on random {@code [28, 28, 1]} images of 10 classes (PyTorch:
 * {@code [128, 1, 28, 28]}), 2 threads, one replica. Per model, the two alternate (which one goes first alternates
 * too) for {@code --repeats} runs each; the table gives images/s of each (median), the ratio quadrant/pytorch of the
 * medians and Quadrant's ms/step.
 *
 * <pre>
 * mvn -q -B -o -DskipTests package
 * bin/quadrant-example ConvnetBenchmark --models 'lenet;resnet:norm=none' --steps 60 --warmup 20 --repeats 3
 * bin/quadrant-example ConvnetBenchmark --device cuda:0 --steps 200      # Quadrant on cuda:0, PyTorch on cuda:0
 * </pre>
 *
 * <p>What is timed: {@code --warmup} steps run first, untimed in both. Quadrant's time is the training time of the
 * steps after them as its trainer reports it ({@link EpochMetrics#seconds()}; evaluation excluded, gathering and
 * uploading each step's 128 images from host arrays included); PyTorch's is the wall time of its steps on tensors
 * already on the device. The data is generated before either clock starts. The images are random, so the losses
 * say nothing; the MNIST accuracy recipe is {@code convnet.py --mode mnist}.
 *
 * <p>Measured 2026-12-02 on the shared 2-core host (load average 12 to 20 from other sessions, so ratios move by
 * +-0.1 between runs; {@code --steps 40 --warmup 20 --repeats 3}, two interleaved pairs of runs of the backend before
 * and after its narrow-row loops and the k-split of the weight-gradient GEMM): lenet 0.55 and 0.48 before, 0.61 and
 * 0.54 after; resnet:norm=none 0.31 and 0.32 before, 0.46 and 0.31 after. On a quieter moment lenet read 0.74. The
 * PyTorch MNIST recipe ({@code convnet.py --mode mnist}, 3 epochs): lenet 0.9601, 0.9773, 0.9828; resnet (BatchNorm)
 * 0.9857, 0.9876, 0.9725 (its last epoch's running statistics; one seed).
 *
 * <p>A model Quadrant fails to train (e.g. {@code resnet} with {@code norm=batch} before the BatchNorm backend ops
 * land) gets a row with its PyTorch numbers and the exception (its stack trace goes to stderr), the other models still
 * run, and the exit status is then 1. Exit status 2 when a
 * flag is wrong or PyTorch is missing. Single-threaded apart from the trainer's own threads and the child process.
 */
public final class ConvnetBenchmark {
    static final int CLASSES = 10;
    static final int[] IMAGE = {28, 28, 1};
    /** Most batches of random images held in memory; longer runs go round them again (epochs). */
    private static final int MAX_BATCHES = 64;

    private ConvnetBenchmark() {}

    /** One implementation's run. */
    private record Run(double imagesPerSecond, double secondsPerStep) {}

    public static void main(String[] args) throws InterruptedException {
        ConvnetBenchOptions o;
        String torchVersion;
        try {
            o = ConvnetBenchOptions.parse(args);
            if (o.help) {
                System.out.println(ConvnetBenchOptions.USAGE);
                return;
            }
            torchVersion = TorchReference.version(o.python);
        } catch (UserInputException e) {
            System.err.println(e.getMessage());
            System.err.println(ConvnetBenchOptions.USAGE);
            System.exit(2);
            return;
        }

        List<String> rows = new ArrayList<>();
        String blas = "?";
        boolean allRan = true;
        for (String model : o.models) {
            List<Run> torchRuns = new ArrayList<>();
            List<Run> quadrantRuns = new ArrayList<>();
            String failure = o.torchOnly ? "not run (--torch-only)" : null;
            long params = 0;
            for (int r = 0; r < o.repeats; r++) {
                boolean torchFirst = r % 2 == 0;
                if (!torchFirst && failure == null) {
                    failure = runQuadrant(model, o, quadrantRuns);
                }
                JsonNode t = TorchReference.runForJson(torchArgs(model, o), ompWaitPolicy(o));
                torchRuns.add(new Run(t.get("images_per_second").asDouble(), t.get("seconds_per_step").asDouble()));
                blas = t.path("blas").asText("?");
                params = t.path("params").asLong();
                if (torchFirst && failure == null) {
                    failure = runQuadrant(model, o, quadrantRuns);
                }
            }
            double torch = median(torchRuns, true);
            if (failure != null) {
                allRan &= o.torchOnly;
                rows.add(String.format(Locale.ROOT, "| %s | %,d | %s | %.0f | | |", model, params, failure, torch));
            } else {
                double quadrant = median(quadrantRuns, true);
                rows.add(String.format(Locale.ROOT, "| %s | %,d | %.0f | %.0f | %.2f | %.1f |", model, params,
                        quadrant, torch, quadrant / torch, 1e3 * median(quadrantRuns, false)));
            }
        }

        System.out.printf(Locale.ROOT, "Convnets on random [28, 28, 1] images, 10 classes, batch %d, %d + %d steps, "
                        + "Adam lr 1e-3, %d threads, device %s; PyTorch %s (BLAS %s); OMP_WAIT_POLICY %s; medians "
                        + "of %d interleaved runs%n", o.batch, o.warmup, o.steps, o.threads, o.device, torchVersion,
                blas, ompWaitPolicy(o) == null ? "inherited" : ompWaitPolicy(o), o.repeats);
        if (blas.contains("/blas/libblas")) {
            System.out.println("warning: PyTorch ran on the netlib reference BLAS (~25x slower GEMMs): the ratio "
                    + "flatters Quadrant; apt-get install libopenblas0-openmp and rerun");
        }
        System.out.println("| model | parameters (PyTorch) | quadrant images/s | pytorch images/s | quadrant/pytorch "
                + "| quadrant ms/step |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        rows.forEach(System.out::println);
        if (!allRan) {
            System.exit(1);
        }
    }

    private static String ompWaitPolicy(ConvnetBenchOptions o) {
        return "inherit".equals(o.ompWaitPolicy) ? null : o.ompWaitPolicy;
    }

    static List<String> torchArgs(String model, ConvnetBenchOptions o) {
        return List.of(o.python, o.script.toString(), "--mode", "throughput", "--model", model,
                "--batch", Integer.toString(o.batch), "--warmup", Integer.toString(o.warmup),
                "--steps", Integer.toString(o.steps), "--threads", Integer.toString(o.threads),
                "--device", o.device);
    }

    /**
     * One Quadrant run of {@code model}, added to {@code runs}; returns null, or, when the run throws (e.g. an
     * {@link UnsupportedOperationException} of an op not implemented yet), the reason for the table, after printing
     * the stack trace to stderr: the other models still run, and the exit status says one failed.
     */
    private static String runQuadrant(String model, ConvnetBenchOptions o, List<Run> runs) {
        int batches = Math.min(o.warmup + o.steps, MAX_BATCHES);
        Field image = Field.floats("image", IMAGE);
        Field label = Field.ints("label", CLASSES);
        ArraySamples train = randomImages("random/train", image, label, batches * o.batch, 1);
        ArraySamples test = randomImages("random/test", image, label, o.batch, 2);
        double[] seconds = {0};
        long[] timedSteps = {0};
        Fit fit = Fit.builder()
                .model(ModelSpec.parse(model))
                .data(train, test)
                .optimizer(OptimizerKind.ADAM, 1e-3f)
                .devices(o.quadrantDevices())
                .threads(o.threads)
                .batch(o.batch)
                .steps(o.warmup + o.steps)
                .evalEvery(o.warmup)   // an evaluation (untimed) ends the warm-up; later windows are the timed steps
                .seed(1)
                .listener(new TrainListener() {
                    private long last;

                    @Override
                    public void onEpoch(EpochMetrics m) {
                        if (m.step() > o.warmup) {
                            seconds[0] += m.seconds();
                            timedSteps[0] += m.step() - Math.max(last, o.warmup);
                        }
                        last = m.step();
                    }
                })
                .build();
        try {
            fit.run();
        } catch (RuntimeException e) {
            System.err.println("Quadrant cannot train " + model + ":");
            e.printStackTrace();
            return (e instanceof UnsupportedOperationException ? "unsupported: " : "failed: ")
                    + e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        runs.add(new Run(timedSteps[0] * o.batch / seconds[0], seconds[0] / timedSteps[0]));
        return null;
    }

    /** {@code n} images of uniform [0, 1) pixels with uniform labels, from {@code seed}. */
    static ArraySamples randomImages(String name, Field image, Field label, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[n * image.size()];   // [n, 28, 28, 1]
        int[] y = new int[n];                      // [n]
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextDouble();
        }
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(CLASSES);
        }
        return ArraySamples.of(name, image, label, x, y);
    }

    private static double median(List<Run> runs, boolean throughput) {
        double[] s = runs.stream().mapToDouble(r -> throughput ? r.imagesPerSecond() : r.secondsPerStep()).sorted()
                .toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }
}
