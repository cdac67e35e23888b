package dev.quadrant.trainer.train;

import dev.quadrant.device.DType;
import dev.quadrant.trainer.data.EpochOrder;
import dev.quadrant.trainer.data.Field;
import dev.quadrant.trainer.data.Samples;
import dev.quadrant.trainer.data.SplitMix64;
import dev.quadrant.trainer.objective.Objective;
import dev.quadrant.trainer.parallel.StepBatch;

/**
 * The batch of any step of a run, as a pure function of the plan and the position: the samples of batch {@code b} of
 * epoch {@code e} (a seeded permutation per epoch, or positions drawn from (seed, step, row) for data drawn at
 * random), the epoch's augmented view of the training set, and the step's loss terms (from the targets, for token
 * data with ignored positions). Each call returns a batch with arrays of its own, so the training loop can plan the
 * next step while the current one runs and the replicas' loaders gather it ({@link
 * dev.quadrant.trainer.parallel.StepRunner#prefetch}). The epoch's permutation and view are kept for the epoch being
 * planned. Not thread-safe (the driver thread's).
 */
final class StepPlanner {
    private final Trainer.Plan plan;
    private final Samples train;
    private final Objective objective;
    private final boolean random;
    private final long n;
    private int epoch = -1;       // the epoch whose order and view are kept
    private int[] order;          // [n] its permutation (EPOCHS order)
    private Samples view;         // its augmented training set

    StepPlanner(Trainer.Plan plan, Samples train, Objective objective) {
        this.plan = plan;
        this.train = train;
        this.objective = objective;
        this.random = train.order() == Samples.Order.RANDOM;
        this.n = train.size();
    }

    /** The batch of step {@code step}, which is batch {@code b} of epoch {@code e}. */
    StepBatch at(long step, int e, long b) {
        if (e != epoch) {
            order = random ? null : EpochOrder.permutation(plan.seed(), e, (int) n);
            view = plan.augment().apply(train, plan.seed(), e);   // the training split only
            epoch = e;
        }
        int rows;
        long[] ids;
        if (random) {
            rows = plan.stepRows();
            ids = new long[rows];
            for (int i = 0; i < rows; i++) {
                ids[i] = Math.floorMod(SplitMix64.derive(SplitMix64.derive(plan.seed(), step), i), n);
            }
        } else {
            int from = Math.toIntExact(b * plan.stepRows());
            rows = (int) Math.min(plan.stepRows(), n - from);   // a step never repeats a sample
            ids = new long[rows];
            for (int i = 0; i < rows; i++) {
                ids[i] = order[from + i];
            }
        }
        Field target = train.schema().target();
        long terms;
        if (target.dtype() == DType.INT32) {
            int[] t = new int[Math.multiplyExact(rows, target.size())];
            train.gather(1, ids, 0, rows, t);
            terms = objective.lossTerms(target, t, rows);
        } else {
            terms = objective.lossTerms(target, null, rows);
        }
        return new StepBatch(view, ids, rows, plan.gradAccum(), terms);
    }
}
