package dev.quadrant.trainer.optim;

import java.util.Arrays;
import java.util.Locale;

import dev.quadrant.device.UserInputException;

/** The {@code --optimizer} choices. */
public enum OptimizerKind {
    SGD, MOMENTUM, NESTEROV, ADAM, ADAMW;

    public boolean isAdam() { return this == ADAM || this == ADAMW; }

    public static OptimizerKind parse(String s) {
        for (OptimizerKind k : values()) {
            if (k.name().equalsIgnoreCase(s)) {
                return k;
            }
        }
        throw new UserInputException("--optimizer '" + s + "' is not known: expected one of "
                + Arrays.stream(values()).map(k -> k.name().toLowerCase(Locale.ROOT)).toList());
    }

    @Override
    public String toString() { return name().toLowerCase(Locale.ROOT); }
}
