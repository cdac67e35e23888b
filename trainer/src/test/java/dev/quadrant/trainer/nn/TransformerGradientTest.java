package dev.quadrant.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * Every transformer module's backward (parameter gradients and input gradient) against central finite differences,
 * all in float64 on the {@link ReferenceBackend}: objective {@code sum(out * R)} for a fixed random {@code R}, or
 * softmax cross-entropy (one label ignored) for whole models. Tolerance 1e-6 relative to each tensor's largest
 * gradient: float64 central differences with step 1e-6 are good to about 1e-9 here, a wrong backward is off by O(1).
 *
 * <p>Shapes include 1 and sizes that are no multiple of 8: rows 1 and 3, T 1 and 5, D 6, heads 2 and 3, vocab 7.
 */
class TransformerGradientTest {
    static final int D = 6;
    static final int V = 7;
    static final double TOL = 1e-6;
    static final double PROJ_STD = 0.02 / Math.sqrt(4);

    private ReferenceBackend ref;

    @BeforeEach
    void open() { ref = new ReferenceBackend(); }

    @AfterEach
    void close() { ref.close(); }

    /** rows, T, heads. */
    static Stream<Arguments> shapes() {
        return Stream.of(Arguments.of(1, 1, 2), Arguments.of(3, 5, 3), Arguments.of(1, 5, 2), Arguments.of(3, 1, 3));
    }

    private void check(String what, Supplier<Module> m, int[] in, DType dtype, int rows, boolean inputGradient,
                       boolean training, ModuleCheck.Objective objective) {
        try (ModuleCheck c = new ModuleCheck(ref, m.get(), in, dtype, V, rows, objective, 11)) {
            if (training) {
                c.context = new ForwardContext(true, 5, 2);
            }
            int n = c.checkAll(what, inputGradient, TOL);
            assertEquals(c.model.layout().entries().size(), n, what + ": parameter tensors checked");
        }
    }

    private void check(String what, Supplier<Module> m, int[] in, int rows) {
        check(what, m, in, DType.FLOAT32, rows, true, false, ModuleCheck.Objective.WEIGHTED_SUM);
    }

    @ParameterizedTest(name = "rows {0}, T {1}")
    @MethodSource("shapes")
    void embedding(int rows, int t, int heads) {
        check("Embedding", () -> new Embedding(V, D, 0.02), new int[] {t}, DType.INT32, rows, false, false,
                ModuleCheck.Objective.WEIGHTED_SUM);
    }

    @ParameterizedTest(name = "rows {0}, T {1}")
    @MethodSource("shapes")
    void positionEmbedding(int rows, int t, int heads) {
        check("PositionEmbedding", () -> new PositionEmbedding(t, D, 0.02), new int[] {t, D}, rows);
    }

    @ParameterizedTest(name = "rows {0}, T {1}")
    @MethodSource("shapes")
    void layerNorm(int rows, int t, int heads) {
        check("LayerNorm [T, D]", LayerNorm::new, new int[] {t, D}, rows);
        check("LayerNorm [D]", LayerNorm::new, new int[] {D}, rows);
    }

    @ParameterizedTest(name = "rows {0}, T {1}, heads {2}")
    @MethodSource("shapes")
    void causalSelfAttention(int rows, int t, int heads) {
        check("CausalSelfAttention", () -> new CausalSelfAttention(D, heads, 0f, PROJ_STD), new int[] {t, D}, rows);
    }

    @ParameterizedTest(name = "rows {0}, T {1}, heads {2}")
    @MethodSource("shapes")
    void causalSelfAttentionWithDropout(int rows, int t, int heads) {
        check("CausalSelfAttention dropout 0.3", () -> new CausalSelfAttention(D, heads, 0.3f, PROJ_STD),
                new int[] {t, D}, DType.FLOAT32, rows, true, true, ModuleCheck.Objective.WEIGHTED_SUM);
    }

    @ParameterizedTest(name = "rows {0}, T {1}")
    @MethodSource("shapes")
    void mlp(int rows, int t, int heads) {
        check("Mlp", () -> new Mlp(D, 0f, PROJ_STD), new int[] {t, D}, rows);
        check("Mlp dropout 0.3", () -> new Mlp(D, 0.3f, PROJ_STD), new int[] {t, D}, DType.FLOAT32, rows, true, true,
                ModuleCheck.Objective.WEIGHTED_SUM);
    }

    @ParameterizedTest(name = "rows {0}, T {1}, heads {2}")
    @MethodSource("shapes")
    void block(int rows, int t, int heads) {
        check("Block", () -> new Block(D, heads, 0f, PROJ_STD), new int[] {t, D}, rows);
        check("Block dropout 0.3", () -> new Block(D, heads, 0.3f, PROJ_STD), new int[] {t, D}, DType.FLOAT32, rows,
                true, true, ModuleCheck.Objective.WEIGHTED_SUM);
    }

    @ParameterizedTest(name = "rows {0}, T {1}")
    @MethodSource("shapes")
    void lmHeadUntied(int rows, int t, int heads) {
        check("LmHead untied", () -> LmHead.untied(V), new int[] {t, D}, rows);
    }

    @ParameterizedTest(name = "rows {0}, T {1}")
    @MethodSource("shapes")
    void lmHeadTied(int rows, int t, int heads) {
        check("LmHead tied", () -> new Sequential(List.of("transformer.wte", "lm_head"),
                List.of(new DeclaresWeight(V, D), LmHead.tied("transformer.wte.weight", V))), new int[] {t, D}, rows);
    }

    @ParameterizedTest(name = "rows {0}, T {1}")
    @MethodSource("shapes")
    void embeddingWithTiedHeadSumsBothUses(int rows, int t, int heads) {
        check("Embedding + tied LmHead", () -> new Sequential(List.of("transformer.wte", "lm_head"),
                        List.of(new Embedding(V, D, 0.02), LmHead.tied("transformer.wte.weight", V))),
                new int[] {t}, DType.INT32, rows, false, false, ModuleCheck.Objective.WEIGHTED_SUM);
    }

    @ParameterizedTest(name = "rows {0}, T {1}, heads {2}")
    @MethodSource("shapes")
    void gptTiedUnderCrossEntropy(int rows, int t, int heads) {
        check("Gpt tied", () -> Gpt.build(2, heads, D, t, V, 0f, true), new int[] {t}, DType.INT32, rows, false, false,
                ModuleCheck.Objective.CROSS_ENTROPY);
    }

    @Test
    void gptUntiedWithDropoutUnderCrossEntropy() {
        check("Gpt untied, dropout 0.2", () -> Gpt.build(2, 3, D, 5, V, 0.2f, false), new int[] {5}, DType.INT32, 3,
                false, true, ModuleCheck.Objective.CROSS_ENTROPY);
    }

    /** Declares {@code weight [V, D]} and passes its input through: gives a tied head a weight to tie to. */
    static final class DeclaresWeight implements Module {
        private final int vocab;
        private final int dim;
        private ParamRef w;

        DeclaresWeight(int vocab, int dim) {
            this.vocab = vocab;
            this.dim = dim;
        }

        @Override
        public int[] declare(Declare d, int[] in) {
            w = d.param("weight", true, vocab, dim);
            return in;
        }

        @Override
        public void bind(Bind b) {}

        @Override
        public Tensor forward(Tensor x, ForwardContext ctx) { return x; }

        @Override
        public Tensor backward(Tensor dy, Backward ctx) { return ctx.needInputGradient() ? dy : null; }

        @Override
        public String describe() { return "DeclaresWeight"; }
    }
}
