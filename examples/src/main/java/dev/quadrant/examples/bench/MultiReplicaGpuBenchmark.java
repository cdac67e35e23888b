package dev.quadrant.examples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.quadrant.bindings.cuda.CudaProbe;
import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Training;

/**
 * Several replicas on one GPU against one replica with their combined batch: trains MLP 784-1024-1024-10 on synthetic
 * 784x10x60000 data, {@code cuda:0x4} with global batch {@code 4b} (b per replica, all-reduce through the
 * device-local communicator) and {@code cuda:0} with the same global batch {@code 4b}, and prints both step times,
 * their ratio and the per-step breakdown (compute, exposed communication, data wait). Each configuration runs once to
 * warm up (kernel cache, JIT) and is then measured.
 *
 * <p>Usage: {@code MultiReplicaGpuBenchmark [--replicas 4] [--batch 256] [--steps 200] [--strategy allreduce]
 * [--precision fp32]}, {@code --batch} per replica. Exit status 2 without a usable GPU.
 */
public final class MultiReplicaGpuBenchmark {
    private MultiReplicaGpuBenchmark() {}

    public static void main(String[] args) {
        int replicas = 4;
        int batch = 256;
        long steps = 200;
        String strategy = "allreduce";
        String precision = "fp32";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--replicas" -> replicas = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Long.parseLong(args[++i]);
                case "--strategy" -> strategy = args[++i];
                case "--precision" -> precision = args[++i];
                default -> throw new IllegalArgumentException("unknown flag " + args[i]
                        + "; expected --replicas, --batch, --steps, --strategy, --precision");
            }
        }
        CudaProbe.Result probe = CudaProbe.get();
        if (!probe.usable()) {
            System.out.println("MultiReplicaGpuBenchmark: CUDA is not usable here: " + probe.reason());
            System.exit(2);
        }
        int global = replicas * batch;
        String many = "cuda:0x" + replicas;
        Summary one = measure("cuda:0", "allreduce", global, steps, precision);
        Summary multi = measure(many, strategy, global, steps, precision);
        System.out.println("MLP 784-1024-1024-10, synthetic 784x10x60000, momentum SGD, " + precision + ", " + steps
                + " steps, global batch " + global);
        System.out.println("| run | replicas | batch per replica | step (ms) | samples/s | compute ms | comm exposed ms | data wait ms |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        row("cuda:0", 1, global, one);
        row(many + " " + strategy, replicas, batch, multi);
        System.out.printf(Locale.ROOT, "step time %s / cuda:0 with %dx the batch: %.2f%n", many, replicas,
                multi.stepMs() / one.stepMs());
    }

    /** A measured run: step time and per-step breakdown averaged over all its steps. */
    record Summary(double stepMs, double samplesPerSecond, double computeMs, double commMs, double dataMs) {
        static Summary of(List<EpochMetrics> epochs, int batch) {
            double seconds = 0;
            double compute = 0;
            double comm = 0;
            double data = 0;
            long prev = 0;
            for (EpochMetrics m : epochs) {
                long n = m.step() - prev;
                prev = m.step();
                seconds += m.seconds();
                compute += m.computeMs() * n;
                comm += m.commExposedMs() * n;
                data += m.dataWaitMs() * n;
            }
            long steps = Math.max(1, prev);
            return new Summary(seconds * 1e3 / steps, steps * (double) batch / seconds, compute / steps, comm / steps,
                    data / steps);
        }
    }

    private static void row(String run, int n, int b, Summary m) {
        System.out.printf(Locale.ROOT, "| %s | %d | %d | %.3f | %.0f | %.3f | %.3f | %.3f |%n", run, n, b, m.stepMs(),
                m.samplesPerSecond(), m.computeMs(), m.commMs(), m.dataMs());
    }

    /** Runs twice (warm-up, then measured) and summarises the measured run. */
    static Summary measure(String devices, String strategy, int batch, long steps, String precision) {
        List<EpochMetrics> last = null;
        for (int round = 0; round < 2; round++) {
            TrainOptions o = new TrainOptions();
            o.data = "synthetic:784x10x60000";
            o.model = "mlp:1024-1024";
            o.batch = batch;
            o.steps = round == 0 ? Math.min(steps, 20) : steps;
            o.optimizer = "momentum";
            o.lr = 0.01f;
            o.seed = 1;
            o.devices = devices;
            o.strategy = strategy;
            o.precision = precision;
            List<EpochMetrics> got = new ArrayList<>();
            Training.run(o, List.of(new TrainListener() {
                @Override
                public void onEpoch(EpochMetrics m) {
                    got.add(m);
                }
            }));
            last = got;
        }
        return Summary.of(last, batch);
    }
}
