package dev.quadrant.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.quadrant.trainer.io.MetricsPlot;
import dev.quadrant.trainer.io.MetricsWriter;
import dev.quadrant.trainer.parallel.Strategies;
import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Training;

/**
 * Table 1 of the data-parallel issue: the four strategies on the same model, data, optimizer and epochs, side by
 * side: throughput (and its ratio to {@code allreduce} in the same run), training seconds until the test accuracy
 * first reaches a target (measured at epoch ends), bytes moved per step per replica, staleness for the asynchronous
 * ones, and the final test accuracy. Writes each run's metrics and one chart of all of them.
 *
 * <p>Usage: {@code StrategyBenchmark [--data SPEC] [--replicas 2,4] [--epochs 3] [--model mlp:256] [--batch 128]
 * [--target 0.97] [--threads 2] [--out DIR]}. Default data: MNIST from ../shared/datasets/mnist when present, else
 * {@code synthetic:784x10x20000}.
 */
public final class StrategyBenchmark {

    public static void main(String[] args) throws IOException {
        String data = Files.isDirectory(Paths.get("../shared/datasets/mnist")) ? "idx:../shared/datasets/mnist" : "synthetic:784x10x20000";
        String replicas = "2,4";
        int epochs = 3;
        String model = "mlp:256";
        int batch = 128;
        double target = 0.97;
        int threads = Runtime.getRuntime().availableProcessors();
        Path out = Paths.get("strategy-bench");
        for (int i = 0; i < args.length; i += 2) {
            String v = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--data" -> data = v;
                case "--replicas" -> replicas = v;
                case "--epochs" -> epochs = Integer.parseInt(v);
                case "--model" -> model = v;
                case "--batch" -> batch = Integer.parseInt(v);
                case "--target" -> target = Double.parseDouble(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--out" -> out = Paths.get(v);
                default -> {
                    System.err.println("unknown option " + args[i] + "; see the class Javadoc for the options");
                    System.exit(2);
                }
            }
        }
        Files.createDirectories(out);
        System.out.printf(Locale.ROOT, "data %s, model %s, %d epochs, global batch %d, adam lr 1e-3, %d threads; target accuracy %.3f%n",
                data, model, epochs, batch, threads, target);
        System.out.println("| replicas | strategy | samples/s | vs allreduce | s to target | bytes/step/replica | staleness mean/max | final accuracy |");
        System.out.println("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        List<Path> files = new ArrayList<>();
        for (String rs : replicas.split(",")) {
            int n = Integer.parseInt(rs.trim());
            double reference = Double.NaN;
            for (String strategy : Strategies.NAMES) {
                Path metrics = out.resolve(strategy + "-x" + n + ".jsonl");
                files.add(metrics);
                TrainOptions o = new TrainOptions();
                o.data = data;
                o.model = model;
                o.epochs = epochs;
                o.batch = batch;
                o.optimizer = "adam";
                o.lr = 1e-3f;
                o.threads = threads;
                o.devices = "cpu:" + n;
                o.strategy = strategy;
                double[] toTarget = {Double.NaN, 0};
                TrainResult r;
                try (MetricsWriter w = MetricsWriter.create(metrics)) {
                    double tgt = target;
                    r = Training.run(o, List.of(new TrainListener() {
                        @Override
                        public void onEpoch(EpochMetrics m) {
                            toTarget[1] += m.seconds();
                            if (Double.isNaN(toTarget[0]) && m.testAccuracy() >= tgt) {
                                toTarget[0] = toTarget[1];
                            }
                            var map = new java.util.LinkedHashMap<>(m.toMap());
                            map.put("strategy", m.strategy() + " x" + m.replicas());
                            try {
                                w.write(map);
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        }
                    }));
                }
                double sps = r.epochs().stream().mapToDouble(EpochMetrics::samplesPerSecond).average().orElse(0);
                if (strategy.equals("allreduce")) {
                    reference = sps;
                }
                EpochMetrics last = r.last();
                Object sm = last.extra().get("staleness_mean");
                Object sx = last.extra().get("staleness_max");
                System.out.printf(Locale.ROOT, "| %d | %s | %.0f | %.2f | %s | %.0f | %s | %.4f |%n", n, strategy, sps, sps / reference,
                        Double.isNaN(toTarget[0]) ? "not reached" : String.format(Locale.ROOT, "%.1f", toTarget[0]),
                        last.bytesMovedPerStep(), sm == null ? "-" : String.format(Locale.ROOT, "%.2f / %s", ((Number) sm).doubleValue(), sx),
                        last.testAccuracy());
            }
        }
        Path chart = out.resolve("strategies.png");
        MetricsPlot.render(files, chart);
        System.out.println("metrics in " + out + ", chart " + chart);
    }
}
