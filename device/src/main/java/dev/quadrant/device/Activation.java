package dev.quadrant.device;

/**
 * Pointwise activations with their derivatives, and a float64 reference of each for tests.
 *
 * <p>GELU is the tanh approximation used by GPT-2 and PyTorch's {@code gelu(approximate="tanh")}.
 */
public enum Activation {
    RELU,
    GELU,
    TANH;

    private static final double GELU_C = Math.sqrt(2.0 / Math.PI);

    /** Float64 reference of the forward function. */
    public double reference(double x) {
        switch (this) {
            case RELU: return x > 0 ? x : 0;
            case TANH: return Math.tanh(x);
            default: return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
        }
    }

    /** Float64 reference of the derivative at {@code x}. */
    public double referenceDerivative(double x) {
        switch (this) {
            case RELU: return x > 0 ? 1 : 0;
            case TANH: {
                double t = Math.tanh(x);
                return 1 - t * t;
            }
            default: {
                double u = GELU_C * (x + 0.044715 * x * x * x);
                double t = Math.tanh(u);
                double du = GELU_C * (1 + 3 * 0.044715 * x * x);
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
            }
        }
    }

    /** Parses {@code relu|gelu|tanh} (any case). */
    public static Activation parse(String name) {
        for (Activation a : values()) {
            if (a.name().equalsIgnoreCase(name)) {
                return a;
            }
        }
        throw new UserInputException("unknown activation '" + name + "': expected one of relu, gelu, tanh");
    }
}
