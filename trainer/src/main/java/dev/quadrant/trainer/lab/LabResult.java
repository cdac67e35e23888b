package dev.quadrant.trainer.lab;

import java.util.List;
import java.util.Map;

/**
 * What {@link Lab#run} measured and predicted.
 *
 * @param parameters   the model's parameter count P
 * @param buckets      the all-reduce buckets' sizes in elements, in backward order
 * @param machine      this machine's calibration
 * @param measured     one point per strategy and replica count run (N = 1 once, as {@code single})
 * @param errors       the machine model's prediction against every measured point
 * @param predictions  per hardware profile, the predicted steps of every strategy at N = 1, 2, 4, ... 1024, under
 *                     strong and weak scaling
 * @param load         the system load average (1 minute) before calibration, after it, and after the runs: the
 *                     share of the machine others took while it was measured
 */
public record LabResult(LabOptions options, long parameters, long[] buckets, MachineProfile machine,
                        List<Measured> measured, List<ErrorRow> errors,
                        Map<HardwareProfile, Map<CostModel.Scaling, List<CostModel.Prediction>>> predictions,
                        double[] load) {

    /** One measured run: per-step wall time and the trainer's metrics over the timed steps. */
    public record Measured(String strategy, int n, double stepSeconds, double samplesPerSecond,
                           double bytesMovedPerStep, double stalenessMean, double trainLoss, double testLoss,
                           double computeMs, double commExposedMs) {}

    /** The machine model's prediction of one measured point; {@code error} = predicted / measured - 1. */
    public record ErrorRow(String strategy, int n, double predictedSeconds, double measuredSeconds,
                           double predictedComputeMs, double measuredComputeMs, double predictedExposedMs,
                           double measuredExposedMs) {
        public double error() { return predictedSeconds / measuredSeconds - 1; }

        /** Whether a synchronous strategy (allreduce, ps, or the single replica) */
        public boolean synchronous() { return !strategy.equals("hogwild") && !strategy.equals("gossip"); }
    }

    /** The measured point of {@code strategy} at {@code n} ({@code single} stands for every strategy at N = 1). */
    public Measured measured(String strategy, int n) {
        for (Measured m : measured) {
            if (m.n() == n && (m.strategy().equals(strategy) || n == 1)) {
                return m;
            }
        }
        return null;
    }
}
