package dev.quadrant.trainer.objective;

import dev.quadrant.device.DType;
import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.data.Field;
import dev.quadrant.trainer.data.Schema;

/** Picks the objective a dataset's target implies. Stateless. */
public final class Objectives {
    private Objectives() {}

    /**
     * A scalar INT32 label: {@link Classification}; INT32 targets {@code [T]}: {@link LanguageModelling}; FLOAT32
     * targets {@code [K]}: {@link Regression}.
     */
    public static Objective forSchema(Schema schema) {
        Field t = schema.target();
        if (t.dtype() == DType.INT32 && t.shape().length == 0) {
            return Classification.INSTANCE;
        }
        if (t.dtype() == DType.INT32 && t.shape().length == 1) {
            return LanguageModelling.INSTANCE;
        }
        if (t.dtype() == DType.FLOAT32 && t.shape().length == 1) {
            return Regression.INSTANCE;
        }
        throw new UserInputException("no objective fits the data's target " + t + ": expected a class label I32[], "
                + "next tokens I32[T] or regression targets F32[K]");
    }
}
