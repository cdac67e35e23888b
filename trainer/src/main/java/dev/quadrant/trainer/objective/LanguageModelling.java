package dev.quadrant.trainer.objective;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.data.Field;

/**
 * Next-token cross-entropy at every position: logits {@code [rows, T, V]} against INT32 targets {@code [rows, T]}
 * (a target of {@link Backend#IGNORE_INDEX} is skipped). Evaluation reports {@code val_loss} in nats per token and
 * {@code val_bpc}, bits per character (nats / ln 2), which is what a character-level model is compared by, and
 * {@code val_perplexity}.
 */
public final class LanguageModelling implements Objective {
    public static final LanguageModelling INSTANCE = new LanguageModelling();

    private LanguageModelling() {}

    @Override
    public String name() { return "language-modelling"; }

    @Override
    public void check(int[] output, Field target) {
        if (target.dtype() != DType.INT32 || target.shape().length != 1) {
            throw new UserInputException("language modelling needs INT32 targets [T] per sample, the data's target is "
                    + target);
        }
        int t = target.shape()[0];
        if (output.length != 2 || output[0] != t || output[1] != target.categories()) {
            throw new UserInputException("the model gives " + java.util.Arrays.toString(output) + " per sample, "
                    + "language modelling of " + t + " positions over a vocabulary of " + target.categories()
                    + " needs [" + t + ", " + target.categories() + "]");
        }
    }

    @Override
    public int termsPerSample(Field target) { return target.shape()[0]; }

    private static Tensor rows(Tensor logits) {
        return logits.reshape(logits.dim(0) * logits.dim(1), logits.dim(2));
    }

    private static Tensor flat(Tensor targets) {
        return targets.reshape(targets.intSize());
    }

    @Override
    public void loss(Backend be, Tensor output, Tensor target, Tensor losses) {
        be.softmaxCrossEntropyForward(rows(output), flat(target), losses);
    }

    @Override
    public void gradient(Backend be, Tensor output, Tensor target, float scale, Tensor dOutput) {
        be.softmaxCrossEntropyBackward(rows(output), flat(target), scale, rows(dOutput));
    }

    @Override
    public Map<String, Object> metrics(double lossSum, double score, long terms, long samples) {
        double loss = terms > 0 ? lossSum / terms : Double.NaN;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("val_loss", loss);
        m.put("val_bpc", loss / Math.log(2));
        m.put("val_perplexity", Math.exp(loss));
        return m;
    }

    @Override
    public String lossKey() { return "val_loss"; }

    @Override
    public String toString() { return "next-token cross-entropy"; }
}
