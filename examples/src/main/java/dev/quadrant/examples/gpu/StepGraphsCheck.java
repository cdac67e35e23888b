package dev.quadrant.examples.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;

/**
 * {@code GpuChecks graphs}: {@code --cuda-graphs on} gives the parameters of {@code --cuda-graphs off}, bit for bit,
 * and really replays: an MLP with dropout, AdamW, a cosine schedule, gradient clipping, two micro-batches and an
 * epoch's partial last batch (arguments that change every step, and a second version of each segment), on
 * {@code cuda:0}, {@code cuda:0x2} and, with two GPUs, {@code cuda:0,1}, with {@code allreduce} and {@code ps}. Fails
 * when a capture was refused. The stub-library test runs the same through {@code StepGraphsFakesTest}.
 */
public final class StepGraphsCheck {
    private StepGraphsCheck() {}

    static TrainOptions options(String devices, String strategy, String graphs) {
        TrainOptions o = new TrainOptions();
        o.data = "synthetic:64x10x1000";   // 1000 rows, steps of 2 x 48: the epoch's last batch is partial
        o.model = "mlp:128-64";
        o.dropout = 0.1f;
        o.batch = 48;
        o.gradAccum = 2;
        o.steps = 30;
        o.optimizer = "adamw";
        o.lr = 1e-3f;
        o.schedule = "cosine:5:1e-4";
        o.clipNorm = 1f;
        o.seed = 7;
        o.devices = devices;
        o.strategy = strategy;
        o.cudaGraphs = graphs;
        return o;
    }

    /** The run's final parameters (replica 0), its graph launches and replica 0's report. */
    record Run(float[] params, long launches, int captureFailures, String report) {}

    static Run train(TrainOptions o, Training.BackendFactory backends) {
        Training.Setup s = Training.setup(o);
        DataSplit data = Training.loadData(o);
        try (StepRunner runner = Training.buildRunner(o, s, data, backends)) {
            new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.gradAccum, o.lr, s.schedule(), o.seed, 0, 0))
                    .fit(data, runner, List.of());
            long launches = 0;
            int failures = 0;
            for (Replica r : runner.replicas()) {
                CudaBackend c = CudaBackend.of(r.backend());
                launches += c == null ? 0 : c.graphLaunches();
                failures += c == null ? 0 : c.graphCaptureFailures();
            }
            return new Run(runner.replicas().get(0).getParameters(), launches, failures,
                    runner.replicas().get(0).backend().stepGraphReport());
        }
    }

    /** One layout and strategy: graphs against eager. */
    public static Check run(String devices, String strategy, Training.BackendFactory backends) {
        String name = "cuda graphs " + strategy + " " + devices;
        try {
            Run eager = train(options(devices, strategy, "off"), backends);
            Run graphs = train(options(devices, strategy, "on"), backends);
            int differ = -1;
            for (int i = 0; i < eager.params().length && differ < 0; i++) {
                if (Float.floatToRawIntBits(eager.params()[i]) != Float.floatToRawIntBits(graphs.params()[i])) {
                    differ = i;
                }
            }
            boolean ok = differ < 0 && graphs.launches() > 0 && graphs.captureFailures() == 0;
            String detail = differ >= 0
                    ? String.format(Locale.ROOT, "parameter %d differs: eager %.9g, graphs %.9g", differ,
                    eager.params()[differ], graphs.params()[differ])
                    : String.format(Locale.ROOT, "30 steps: the same %d parameters bit for bit; %d graph launches, %d "
                    + "captures refused; %s", eager.params().length, graphs.launches(), graphs.captureFailures(),
                    graphs.report());
            return new Check(name, ok, detail);
        } catch (RuntimeException e) {
            return new Check(name, false, "failed: " + e);
        }
    }

    /** Every layout the machine's {@code gpus} GPUs allow, with {@code allreduce} and {@code ps}. */
    public static List<Check> all(Training.BackendFactory backends, int gpus) {
        List<Check> out = new ArrayList<>();
        List<String> layouts = new ArrayList<>(List.of("cuda:0", "cuda:0x2"));
        if (gpus >= 2) {
            layouts.add("cuda:0,1");
        }
        for (String layout : layouts) {
            out.add(run(layout, "allreduce", backends));
            if (!layout.equals("cuda:0")) {
                out.add(run(layout, "ps", backends));
            }
        }
        return out;
    }
}
