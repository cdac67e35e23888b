package dev.quadrant.device.cuda;

import java.util.Arrays;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/** Argument checks shared by the backend's ops; each failure names the argument, what it is and what was expected. */
final class Checks {
    private Checks() {}

    static void dtype(String op, String name, Tensor t, DType want) {
        if (t.dtype() != want) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + want + ", got " + t.dtype() + " " + shape(t));
        }
    }

    static void rank2(String op, String name, Tensor t) {
        if (t.rank() != 2) {
            throw new IllegalArgumentException(op + ": " + name + " must be 2-D [rows, cols], got shape " + shape(t));
        }
    }

    static void sameSize(String op, String an, Tensor a, String bn, Tensor b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": " + bn + " " + shape(b) + " must have as many elements as " + an
                    + " " + shape(a) + " (" + a.size() + "), got " + b.size());
        }
    }

    static void size(String op, String name, Tensor t, long want, String what) {
        if (t.size() != want) {
            throw new IllegalArgumentException(op + ": " + name + " " + shape(t) + " must have " + want + " elements ("
                    + what + "), got " + t.size());
        }
    }

    static void sameShape(String op, String an, Tensor a, String bn, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": " + bn + " must have the shape of " + an + " " + shape(a)
                    + ", got " + shape(b));
        }
    }

    static void range(String op, String name, int arrayLength, int offset, long count) {
        if (offset < 0 || offset + count > arrayLength) {
            throw new IllegalArgumentException(op + ": " + name + " needs " + count + " elements from offset " + offset
                    + ", array holds " + arrayLength);
        }
    }

    static String shape(Tensor t) {
        return Arrays.toString(t.shape());
    }
}
