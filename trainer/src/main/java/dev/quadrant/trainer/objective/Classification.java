package dev.quadrant.trainer.objective;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.data.Field;

/**
 * Softmax cross-entropy over class logits {@code [rows, classes]} against INT32 labels; evaluation reports
 * {@code test_loss} (mean cross-entropy) and {@code test_accuracy}.
 */
public final class Classification implements Objective {
    public static final Classification INSTANCE = new Classification();

    private Classification() {}

    @Override
    public String name() { return "classification"; }

    @Override
    public void check(int[] output, Field target) {
        if (target.dtype() != DType.INT32 || target.shape().length != 0) {
            throw new UserInputException("classification needs a scalar INT32 label per sample, the data's target is "
                    + target);
        }
        if (output.length != 1 || output[0] != target.categories()) {
            throw new UserInputException("the model gives " + java.util.Arrays.toString(output) + " per sample, "
                    + "classification of " + target.categories() + " classes needs [" + target.categories() + "]");
        }
    }

    @Override
    public int termsPerSample(Field target) { return 1; }

    @Override
    public void loss(Backend be, Tensor output, Tensor target, Tensor losses) {
        be.softmaxCrossEntropyForward(output, target, losses);
    }

    @Override
    public void gradient(Backend be, Tensor output, Tensor target, float scale, Tensor dOutput) {
        be.softmaxCrossEntropyBackward(output, target, scale, dOutput);
    }

    @Override
    public void score(Backend be, Tensor output, Tensor target, Tensor acc) {
        be.countCorrect(output, target, acc);
    }

    @Override
    public Map<String, Object> metrics(double lossSum, double score, long terms, long samples) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("test_loss", terms > 0 ? lossSum / terms : Double.NaN);
        m.put("test_accuracy", terms > 0 ? score / terms : Double.NaN);
        return m;
    }

    @Override
    public String lossKey() { return "test_loss"; }

    @Override
    public String toString() { return "cross-entropy"; }
}
