package dev.quadrant.trainer.lab;

import java.nio.file.Path;

import dev.quadrant.trainer.train.Setting;

/**
 * The options of {@code quadrant lab}; the same object configures {@link Lab#run} from Java:
 *
 * <pre>{@code
 * LabOptions o = new LabOptions();
 * o.model = "mlp:1024-1024";
 * o.batch = 256;
 * o.out = Path.of("lab");
 * LabResult r = Lab.run(o);
 * }</pre>
 *
 * Mutable, not thread-safe.
 */
public class LabOptions {

    @Setting(name = "--model", label = "SPEC", description = "the model, as for train --model (default: ${DEFAULT-VALUE})")
    public String model = "mlp:1024-1024";

    @Setting(name = "--data", label = "SPEC", description = "the data, as for train --data (default: ${DEFAULT-VALUE})")
    public String data = "synthetic";

    @Setting(name = "--batch", label = "B", description = "global batch (strong scaling splits it over the replicas) (default: ${DEFAULT-VALUE})")
    public int batch = 256;

    @Setting(name = "--devices", label = "cpu:N1,N2,...", description = "replica counts to run and measure, increasing from 1, e.g. cpu:1,2,4 (default: ${DEFAULT-VALUE})")
    public String devices = "cpu:1,2,4";

    @Setting(name = "--threads", label = "N", description = "CPU threads in all, divided between replicas (default: all cores)")
    public int threads = 0;

    @Setting(name = "--steps", label = "N", description = "measured steps of each strategy run, after the warm-up steps (default: ${DEFAULT-VALUE})")
    public int steps = 20;

    @Setting(name = "--warmup", label = "N", description = "steps of each run before timing starts (default: ${DEFAULT-VALUE})")
    public int warmup = 5;

    @Setting(name = "--reps", label = "N", description = "timed repetitions per calibration point (compute batch size, collective size) (default: ${DEFAULT-VALUE})")
    public int reps = 9;

    @Setting(name = "--optimizer", label = "NAME", description = "optimizer of the runs (default: ${DEFAULT-VALUE})")
    public String optimizer = "adam";

    @Setting(name = "--lr", label = "X", description = "learning rate of the runs (default: ${DEFAULT-VALUE})")
    public float lr = 1e-3f;

    @Setting(name = "--seed", label = "N", description = "seed of data, initial weights and order (default: ${DEFAULT-VALUE})")
    public long seed = 1;

    @Setting(name = "--profile", label = "FILE", description = "a hardware profile of your own (JSON or YAML: name, alpha_seconds, bandwidth_bytes_per_second, device_flops, utilisation, source), predicted beside the named ones")
    public Path profile;

    @Setting(name = "--out", label = "DIR", description = "where to write the report (default: ${DEFAULT-VALUE})")
    public Path out = Path.of("lab");

    /** Effective thread budget: {@link #threads} or the number of cores. */
    public int effectiveThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}
