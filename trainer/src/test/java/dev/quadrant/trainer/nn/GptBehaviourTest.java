package dev.quadrant.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.quadrant.device.DType;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * What a GPT must do besides having the right gradients: be causal, ACCUMULATE gradients (a tied weight's gradient
 * sums both of its uses), report final gradients to {@link Backward#ready} truthfully, and (on the reference
 * backend, float64) be deterministic.
 */
class GptBehaviourTest {
    private static final int T = 5;
    private static final int V = 7;
    private ReferenceBackend ref;

    @BeforeEach
    void open() { ref = new ReferenceBackend(); }

    @AfterEach
    void close() { ref.close(); }

    private ModuleCheck gpt(float dropout, boolean tie, long seed) {
        ModuleCheck c = new ModuleCheck(ref, Gpt.build(2, 3, 6, T, V, dropout, tie), new int[] {T}, DType.INT32, V, 3,
                ModuleCheck.Objective.CROSS_ENTROPY, seed);
        if (dropout > 0) {
            c.context = new ForwardContext(true, 21, 6);
        }
        return c;
    }

    /** Changing token t of one row changes no logit at a position before t (nor any logit of another row). */
    @ParameterizedTest(name = "dropout {0}")
    @ValueSource(floats = {0f, 0.3f})
    void changingATokenChangesNoEarlierLogit(float dropout) {
        try (ModuleCheck c = gpt(dropout, true, 4)) {
            int[] ids = ReferenceBackend.ints(c.x);
            double[] base = ReferenceBackend.values(c.model.forward(c.x, c.context));
            int row = 1;
            for (int t = 0; t < T; t++) {
                int[] changed = ids.clone();
                changed[row * T + t] = (ids[row * T + t] + 1) % V;
                ref.upload(changed, 0, c.x);
                double[] out = ReferenceBackend.values(c.model.forward(c.x, c.context));
                for (int r = 0; r < 3; r++) {
                    for (int s = 0; s < T; s++) {
                        int from = (r * T + s) * V;
                        boolean same = Arrays.equals(Arrays.copyOfRange(base, from, from + V),
                                Arrays.copyOfRange(out, from, from + V));
                        boolean mayChange = r == row && s >= t;
                        if (!mayChange && !same) {
                            fail("token " + t + " of row " + row + " changed the logits of row " + r + " position " + s);
                        }
                        if (r == row && s == t) {
                            assertTrue(!same, "token " + t + " did not change its own position's logits");
                        }
                    }
                }
            }
            ref.upload(ids, 0, c.x);
        }
    }

    /** Two forward-backward passes without zeroing give twice the gradients; the input gradient is written, not added. */
    @Test
    void backwardAccumulates() {
        try (ModuleCheck c = gpt(0.2f, true, 5)) {
            c.gradients(false);
            double[] once = ReferenceBackend.values(c.params.gradients());
            c.forwardBackward(false, Backward.IGNORE);
            double[] twice = ReferenceBackend.values(c.params.gradients());
            double[] doubled = Arrays.stream(once).map(g -> 2 * g).toArray();
            ModuleCheck.assertClose("twice the gradients", doubled, twice, 1e-13);
            assertTrue(Arrays.stream(once).anyMatch(g -> g != 0), "some gradient is non-zero");
        }
        try (ModuleCheck c = new ModuleCheck(ref, new Block(6, 2, 0f, 0.01), new int[] {T, 6}, DType.FLOAT32, 0, 3,
                ModuleCheck.Objective.WEIGHTED_SUM, 6)) {
            double[] dx1 = ReferenceBackend.values(c.gradients(true));
            double[] g1 = ReferenceBackend.values(c.params.gradients());
            double[] dx2 = ReferenceBackend.values(c.forwardBackward(true, Backward.IGNORE));
            double[] g2 = ReferenceBackend.values(c.params.gradients());
            assertArrayEquals(dx1, dx2, "the input gradient does not accumulate");
            ModuleCheck.assertClose("Block twice", Arrays.stream(g1).map(g -> 2 * g).toArray(), g2, 1e-13);
        }
    }

