package dev.quadrant.trainer.nn;

import dev.quadrant.device.UserInputException;
import dev.quadrant.device.Window2d;

/** Argument checks and messages shared by the image modules (convolution, pooling). Stateless. */
final class Images {
    private Images() {}

    /** {@code Window2d.square}, its argument errors as a {@link UserInputException} naming {@code module}. */
    static Window2d window(String module, int k, int stride, int padding) {
        try {
            return Window2d.square(k, stride, padding);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(module + ": kernel " + k + ", stride " + stride + ", padding " + padding
                    + ": kernel and stride must be >= 1, padding >= 0");
        }
    }

    /**
     * The output image {@code [Ho, Wo, channels]} of {@code window} over an image input; errors name the module, the
     * input and the window.
     */
    static int[] outImage(Declare d, String kind, int[] inShape, Window2d window, int channels) {
        requireImage(d, kind, inShape);
        try {
            return new int[] {window.outHeight(inShape[0]), window.outWidth(inShape[1]), channels};
        } catch (IllegalArgumentException e) {
            throw new UserInputException(d.name() + ": " + kind + " " + describe(window) + " on an input "
                    + Shapes.show(inShape) + ": " + e.getMessage());
        }
    }

    /** For messages: {@code 5x5, stride 1, padding 2}. */
    static String describe(Window2d w) {
        return w.kh() + "x" + w.kw() + ", stride " + (w.sh() == w.sw() ? "" + w.sh() : w.sh() + "x" + w.sw())
                + ", padding " + (w.ph() == w.pw() ? "" + w.ph() : w.ph() + "x" + w.pw());
    }

    /**
     * Throws unless the model's input is float images {@code [H, W, C]}; the message names the {@code --model} kind
     * and the data's input field, and returns the shape.
     */
    static int[] requireImageInput(String kind, ModelFactory.Inputs in) {
        int[] shape = in.inputShape();
        if (in.inputDtype() != dev.quadrant.device.DType.FLOAT32 || shape.length != 3) {
            throw new UserInputException("--model " + kind + " takes images [H, W, C]; the data's input is x "
                    + in.inputDtype() + Shapes.show(shape) + " (use --model mlp:... for flat features)");
        }
        return shape;
    }

    /** Throws unless {@code inShape} is an image {@code [H, W, C]}. */
    static void requireImage(Declare d, String kind, int[] inShape) {
        if (inShape.length != 3) {
            throw new UserInputException(d.name() + ": " + kind + " takes images [H, W, C] per sample, got "
                    + Shapes.show(inShape));
        }
    }
}
