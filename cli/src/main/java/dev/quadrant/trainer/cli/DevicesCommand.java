package dev.quadrant.trainer.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import dev.quadrant.device.BackendProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code quadrant devices}: every device kind Quadrant knows, what is present and usable, and for an unusable kind
 * the reason (e.g. which CUDA library was looked for where). Exits 0 even when there is no GPU.
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the CPU and GPUs Quadrant can use, or why a GPU cannot be used.")
public final class DevicesCommand implements Callable<Integer> {

    @Mixin
    VerboseOption verbose = new VerboseOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        boolean cudaSeen = false;
        for (BackendProvider p : BackendProvider.all()) {
            cudaSeen |= p.kind() == dev.quadrant.device.Device.Kind.CUDA;
            for (String line : p.describeDevices()) {
                out.println(line);
            }
        }
        if (!cudaSeen) {
            out.println("cuda: not usable: this build has no CUDA backend on its class path");
        }
        for (String line : dev.quadrant.device.cluster.ProcessGroup.describeAvailability(System.getenv())) {
            out.println(line);
        }
        out.flush();
        return 0;
    }
}
