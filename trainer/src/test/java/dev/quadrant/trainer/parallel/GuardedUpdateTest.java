package dev.quadrant.trainer.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.device.Activation;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;
import dev.quadrant.trainer.data.Dataset;
import dev.quadrant.trainer.nn.Backward;
import dev.quadrant.trainer.nn.Initializer;
import dev.quadrant.trainer.nn.ModelSpec;
import dev.quadrant.trainer.objective.Classification;
import dev.quadrant.trainer.optim.OptimizerConfig;
import dev.quadrant.trainer.optim.OptimizerKind;

/**
 * The device-side clipping and skipping ({@link Replica#applyGuardedUpdate}) against the host-side versions they
 * replace ({@link GradientClipper#clip}, then {@link Replica#applyUpdate} with its {@link Replica#checkGradients}) on
 * the CPU backend: the same parameters and optimizer state bit for bit after steps that were clipped, unclipped and
 * non-finite (skipped), the same skipped count and first parameter once read, and the same count of applied updates
 * (Adam's bias correction depends on it).
 */
class GuardedUpdateTest {
    static final int ROWS = 64;
    static final int BATCH = 8;
    static final int F = 6;

    static Dataset data(int poisoned) {
        float[] x = new float[ROWS * F];
        int[] y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            y[i] = i % 3;
            for (int j = 0; j < F; j++) {
                x[i * F + j] = (float) Math.sin(i * 7 + j) * 3 + y[i];
            }
        }
        if (poisoned >= 0) {
            x[poisoned * F + 2] = Float.NaN;
        }
        return new Dataset("guarded", F, 3, x, y);
    }

    static Replica replica(OptimizerKind kind, float lr) {
        Dataset d = data(-1);
        Replica r = new Replica(0, BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 2), ModelSpec.parse("mlp:16"),
                d.schema(), Classification.INSTANCE, Activation.RELU, 0f, BATCH, OptimizerConfig.of(kind, lr, 0.01f));
        r.setParameters(r.model().initialValues(3, Initializer.HE));
        r.setNonFinitePolicy(NonFinitePolicy.SKIP);
        return r;
    }

    /** Step {@code s}'s batch: rows {@code 8 (s mod 8) ...}; row 13 (in steps 1, 9, ...) is NaN. */
    static StepBatch batch(Dataset d, int s) {
        long[] ids = new long[BATCH];
        for (int i = 0; i < BATCH; i++) {
            ids[i] = (long) (s % (ROWS / BATCH)) * BATCH + i;
        }
        return new StepBatch(d, ids, BATCH, 1, BATCH);
    }

    @ParameterizedTest
    @CsvSource({"SGD, 0.5, 0.3", "NESTEROV, 0.2, 0.3", "ADAM, 0.01, 0.3", "ADAMW, 0.01, 0", "ADAMW, 0.01, 1e9"})
    void deviceSideClippingAndSkippingAreBitIdenticalToTheHostSide(OptimizerKind kind, float lr, float clip) {
        Dataset d = data(13);
        int steps = 20;
        int clipped = 0;
        try (Replica host = replica(kind, lr); Replica dev = replica(kind, lr)) {
            for (int s = 0; s < steps; s++) {
                StepBatch b = batch(d, s);
                host.zeroGradients();
                host.computeGradients(b, 0, BATCH, 1f / BATCH, s, Backward.IGNORE);
                double norm = GradientClipper.clip(host.backend(), host.parameters().gradients(), clip);
                clipped += clip > 0 && norm > clip ? 1 : 0;
                host.applyUpdate(0.5f * lr + s * 0.01f * lr);
                dev.zeroGradients();
                dev.computeGradients(b, 0, BATCH, 1f / BATCH, s, Backward.IGNORE);
                dev.applyGuardedUpdate(0.5f * lr + s * 0.01f * lr, clip);
                if (s == 10) {
                    dev.readChecks();   // a read in the middle: the applied count folds, the run goes on the same
                }
            }
            dev.readChecks();
            float[] hp = host.getParameters();
            float[] dp = dev.getParameters();
            for (int i = 0; i < hp.length; i++) {
                assertEquals(Float.floatToRawIntBits(hp[i]), Float.floatToRawIntBits(dp[i]),
                        kind + " parameter " + i + ": host-side " + hp[i] + ", device-side " + dp[i]);
            }
            Map<String, float[]> hs = host.optimizer().downloadState();
            Map<String, float[]> ds = dev.optimizer().downloadState();
            for (String k : hs.keySet()) {
                float[] a = hs.get(k);
                float[] c = ds.get(k);
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(c[i]), kind + " " + k + "[" + i + "]");
                }
            }
            assertEquals(3, host.skippedUpdates(), "steps 1, 9 and 17 hold the NaN row");
            assertEquals(host.skippedUpdates(), dev.skippedUpdates());
            assertEquals(host.lastNonFiniteParameter(), dev.lastNonFiniteParameter());
            assertEquals("layers.0.weight", dev.lastNonFiniteParameter());
            assertEquals(host.optimizer().steps(), dev.optimizer().steps(), "applied updates");
            if (clip == 0.3f) {
                assertTrue(clipped > 0, "some steps were clipped (" + clipped + ")");
            }
            double[] hl = host.takeLoss();
            double[] dl = dev.takeLoss();
            assertEquals(hl[0], dl[0], "running loss without the diverged batches");
            assertEquals(hl[1], dl[1], "and its terms");
        }
    }

    @ParameterizedTest
    @CsvSource({"SGD", "ADAM"})
    void abortIsRaisedAtTheReadNamingTheParameterAndHowLongAgo(OptimizerKind kind) {
        Dataset d = data(13);
        try (Replica r = replica(kind, 0.01f)) {
            r.setNonFinitePolicy(NonFinitePolicy.ABORT);
            for (int s = 0; s < 5; s++) {   // step index 1 holds the NaN row
                r.zeroGradients();
                r.computeGradients(batch(d, s), 0, BATCH, 1f / BATCH, s, Backward.IGNORE);
                r.applyGuardedUpdate(0.01f, 1f);
            }
            NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class, r::readChecks);
            assertEquals("layers.0.weight", e.parameter());
            assertEquals(3, e.stepsAgo(), "the second of five updates: three before the read");
            assertTrue(e.getMessage().contains("the gradient of layers.0.weight is not finite"), e.getMessage());
            float[] p = r.getParameters();
            for (float v : p) {
                assertTrue(Float.isFinite(v), "the non-finite update was not applied");
            }
        }
    }
}
