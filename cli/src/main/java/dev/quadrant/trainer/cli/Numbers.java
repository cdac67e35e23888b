package dev.quadrant.trainer.cli;

import java.util.Locale;

/**
 * Numbers as the terminal shows them: four decimals in the usual range, scientific notation beyond it, so a diverging
 * loss reads {@code 1.5371e+35} instead of thirty-six digits. Only for display; the metrics file keeps exact values.
 *
 * <pre>{@code
 * Numbers.readable(0.12345);   // "0.1235"
 * Numbers.readable(1.5e35);    // "1.5000e+35"
 * }</pre>
 */
public final class Numbers {
    /** At or above this magnitude, scientific notation. */
    static final double LARGE = 1e6;
    /** Below this magnitude (and not 0), scientific notation. */
    static final double SMALL = 1e-4;

    private Numbers() {}

    /** {@code x} with four decimals, or four significant decimals in scientific notation outside [1e-4, 1e6). */
    public static String readable(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            return Double.toString(x);
        }
        double a = Math.abs(x);
        if (a != 0 && (a >= LARGE || a < SMALL)) {
            return String.format(Locale.ROOT, "%.4e", x);
        }
        String fixed = String.format(Locale.ROOT, "%.4f", x);
        // a value just below 1e6 may round up to 1000000.0000: keep the two forms apart at the printed value
        return Math.abs(Double.parseDouble(fixed)) >= LARGE ? String.format(Locale.ROOT, "%.4e", x) : fixed;
    }
}
