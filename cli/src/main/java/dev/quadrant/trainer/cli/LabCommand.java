package dev.quadrant.trainer.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import dev.quadrant.trainer.lab.Lab;
import dev.quadrant.trainer.lab.LabOptions;
import dev.quadrant.trainer.lab.LabResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code quadrant lab}: the strategy lab ({@link Lab}); this class only parses the options and prints the result. */
@Command(name = "lab", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure the four strategies on this machine, fit a Paleo-style cost model, predict them on "
                + "named hardware profiles, and write a report (charts, error table, summary).", "",
                "Example: quadrant lab --model mlp:1024-1024 --data synthetic --batch 256 --devices cpu:1,2,4 --out lab"})
public final class LabCommand implements Callable<Integer> {

    /** The lab's options; {@link Main#commandLine} adds them to this command as a mixin ({@link TrainSettings}). */
    final LabOptions options = new LabOptions();

    @Mixin
    VerboseOption verbose = new VerboseOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        LabResult r = Lab.run(options);
        PrintWriter w = spec.commandLine().getOut();
        w.print(dev.quadrant.trainer.lab.LabReport.errorsTable(r));
        w.println("report in " + options.out + " (summary.md, errors.csv, step-time.png, speedup.png, paleo.png)");
        w.flush();
        return 0;
    }
}
