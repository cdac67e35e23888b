package dev.quadrant.trainer.objective;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.data.Field;

/**
 * Mean squared error of predictions {@code [rows, K]} against FLOAT32 targets {@code [rows, K]}: one loss term per
 * sample (the mean over its K outputs). Evaluation reports {@code test_loss} (MSE) and {@code test_rmse}.
 */
public final class Regression implements Objective {
    public static final Regression INSTANCE = new Regression();

    private Regression() {}

    @Override
    public String name() { return "regression"; }

    @Override
    public void check(int[] output, Field target) {
        if (target.dtype() != DType.FLOAT32 || target.shape().length != 1) {
            throw new UserInputException("regression needs FLOAT32 targets [K] per sample, the data's target is " + target);
        }
        if (output.length != 1 || output[0] != target.shape()[0]) {
            throw new UserInputException("the model gives " + java.util.Arrays.toString(output) + " per sample, the "
                    + "regression targets are [" + target.shape()[0] + "]");
        }
    }

    @Override
    public int termsPerSample(Field target) { return 1; }

    @Override
    public void loss(Backend be, Tensor output, Tensor target, Tensor losses) {
        be.mseForward(output, target, losses);
    }

    @Override
    public void gradient(Backend be, Tensor output, Tensor target, float scale, Tensor dOutput) {
        be.mseBackward(output, target, scale, dOutput);
    }

    @Override
    public Map<String, Object> metrics(double lossSum, double score, long terms, long samples) {
        double mse = terms > 0 ? lossSum / terms : Double.NaN;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("test_loss", mse);
        m.put("test_rmse", Math.sqrt(mse));
        return m;
    }

    @Override
    public String lossKey() { return "test_loss"; }

    @Override
    public String toString() { return "mean squared error"; }
}
