package dev.quadrant.trainer.cli;

import picocli.CommandLine.Option;

/** {@code --devices} and {@code --threads} of the commands that run one model on one device ({@code eval}, {@code sample}). */
public class OneDeviceOptions {
    @Option(names = "--devices", paramLabel = "SPEC", description = "auto | cpu | cuda:0 (default: ${DEFAULT-VALUE}; only the first device is used)")
    public String devices = "auto";

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all cores)")
    public int threads = 0;

    /**
     * The {@code --devices} text of one replica: {@code cpu:1} for any CPU form, else as given; the whole text is
     * checked first, as strictly as {@code train} checks it ({@code cpu:garbage} is refused).
     */
    public String oneDevice() {
        return dev.quadrant.trainer.train.DeviceSpec.parse(devices).get(0).isCpu() ? "cpu:1" : devices;
    }

    /** {@code --threads}, or every core. */
    public int effectiveThreads() {
        dev.quadrant.trainer.train.OptionChecks.threads().check(threads);
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}
