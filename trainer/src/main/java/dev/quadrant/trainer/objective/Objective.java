package dev.quadrant.trainer.objective;

import java.util.Map;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;
import dev.quadrant.trainer.data.Field;

/**
 * What training minimises and how a model is judged: the loss over a batch's loss terms (one per sample for a
 * classifier, one per position for a language model), its gradient, and the evaluation metrics.
 *
 * <p>The gradient scale is {@code 1 / (global number of loss terms of the step)}: each replica scales its shard's
 * gradient by the same global count, so summing the replicas' gradients (all-reduce) gives the gradient of the mean
 * over the whole batch, whatever the shards.
 *
 * <p>Implementations are stateless and thread-safe: {@link Classification}, {@link LanguageModelling},
 * {@link Regression}, or a user's own.
 */
public interface Objective {

    /** Short name, e.g. {@code classification}. */
    String name();

    /**
     * Checks that the model's per-sample output shape fits the target field, e.g. logits {@code [10]} for a label of
     * 10 classes; throws {@link dev.quadrant.device.UserInputException} naming both otherwise.
     */
    void check(int[] output, Field target);

    /** Loss terms per sample (1 for a classifier, T for a language model over T positions). */
    int termsPerSample(Field target);

    /**
     * Loss terms among {@code count} samples whose INT32 targets are {@code targets[0 .. count * target.size())}
     * (those equal to {@link Backend#IGNORE_INDEX} do not count), or {@code count * termsPerSample} when
     * {@code targets} is null (float targets).
     */
    default long lossTerms(Field target, int[] targets, int count) {
        if (targets == null) {
            return (long) count * termsPerSample(target);
        }
        long n = 0;
        int len = count * target.size();
        for (int i = 0; i < len; i++) {
            if (targets[i] != Backend.IGNORE_INDEX) {
                n++;
            }
        }
        return n;
    }

    /** Per-term losses {@code [rows * termsPerSample]} of {@code output [rows, ...]} against {@code target}. */
    void loss(Backend be, Tensor output, Tensor target, Tensor losses);

    /** {@code dOutput = scale * d(sum of the per-term losses)/d(output)}. */
    void gradient(Backend be, Tensor output, Tensor target, float scale, Tensor dOutput);

    /**
     * Adds what evaluation needs beyond the loss to {@code acc} (FLOAT32 {@code [1]}): for a classifier the number of
     * correct predictions; nothing by default.
     */
    default void score(Backend be, Tensor output, Tensor target, Tensor acc) {}

    /**
     * The metrics of an evaluation from the loss sum, the score sum and the number of loss terms and samples, with
     * the keys of the JSON lines (e.g. {@code test_loss}, {@code test_accuracy}).
     */
    Map<String, Object> metrics(double lossSum, double score, long terms, long samples);

    /** Key of the evaluation loss in {@link #metrics} (e.g. {@code test_loss}, {@code val_loss}). */
    String lossKey();
}
