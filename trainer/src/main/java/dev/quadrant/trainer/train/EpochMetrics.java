package dev.quadrant.trainer.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one epoch (or the partial epoch that ends a {@code --steps} run) measured. {@code seconds} is the wall time
 * of the epoch's training steps (evaluation excluded); {@code samplesPerSecond} is the training throughput.
 *
 * <p>The per-step breakdown, averaged over the epoch's steps and the replicas: {@code computeMs} (forward, backward,
 * update, on the replica's own timeline: GPU time on a GPU), {@code commExposedMs} (time the replica waited for
 * communication that overlap did not hide, e.g. for all-reduce the wait for gradient buckets after backward) and
 * {@code dataWaitMs} (time the training loop spent assembling the step's batch before the replicas could start).
 */
public record EpochMetrics(int epoch, long step, double trainLoss, double testLoss, double testAccuracy,
                           double samplesPerSecond, double seconds, String strategy, int replicas,
                           double bytesMovedPerStep, double computeMs, double commExposedMs, double dataWaitMs,
                           Map<String, Object> extra) {

    /** The JSON-lines object of {@code --metrics}, keys in a fixed order. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", epoch);
        m.put("step", step);
        m.put("train_loss", trainLoss);
        m.put("test_loss", testLoss);
        m.put("test_accuracy", testAccuracy);
        m.put("samples_per_second", samplesPerSecond);
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