    /** The tied weight's gradient is the untied model's embedding gradient plus its head gradient. */
    @Test
    void tiedGradientSumsBothUses() {
        try (ModuleCheck tied = gpt(0f, true, 7); ModuleCheck untied = gpt(0f, false, 8)) {
            ParamLayout.Entry wte = tied.model.layout().entry("transformer.wte.weight");
            ParamLayout.Entry head = untied.model.layout().entry("lm_head.weight");
            double[] p = ReferenceBackend.values(tied.params.values());
            double[] q = Arrays.copyOf(p, p.length + Math.toIntExact(wte.size()));
            System.arraycopy(p, Math.toIntExact(wte.offset()), q, p.length, Math.toIntExact(wte.size()));
            ReferenceBackend.setValues(untied.params.values(), q);
            untied.copyInputsFrom(tied);
            assertEquals(tied.loss(), untied.loss(), 0, "same model, same loss");
            tied.gradients(false);
            untied.gradients(false);
            double[] gt = ReferenceBackend.values(tied.params.gradients());
            double[] gu = ReferenceBackend.values(untied.params.gradients());
            double[] want = Arrays.copyOf(gu, p.length);
            for (int i = 0; i < wte.size(); i++) {
                want[Math.toIntExact(wte.offset()) + i] += gu[Math.toIntExact(head.offset()) + i];
            }
            ModuleCheck.assertClose("tied gradient", want, gt, 1e-13);
        }
    }

    /**
     * Each offset backward reports is final: the gradients from it on never change afterwards. Reports come in
     * non-increasing order and end at 0 (what lets all-reduce start on buckets while backward goes on).
     */
    @ParameterizedTest(name = "tied {0}")
    @ValueSource(booleans = {true, false})
    void readyReportsAreFinal(boolean tie) {
        try (ModuleCheck c = gpt(0.1f, tie, 9)) {
            ref.fill(c.params.gradients(), 0f);
            List<Long> offsets = new ArrayList<>();
            List<double[]> snapshots = new ArrayList<>();
            c.forwardBackward(false, o -> {
                offsets.add(o);
                snapshots.add(ReferenceBackend.values(c.params.gradients()));
            });
            double[] end = ReferenceBackend.values(c.params.gradients());
            assertEquals(0L, offsets.get(offsets.size() - 1));
            for (int i = 0; i < offsets.size(); i++) {
                if (i > 0) {
                    assertTrue(offsets.get(i) <= offsets.get(i - 1), "reports out of order: " + offsets);
                }
                int from = Math.toIntExact(offsets.get(i));
                assertArrayEquals(Arrays.copyOfRange(end, from, end.length),
                        Arrays.copyOfRange(snapshots.get(i), from, end.length),
                        "gradients from offset " + from + " changed after it was reported final");
            }
            int blocks = 2;
            assertTrue(offsets.size() >= 2 * blocks + 2, "reports " + offsets);
        }
    }

    /** Dropout masks are keyed by global row: a shard starting at row 1 draws the masks of rows 1.. of the batch. */
    @Test
    void aShardSeesTheMasksOfItsGlobalRows() {
        try (ModuleCheck c = gpt(0.3f, true, 11)) {
            ForwardContext whole = new ForwardContext(true, 21, 6);
            double[] all = ReferenceBackend.values(c.model.forward(c.x, whole));
            ForwardContext shard = new ForwardContext(true, 21, 7);
            double[] part = ReferenceBackend.values(c.model.forward(c.x.rows(1, 3), shard));
            assertArrayEquals(Arrays.copyOfRange(all, T * V, all.length), part);
            double[] eval = ReferenceBackend.values(c.model.forward(c.x, ForwardContext.eval()));
            assertTrue(!Arrays.equals(all, eval), "dropout changed the logits in training");
        }
    }

    @Test
    void deterministic() {
        double[][] runs = new double[2][];
        for (int i = 0; i < 2; i++) {
            try (ModuleCheck c = gpt(0.2f, true, 10)) {
                c.gradients(false);
                runs[i] = ReferenceBackend.values(c.params.gradients());
            }
        }
        assertArrayEquals(runs[0], runs[1]);
    }

    @Test
    void describesItsTree() {
        String d = new Model(Gpt.build(2, 3, 6, T, V, 0.1f, true), new int[] {T}, DType.INT32).describe();
        assertTrue(d.startsWith("GPT(layers 2, heads 3, dim 6, ctx 5, vocab 7, dropout 0.1, tied head"), d);
        assertTrue(d.contains("transformer.h.1: Block(dim 6, 3 heads"), d);
        assertTrue(d.contains("lm_head: LmHead(6 -> 7, tied to transformer.wte.weight)"), d);
    }
}
