package dev.quadrant.tests.nosync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.examples.gpu.Check;
import dev.quadrant.examples.gpu.HostWaitCounter;
import dev.quadrant.examples.gpu.NoHostSyncCheck;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.NonFinitePolicy;
import dev.quadrant.trainer.nn.Backward;
import dev.quadrant.trainer.parallel.GradientClipper;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepBatch;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;

/**
 * "A step never waits for the host": with {@code --clip-norm 1} and either {@code --on-nan} policy, the synchronous
 * strategies make no host wait ({@link HostWaitCounter#WAITS}) inside a step on the CPU backend, and the device-side
 * checks still catch the poisoned batch: {@code skip} drops exactly the poisoned steps (counted in
 * {@code skipped_steps}), {@code abort} ends the run naming the step and the parameter ({@link NoHostSyncCheck}).
 * A control runs the host-side step these checks replaced through the same counter and sees its waits. The same on
 * the stub CUDA libraries: {@link NoHostSyncFakesTest}; on a GPU host, {@code GpuChecks nosync}.
 */
class NoHostSyncTest {
    /** Runs {@link NoHostSyncCheck#run} and fails with its detail. */
    static void noWaitInsideASyncStep(String devices, String strategy, NonFinitePolicy policy,
                                      Training.BackendFactory backends) {
        Check c = NoHostSyncCheck.run(devices, strategy, policy, backends);
        assertTrue(c.passed(), c.toString());
    }

    @ParameterizedTest(name = "{1} on {0}, --on-nan {2}")
    @CsvSource({"cpu:1, allreduce, SKIP", "cpu:1, allreduce, ABORT", "cpu:2, allreduce, SKIP", "cpu:2, allreduce, ABORT",
        "cpu:2, ps, SKIP", "cpu:2, ps, ABORT"})
    void noHostWaitInsideAStepOnTheCpu(String devices, String strategy, NonFinitePolicy policy) {
        noWaitInsideASyncStep(devices, strategy, policy, Training.BackendFactory.DEFAULT);
    }

    /**
     * The control: the step as it was before the checks moved to the device (host-side {@code l2Norm} for clipping,
     * {@code allFinite} before the update), run through the same counter, waits at least twice per step.
     */
    @Test
    void theHostSideStepOfBeforeWaitsAndIsCounted() {
        HostWaitCounter c = new HostWaitCounter();
        TrainOptions o = NoHostSyncCheck.options("cpu:1", "allreduce");
        Training.Setup s = Training.setup(o);
        DataSplit data = NoHostSyncCheck.data();
        try (StepRunner guarded = Training.buildRunner(o, s, data, null, NonFinitePolicy.SKIP,
                c.wrap(Training.BackendFactory.DEFAULT))) {
            Replica rep = guarded.replicas().get(0);
            StepRunner hostSide = new StepRunner() {
                @Override
                public String name() { return "host-side single"; }

                @Override
                public List<Replica> replicas() { return List.of(rep); }

                @Override
                public void step(StepBatch batch, float lr, long seed) {
                    rep.zeroGradients();
                    rep.computeGradients(batch, 0, batch.rows(), 1f / Math.max(1, batch.lossTerms()), seed,
                            Backward.IGNORE);
                    GradientClipper.clip(rep.backend(), rep.parameters().gradients(), o.clipNorm);
                    rep.applyUpdate(lr);
                }

                @Override
                public long skippedSteps() { return rep.skippedUpdates(); }

                @Override
                public void close() {}
            };
            TrainResult r = new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.lr, s.schedule(), o.seed))
                    .fit(data, c.marking(hostSide), List.of());
            assertEquals(2L, r.last().extra().get("skipped_steps"));
        }
        assertTrue(c.inSteps.get() >= 2 * c.steps.get(), "l2Norm and allFinite in every step: " + c);
        assertTrue(c.inStepByMethod.containsKey("l2Norm") && c.inStepByMethod.containsKey("allFinite"), c.toString());
    }
}
