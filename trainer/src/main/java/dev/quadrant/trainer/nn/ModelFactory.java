package dev.quadrant.trainer.nn;

import dev.quadrant.device.Activation;
import dev.quadrant.device.DType;

/**
 * Builds one replica's {@link Model} for the data it will see: every replica calls it once, so each gets its own
 * module instances. A {@link ModelSpec} is one; a Java user's own network is a lambda:
 *
 * <pre>{@code
 * ModelFactory mine = in -> new Model(new Sequential(List.of(new Linear(64), new MyLayer(), new Linear(in.outputs()))),
 *                                     in.inputShape(), in.inputDtype());
 * }</pre>
 */
@FunctionalInterface
public interface ModelFactory {

    /**
     * What a model is built for: the per-sample input shape and dtype, the size of its output ({@code outputs}:
     * classes, vocabulary or regression targets), and the MLP options {@code --activation} and {@code --dropout}.
     */
    record Inputs(int[] inputShape, DType inputDtype, int outputs, Activation activation, float dropout) {
        public Inputs {
            inputShape = inputShape.clone();
        }

        @Override
        public int[] inputShape() { return inputShape.clone(); }
    }

    /** A new model for {@code in}; throws {@link dev.quadrant.device.UserInputException} if it cannot take it. */
    Model build(Inputs in);

    /** Canonical text for saved files and logs ({@code custom} unless a spec says better). */
    default String describeSpec() { return "custom"; }
}
