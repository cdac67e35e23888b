package dev.quadrant.trainer.lab;

/**
 * A least-squares line {@code y = intercept + slope * x} through measured points, with the largest relative residual.
 * An alpha-beta fit is one: intercept = latency alpha (seconds), slope = 1 / bandwidth (seconds per byte).
 */
public record LinearFit(double intercept, double slope, double[] x, double[] y, double worstRelativeResidual) {

    /** Fits {@code y} against {@code x} (at least two distinct x); a negative intercept or slope (noise on a loaded
     * machine) gives the line through the origin instead. */
    public static LinearFit of(double[] x, double[] y) {
        if (x.length != y.length || x.length < 2) {
            throw new IllegalArgumentException("a line needs at least 2 points, got " + x.length + " x and "
                    + y.length + " y");
        }
        int n = x.length;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i] / n;
            my += y[i] / n;
        }
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < n; i++) {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
        }
        if (sxx == 0) {
            throw new IllegalArgumentException("a line needs at least 2 distinct x values");
        }
        double slope = sxy / sxx;
        double intercept = my - slope * mx;
        if (intercept < 0 || slope < 0) {  // neither a latency nor a cost per byte is negative (noise made it so):
                                            // fit through the origin instead
            double sx2 = 0;
            double sxy0 = 0;
            for (int i = 0; i < n; i++) {
                sx2 += x[i] * x[i];
                sxy0 += x[i] * y[i];
            }
            intercept = 0;
            slope = sxy0 / sx2;
        }
        double worst = 0;
        for (int i = 0; i < n; i++) {
            worst = Math.max(worst, Math.abs(intercept + slope * x[i] - y[i]) / Math.abs(y[i]));
        }
        return new LinearFit(intercept, slope, x.clone(), y.clone(), worst);
    }

    /** The fitted value at {@code x}. */
    public double at(double xv) { return intercept + slope * xv; }
}
