package dev.quadrant.tests.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import dev.quadrant.trainer.io.NamedTensor;
import dev.quadrant.trainer.io.SafeTensors;
import dev.quadrant.trainer.io.SafeTensorsFile;

/** Comparisons of saved parameter files ({@code --save}) that name the tensor, the index and both values. */
final class Parameters {
    private Parameters() {}

    /** Bit-for-bit equality of every tensor. */
    static void assertIdentical(Path expected, Path actual, String what) throws IOException {
        compare(expected, actual, what, 0);
    }

    /** Equality within {@code tol * max(1, |expected|)} per element. */
    static void assertClose(Path expected, Path actual, double tol, String what) throws IOException {
        compare(expected, actual, what, tol);
    }

    private static void compare(Path expected, Path actual, String what, double tol) throws IOException {
        SafeTensorsFile a = SafeTensors.read(expected);
        SafeTensorsFile b = SafeTensors.read(actual);
        List<String> names = a.tensors().stream().map(NamedTensor::name).toList();
        assertEquals(names, b.tensors().stream().map(NamedTensor::name).toList(), what + ": tensor names");
        double worst = -1;
        String worstAt = null;
        for (NamedTensor ta : a.tensors()) {
            float[] x = ta.floats();
            float[] y = b.tensor(ta.name()).floats();
            assertEquals(x.length, y.length, what + ": size of " + ta.name());
            for (int i = 0; i < x.length; i++) {
                boolean same = Float.floatToIntBits(x[i]) == Float.floatToIntBits(y[i]);
                double err = Math.abs((double) x[i] - y[i]) / Math.max(1, Math.abs(x[i]));
                if (tol == 0 ? !same : !(err <= tol)) {
                    fail(what + ": " + ta.name() + "[" + i + "] is " + y[i] + ", expected " + x[i]
                            + (tol == 0 ? " (bit for bit)" : " within " + tol + " (relative error " + err + ")"));
                }
                if (err > worst) {
                    worst = err;
                    worstAt = ta.name() + "[" + i + "]: " + x[i] + " vs " + y[i];
                }
            }
        }
        if (tol > 0) {
            System.out.println(what + ": worst relative difference " + worst + " at " + worstAt + " (tolerance " + tol + ")");
        }
    }
}
