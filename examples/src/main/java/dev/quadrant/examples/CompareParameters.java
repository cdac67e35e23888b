package dev.quadrant.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

import dev.quadrant.trainer.io.NamedTensor;
import dev.quadrant.trainer.io.SafeTensors;
import dev.quadrant.trainer.io.SafeTensorsFile;

/**
 * Compares two parameter files written by {@code quadrant train --save}: per tensor and overall, the largest
 * absolute difference and its ratio to the largest absolute parameter. Exit status 0 when the files hold the same
 * tensors and the overall ratio is within {@code --tolerance} (default 1e-5), 1 otherwise.
 *
 * <pre>
 * bin/quadrant train --data synthetic --steps 50 --devices cpu:1 --save one.safetensors
 * bin/quadrant train --data synthetic --steps 50 --devices cpu:4 --save four.safetensors
 * bin/quadrant-example CompareParameters one.safetensors four.safetensors
 * </pre>
 */
public final class CompareParameters {
    private CompareParameters() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: CompareParameters A.safetensors B.safetensors [--tolerance 1e-5]");
            System.exit(2);
        }
        double tolerance = args.length >= 4 && args[2].equals("--tolerance") ? Double.parseDouble(args[3]) : 1e-5;
        Path a = Paths.get(args[0]);
        Path b = Paths.get(args[1]);
        SafeTensorsFile fa = SafeTensors.read(a);
        SafeTensorsFile fb = SafeTensors.read(b);
        double maxDiff = 0;
        double maxAbs = 0;
        boolean same = fa.tensors().size() == fb.tensors().size();
        System.out.println("| tensor | shape | max abs | max |a - b| |");
        System.out.println("| --- | --- | ---: | ---: |");
        for (NamedTensor ta : fa.tensors()) {
            NamedTensor tb = fb.tensors().stream().filter(t -> t.name().equals(ta.name())).findFirst().orElse(null);
            if (tb == null || !java.util.Arrays.equals(ta.shape(), tb.shape()) || !ta.isFloat() || !tb.isFloat()) {
                System.out.println("| " + ta.name() + " | " + java.util.Arrays.toString(ta.shape()) + " | missing or different in " + b + " | |");
                same = false;
                continue;
            }
            float[] x = ta.floats();
            float[] y = tb.floats();
            double d = 0;
            double m = 0;
            for (int i = 0; i < x.length; i++) {
                d = Math.max(d, Math.abs((double) x[i] - y[i]));
                m = Math.max(m, Math.abs(x[i]));
            }
            maxDiff = Math.max(maxDiff, d);
            maxAbs = Math.max(maxAbs, m);
            System.out.printf(Locale.ROOT, "| %s | %s | %.6g | %.3g |%n", ta.name(), java.util.Arrays.toString(ta.shape()), m, d);
        }
        double ratio = maxAbs == 0 ? maxDiff : maxDiff / maxAbs;
        boolean ok = same && ratio <= tolerance;
        System.out.printf(Locale.ROOT, "max |a - b| = %.3g = %.3g of the largest parameter (tolerance %.1g): %s%n", maxDiff, ratio,
                tolerance, ok ? "same up to float32 rounding" : "DIFFERENT");
        System.exit(ok ? 0 : 1);
    }
}
