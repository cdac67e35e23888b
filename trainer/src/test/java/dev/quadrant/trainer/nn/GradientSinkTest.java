package dev.quadrant.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.cpu.CpuBackend;

/**
 * Gradients left to their first writer ({@link GradientSink}): a step's gradients are the same, bit for bit, as
 * accumulating onto a zeroed buffer, whatever the buffer held before; accumulation over micro-batches still adds; a
 * gradient with a plain (accumulating) writer is zeroed by {@link Parameters#beginStep} and its sinks always say 1.
 */
class GradientSinkTest {
    private static final boolean POISON = Boolean.getBoolean(Parameters.POISON_PROPERTY);

    @Test
    void aStepOverwritesWhateverTheBufferHeldAndMicroBatchesStillAdd() {
        try (Backend be = new CpuBackend(2);
             ModuleCheck c = new ModuleCheck(be, new Sequential(List.of(new Linear(7), new Act(Activation.RELU),
                     new Linear(3))), new int[] {5}, DType.FLOAT32, 0, 6, ModuleCheck.Objective.WEIGHTED_SUM, 11)) {
            c.gradients(false);   // the old way: zero-fill, then accumulate
            float[] zeroFilled = download(be, c.params.gradients().size(), c);

            float[] junk = new float[zeroFilled.length];
            Arrays.fill(junk, 1e30f);
            be.upload(junk, 0, c.params.gradients());
            c.params.beginStep();   // leaves the Linear gradients alone: the first write overwrites them
            c.forwardBackward(false, Backward.IGNORE);
            assertArrayEquals(zeroFilled, download(be, zeroFilled.length, c), 0f, "a step on a dirty buffer");

            c.forwardBackward(false, Backward.IGNORE);   // a second micro-batch of the same step adds
            float[] twice = download(be, zeroFilled.length, c);
            for (int i = 0; i < twice.length; i++) {
                assertEquals(2 * zeroFilled[i], twice[i], 0f, "accumulated gradient " + i);
            }

            c.params.beginStep();
            c.forwardBackward(false, Backward.IGNORE);
            assertArrayEquals(zeroFilled, download(be, zeroFilled.length, c), 0f, "the next step starts afresh");
        }
    }

    @Test
    void aPlainWriterKeepsTheZeroFillAndUnwrittenGradientsReadAsZero() {
        ParamLayout layout = new ParamLayout.Builder().add("a", true, 3).add("b", true, 2).add("c", false, 2).build();
        try (Backend be = new CpuBackend(1); Parameters p = new Parameters(be, layout)) {
            GradientSink a = p.overwritableGradient("a");
            GradientSink b = p.overwritableGradient("b");
            p.accumulatingGradient("b");   // b also has a writer that adds (a tied weight's scatter-add)
            // c: nobody binds it (a state entry, an unused parameter): zeroed every step

            be.upload(new float[] {5, 5, 5, 5, 5, 5, 5}, 0, p.gradients());
            p.beginStep();
            float[] g = new float[7];
            be.download(p.gradients(), g, 0);
            for (int i = 0; i < 3; i++) {
                assertTrue(POISON ? Float.isNaN(g[i]) : g[i] == 5f, "a is left to its first writer: " + g[i]);
            }
            assertArrayEquals(new float[] {0, 0, 0, 0}, Arrays.copyOfRange(g, 3, 7), "b and c are zeroed");

            assertEquals(0f, a.beta(), "a's first write overwrites");
            assertEquals(1f, a.beta(), "a's second write adds");
            assertEquals(1f, b.beta(), "b has a plain writer: always adds");
            assertEquals(1f, b.beta());

            p.zeroUnwritten();   // a was written: untouched
            be.download(p.gradients(), g, 0);
            assertTrue(POISON ? Float.isNaN(g[0]) : g[0] == 5f, "a written this step stays as written");

            p.beginStep();
            p.zeroUnwritten();   // nothing wrote a this step: it must read as zero
            be.download(p.gradients(), g, 0);
            assertArrayEquals(new float[7], g, "no writes: a zero gradient");
            assertEquals(1f, a.beta(), "zeroUnwritten counts as the first write");
        }
    }

    private static float[] download(Backend be, long n, ModuleCheck c) {
        float[] out = new float[Math.toIntExact(n)];
        be.download(c.params.gradients(), out, 0);
        return out;
    }
}
