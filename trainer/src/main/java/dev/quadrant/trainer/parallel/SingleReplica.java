package dev.quadrant.trainer.parallel;

import java.util.List;

/** The step of plain single-device training: gradients of the batch mean, optional clipping, one update. */
public final class SingleReplica implements StepRunner {
    private final Replica replica;
    private final float clipNorm;
    private StepBatch next;

    public SingleReplica(Replica replica, float clipNorm) {
        this.replica = replica;
        this.clipNorm = clipNorm;
    }

    @Override
    public String name() { return "single"; }

    @Override
    public List<Replica> replicas() { return List.of(replica); }

    @Override
    public void prefetch(StepBatch nextBatch) {
        this.next = nextBatch;
    }

    @Override
    public void step(StepBatch batch, float lr, long seed) {
        StepBatch upcoming = next;
        next = null;
        replica.beginStep();
        replica.clock().start();
        replica.zeroGradients();
        float scale = 1f / Math.max(1, batch.lossTerms());
        for (int k = 0; k < batch.microBatches(); k++) {
            replica.expectAfter(batch, k, upcoming, 0, 1);
            replica.computeGradients(batch, batch.microFrom(k), batch.microLength(k), scale, seed,
                    dev.quadrant.trainer.nn.Backward.IGNORE);
        }
        replica.applyGuardedUpdate(lr, clipNorm);   // clip and non-finite check on the device: no host wait
        replica.clock().lap(dev.quadrant.device.StepClock.Phase.COMPUTE);
        replica.endStep();
    }

    @Override
    public void close() {
        replica.close();
    }
}
