package dev.quadrant.trainer.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LinearFitTest {
    @Test
    void recoversAlphaAndBandwidthOfExactPoints() {
        double alpha = 20e-6;
        double bw = 5e9;
        double[] x = {1e6, 2e6, 4e6, 8e6};
        double[] y = new double[4];
        for (int i = 0; i < 4; i++) {
            y[i] = alpha + x[i] / bw;
        }
        LinearFit f = LinearFit.of(x, y);
        assertEquals(alpha, f.intercept(), 1e-12);
        assertEquals(1 / bw, f.slope(), 1e-18);
        assertEquals(0, f.worstRelativeResidual(), 1e-9);
        assertEquals(alpha + 3e6 / bw, f.at(3e6), 1e-12);
    }

    @Test
    void negativeInterceptOrSlopeFallsBackToTheLineThroughTheOrigin() {
        // y = 2x - 1 would have a negative intercept
        LinearFit f = LinearFit.of(new double[] {1, 2, 3}, new double[] {1, 3, 5});
        assertEquals(0, f.intercept());
        assertEquals((1 + 6 + 15) / 14.0, f.slope(), 1e-12);
        // a decreasing noisy series
        LinearFit g = LinearFit.of(new double[] {1, 2}, new double[] {4, 2});
        assertEquals(0, g.intercept());
        assertEquals((4 + 4) / 5.0, g.slope(), 1e-12);
    }
}
