package dev.quadrant.trainer.nn;

import java.util.SplittableRandom;

import dev.quadrant.device.UserInputException;

/**
 * Seeded weight initialisers. Biases start at zero.
 *
 * <ul>
 *   <li>{@link #HE}: normal with std {@code sqrt(2 / fanIn)} (He et al. 2015), for ReLU and GELU;</li>
 *   <li>{@link #XAVIER}: uniform in {@code +-sqrt(6 / (fanIn + fanOut))} (Glorot and Bengio 2010), for tanh.</li>
 * </ul>
 */
public enum Initializer {
    HE,
    XAVIER;

    /** Fills {@code w[offset, offset + fanIn * fanOut)} from {@code rng}. */
    public void fill(float[] w, int offset, int fanIn, int fanOut, SplittableRandom rng) {
        int n = fanIn * fanOut;
        if (this == HE) {
            double std = Math.sqrt(2.0 / fanIn);
            for (int i = 0; i < n; i++) {
                w[offset + i] = (float) (gaussian(rng) * std);
            }
        } else {
            double limit = Math.sqrt(6.0 / (fanIn + fanOut));
            for (int i = 0; i < n; i++) {
                w[offset + i] = (float) ((rng.nextDouble() * 2 - 1) * limit);
            }
        }
    }

    /** Box-Muller, so the values depend only on the generator's stream (not on a JDK's nextGaussian algorithm). */
    static double gaussian(SplittableRandom rng) {
        double u1;
        do {
            u1 = rng.nextDouble();
        } while (u1 <= 0);
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Parses {@code he|xavier}. */
    public static Initializer parse(String s) {
        for (Initializer i : values()) {
            if (i.name().equalsIgnoreCase(s)) {
                return i;
            }
        }
        throw new UserInputException("unknown initializer '" + s + "': expected he or xavier");
    }
}
