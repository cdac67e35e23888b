package dev.quadrant.trainer.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;
import dev.quadrant.device.cuda.CudaBackendProvider;
import dev.quadrant.device.cuda.Precision;
import dev.quadrant.device.cuda.SelfTest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code quadrant selftest}: every Backend op against a float64 reference and a short training run, on each GPU, with
 * pass/fail per check. Without a usable GPU it says why and runs the same checks on the CPU backend. Exit status 0
 * when every check passed, 1 when one failed.
 */
@Command(name = "selftest", mixinStandardHelpOptions = true,
        description = "Check every backend op and a short training run on each GPU (on the CPU when there is none).")
public final class SelftestCommand implements Callable<Integer> {

    @Option(names = "--precision", paramLabel = "NAME", description = "fp32 | tf32 | bf16 (default: ${DEFAULT-VALUE})")
    String precision = "fp32";

    @Mixin
    VerboseOption verbose = new VerboseOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Precision p = Precision.parse(precision);
        CudaBackendProvider cuda = new CudaBackendProvider();
        List<SelfTest.Report> reports;
        if (cuda.availability().usable()) {
            reports = SelfTest.runAllGpus(p);
        } else {
            out.println("cuda: not usable: " + cuda.availability().reason());
            out.println("running the checks on the CPU backend instead");
            try (Backend be = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), Runtime.getRuntime().availableProcessors())) {
                reports = List.of(SelfTest.run(be, Precision.FP32));
            }
        }
        boolean ok = true;
        for (SelfTest.Report r : reports) {
            for (String line : r.lines()) {
                out.println(line);
            }
            ok &= r.passed();
        }
        out.println(ok ? "selftest: all checks passed" : "selftest: FAILED");
        out.flush();
        return ok ? 0 : Main.INTERNAL_ERROR;
    }
}
