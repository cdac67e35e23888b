package dev.quadrant.trainer.parallel;

import java.util.List;

import dev.quadrant.device.cluster.ProcessGroup;

/**
 * Runs one optimizer step over a global batch on a set of replicas, keeping their model state according to a
 * strategy (a single replica; all-reduce; parameter server; Hogwild; gossip). The training loop does not know which.
 *
 * <p>Called from one driver thread; implementations with several replicas run each replica on its own thread.
 */
public interface StepRunner extends AutoCloseable {

    /** Strategy name as given to {@code --strategy} (e.g. {@code allreduce}); {@code single} for one replica. */
    String name();

    /** The replicas; replica 0 holds the parameters that are evaluated and saved. */
    List<Replica> replicas();

    /**
     * One optimizer step on {@code batch} (its micro-batches accumulated before one update), with learning rate
     * {@code lr} and a per-step {@code seed} for dropout.
     */
    void step(StepBatch batch, float lr, long seed);

    /**
     * Tells the runner the batch of the step after the next {@link #step}, so each replica's loader can gather its
     * rows while that step computes ({@link Replica#expectAfter}). A hint: a runner may ignore it, and a step whose
     * batch was not announced gathers its rows itself. Call it right before {@link #step}, from the driver thread.
     */
    default void prefetch(StepBatch next) {}

    /** Bytes moved between replicas per step per replica, averaged since the start (0 for one replica). */
    default double bytesMovedPerStep() { return 0; }

    /**
     * Sum of the replicas' per-term training losses since the last call, and their loss-term count, over every
     * replica of every process of the job; synchronises (in a job of several processes it is a collective: every
     * process calls it at the same steps, as the training loop does).
     */
    default double[] takeLossSum() {
        double sum = 0;
        long n = 0;
        for (Replica r : replicas()) {
            double[] loss = r.takeLoss();
            sum += loss[0];
            n += (long) loss[1];
        }
        return processes().sum(new double[] {sum, n});
    }

    /** The processes of the job this runner's replicas belong to ({@link ProcessGroup#single()} by default). */
    default ProcessGroup processes() { return ProcessGroup.single(); }

    /** Replicas in the whole job: this process's times the number of processes (every process has as many). */
    default int replicaCount() { return replicas().size() * processes().size(); }

    /**
     * Reads the device-side checks of the steps since the last read ({@link Replica#readChecks}) on every replica;
     * call where metrics are read (it synchronises), never inside a step. Under {@code --on-nan abort} throws the
     * {@link NonFiniteGradientException} of a skipped update. Asynchronous strategies check on the host in each step
     * and have nothing to read.
     */
    default void readChecks() {
        for (Replica r : replicas()) {
            r.readChecks();
        }
    }

    /**
     * Compute and exposed-communication time of the replicas' steps since the last call, summed over replicas (see
     * {@link dev.quadrant.device.StepClock}); call after {@link #consolidate()}, when no replica is running.
     */
    default dev.quadrant.device.StepClock.Totals takeStepTimes() {
        dev.quadrant.device.StepClock.Totals t = new dev.quadrant.device.StepClock.Totals(0, 0, 0);
        for (Replica r : replicas()) {
            t = t.plus(r.clock().take());
        }
        return t;
    }

    /** Fields a strategy adds to each epoch's metrics (e.g. staleness); none by default. */
    default java.util.Map<String, Object> extraMetrics() { return java.util.Map.of(); }

    /** Makes every replica hold replica 0's parameters (before evaluation or saving, for the async strategies). */
    default void consolidate() {}

    /**
     * The optimizer whose state, after {@link #consolidate()}, continues this run: replica 0's (for the synchronous
     * strategies every replica's state is the same, and replica 0 is the parameter server of {@code ps}), or the
     * server's for {@code hogwild}. Its {@link dev.quadrant.trainer.optim.Optimizer#steps()} is the number of updates
     * applied. Checkpoints save it; a run resumed from one gives this state to every replica before step 1.
     */
    default dev.quadrant.trainer.optim.Optimizer checkpointOptimizer() {
        return replicas().get(0).optimizer();
    }

    /**
     * Updates dropped so far because their gradients were not finite ({@code --on-nan skip}): replica 0's count for
     * the synchronous strategies (where every replica drops the same steps), the sum over replicas for the
     * asynchronous ones. May lag behind for the asynchronous strategies.
     */
    default long skippedSteps() {
        return replicas().get(0).skippedUpdates();
    }

    @Override
    void close();
}
