package dev.quadrant.trainer.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one evaluation measured: at each epoch's end (or the partial epoch that ends a {@code --steps} run), every
 * {@code --eval-every} steps, and at the end. {@code epoch} counts epochs from 1 (0 for step-based runs on data
 * drawn at random positions, which have none). {@code trainLoss} is the mean training loss per loss term since the
 * previous evaluation; {@code eval} holds the objective's metrics ({@code test_loss} and {@code test_accuracy} for a
 * classifier, {@code val_loss}, {@code val_bpc} and {@code val_perplexity} for a language model); {@code seconds} is
 * the wall time of the training steps since the previous evaluation (evaluation excluded) and
 * {@code samplesPerSecond} (and, for token data, {@code tokensPerSecond}) the training throughput over them.
 *
 * <p>The per-step breakdown, averaged over the steps and the replicas: {@code computeMs} (forward, backward, update,
 * on the replica's own timeline: GPU time on a GPU), {@code commExposedMs} (time the replica waited for
 * communication that overlap did not hide, e.g. for all-reduce the wait for gradient buckets after backward) and
 * {@code dataWaitMs} (time a step waited for its data: the training loop planning the next step's samples, plus the
 * slowest replica's wait for its rows, which its loader thread gathers while the previous step computes; with the
 * loader keeping up, only the planning is left).
 */
public record EpochMetrics(int epoch, long step, double trainLoss, Map<String, Object> eval, double samplesPerSecond,
                           double tokensPerSecond, double seconds, String strategy, int replicas,
                           double bytesMovedPerStep, double computeMs, double commExposedMs, double dataWaitMs,
                           Map<String, Object> extra) {

    /** A classifier's test loss, a language model's validation loss (NaN if the objective reports neither). */
    public double testLoss() {
        return number(eval.containsKey("test_loss") ? "test_loss" : "val_loss");
    }

    /** A classifier's test accuracy (NaN for other objectives). */
    public double testAccuracy() { return number("test_accuracy"); }

    /** A language model's validation loss in nats per token (NaN for other objectives). */
    public double valLoss() { return number("val_loss"); }

    /** Metric {@code key} of the evaluation as a number, NaN if absent. */
    public double number(String key) {
        Object v = eval.get(key);
        return v instanceof Number x ? x.doubleValue() : Double.NaN;
    }

    /** The JSON-lines object of {@code --metrics}, keys in a fixed order. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (epoch > 0) {
            m.put("epoch", epoch);
        }
        m.put("step", step);
        m.put("train_loss", trainLoss);
        m.putAll(eval);
        m.put("samples_per_second", samplesPerSecond);
        if (!Double.isNaN(tokensPerSecond)) {
            m.put("tokens_per_second", tokensPerSecond);
        }
        m.put("seconds", seconds);
        m.put("strategy", strategy);
        m.put("replicas", replicas);
        m.put("bytes_moved_per_step", bytesMovedPerStep);
        m.put("compute_ms", computeMs);
        m.put("comm_exposed_ms", commExposedMs);
        m.put("data_wait_ms", dataWaitMs);
        if (extra != null) {
            m.putAll(extra);
        }
        return m;
    }
}
