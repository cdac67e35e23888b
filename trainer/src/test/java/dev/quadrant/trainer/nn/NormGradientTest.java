package dev.quadrant.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.quadrant.device.Activation;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * BatchNorm (training: batch statistics; evaluation: running statistics), the ResNet basic block (identity and
 * projection shortcuts, each norm) and a tiny ResNet, against float64 central differences on the
 * {@link ReferenceBackend}; BatchNorm's running statistics against a direct computation; the state entries' gradients
 * are exactly zero and the optimizer-facing flags are right.
 */
class NormGradientTest {
    private static final double TOL = 1e-6;
    private ReferenceBackend ref;

    @BeforeEach
    void open() { ref = new ReferenceBackend(); }

    @AfterEach
    void close() { ref.close(); }

    private void check(String what, Supplier<Module> m, int[] in, int rows, boolean training,
                       ModuleCheck.Objective objective) {
        try (ModuleCheck c = new ModuleCheck(ref, m.get(), in, DType.FLOAT32, 0, rows, objective, 7)) {
            c.context = training ? ForwardContext.training(3) : ForwardContext.eval();
            assertEquals(c.model.layout().entries().size(), c.checkAll(what, true, TOL), what);
        }
    }

    @Test
    void batchNormInTrainingUsesTheBatchStatistics() {
        Supplier<Module> bn = () -> new BatchNorm(BatchNorm.Statistics.SYNC);
        check("bn image 5x5x3", bn, new int[] {5, 5, 3}, 3, true, ModuleCheck.Objective.WEIGHTED_SUM);
        check("bn image 3x2x17", bn, new int[] {3, 2, 17}, 2, true, ModuleCheck.Objective.WEIGHTED_SUM);
        check("bn 1x1 image, 5 channels", bn, new int[] {1, 1, 5}, 4, true, ModuleCheck.Objective.WEIGHTED_SUM);
        check("bn features", () -> new BatchNorm(BatchNorm.Statistics.LOCAL), new int[] {6}, 5, true,
                ModuleCheck.Objective.WEIGHTED_SUM);
    }

    @Test
    void batchNormInEvaluationUsesTheRunningStatistics() {
        check("bn eval", () -> new BatchNorm(BatchNorm.Statistics.SYNC), new int[] {4, 3, 5}, 2, false,
                ModuleCheck.Objective.WEIGHTED_SUM);
    }

    @Test
    void basicBlocks() {
        Supplier<Module> bn = () -> new BatchNorm(BatchNorm.Statistics.SYNC);
        check("block identity, bn", () -> new BasicBlock(3, 1, false, bn, Activation.RELU), new int[] {5, 4, 3}, 2,
                true, ModuleCheck.Objective.WEIGHTED_SUM);
        check("block projection stride 2, bn", () -> new BasicBlock(4, 2, true, bn, Activation.RELU),
                new int[] {5, 4, 3}, 2, true, ModuleCheck.Objective.WEIGHTED_SUM);
        check("block projection, layer norm, gelu", () -> new BasicBlock(4, 1, true, LayerNorm::new, Activation.GELU),
                new int[] {4, 4, 2}, 2, true, ModuleCheck.Objective.WEIGHTED_SUM);
        check("block identity, no norm", () -> new BasicBlock(2, 1, false, null, Activation.TANH),
                new int[] {3, 5, 2}, 2, true, ModuleCheck.Objective.WEIGHTED_SUM);
    }

    @Test
    void tinyResNetUnderCrossEntropy() {
        ResNetSpec spec = (ResNetSpec) ModelSpec.parse("resnet:widths=3-4,blocks=2");
        Model m = spec.build(new ModelFactory.Inputs(new int[] {6, 6, 2}, DType.FLOAT32, 3, Activation.RELU, 0f));
        check("tiny resnet", m::root, new int[] {6, 6, 2}, 3, true, ModuleCheck.Objective.CROSS_ENTROPY);
    }

    @Test
    void runningStatisticsFollowPyTorch() {
        int rows = 3;
        int[] in = {2, 2, 3};
        try (ModuleCheck c = new ModuleCheck(ref, new BatchNorm(BatchNorm.Statistics.SYNC), in, DType.FLOAT32, 0, rows,
                ModuleCheck.Objective.WEIGHTED_SUM, 11)) {
            ParamLayout.Entry mean = c.model.layout().entry("running_mean");
            ParamLayout.Entry var = c.model.layout().entry("running_var");
            assertFalse(mean.trainable());
            assertFalse(var.trainable());
            assertFalse(mean.decay());
            assertTrue(c.model.layout().entry("weight").trainable());
            assertEquals(6, c.model.layout().trainableSize());
            assertTrue(c.model.sharesBatchStatistics());
            double[] before = ReferenceBackend.values(c.params.values());
            c.model.forward(c.x, ForwardContext.training(1));
            double[] after = ReferenceBackend.values(c.params.values());
            double[] xv = ReferenceBackend.values(c.x);
            int ch = 3;
            int n = xv.length / ch;
            for (int j = 0; j < ch; j++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += xv[i * ch + j];
                }
                double mu = s / n;
                double ss = 0;
                for (int i = 0; i < n; i++) {
                    ss += (xv[i * ch + j] - mu) * (xv[i * ch + j] - mu);
                }
                int mo = Math.toIntExact(mean.offset()) + j;
                int vo = Math.toIntExact(var.offset()) + j;
                double m = BatchNorm.MOMENTUM;
                assertEquals((1 - m) * before[mo] + m * mu, after[mo], 1e-12, "running_mean " + j);
                assertEquals((1 - m) * before[vo] + m * ss / (n - 1), after[vo], 1e-12, "running_var " + j);
            }
            double[] evalBefore = ReferenceBackend.values(c.params.values());
            c.model.forward(c.x, ForwardContext.eval());
            assertArrayEquals(evalBefore, ReferenceBackend.values(c.params.values()), "evaluation moves no statistic");
        }
    }

    @Test
    void oneValuePerChannelIsAClearError() {
        try (ModuleCheck c = new ModuleCheck(ref, new BatchNorm(BatchNorm.Statistics.SYNC), new int[] {1, 1, 2},
                DType.FLOAT32, 0, 1, ModuleCheck.Objective.WEIGHTED_SUM, 1)) {
            Tensor x = c.x;
            UserInputException e = assertThrows(UserInputException.class,
                    () -> c.model.forward(x, ForwardContext.training(1)));
            assertTrue(e.getMessage().contains("more than one value per channel"), e.getMessage());
        }
    }

    @Test
    void resnetNamesAreTorchvisions() {
        Model m = ModelSpec.parse("resnet").build(
                new ModelFactory.Inputs(new int[] {28, 28, 1}, DType.FLOAT32, 10, Activation.RELU, 0f));
        List<String> names = m.layout().entries().stream().map(ParamLayout.Entry::name).toList();
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                "layer1.0.conv1.weight", "layer1.0.bn1.weight", "layer1.0.bn1.bias", "layer1.0.bn1.running_mean",
                "layer1.0.bn1.running_var", "layer1.0.conv2.weight", "layer1.0.bn2.weight", "layer1.0.bn2.bias",
                "layer1.0.bn2.running_mean", "layer1.0.bn2.running_var"), names.subList(0, 15));
        assertTrue(names.contains("layer2.0.downsample.0.weight"), names.toString());
        assertTrue(names.contains("layer3.0.downsample.1.running_var"), names.toString());
        assertEquals("fc.bias", names.get(names.size() - 1));
        assertArrayEquals(new int[] {10}, m.outputShape());
        assertEquals("resnet:widths=16-32-64,blocks=1,norm=batch", ModelSpec.parse("resnet").toString());
        assertEquals(ModelSpec.parse("resnet:blocks=2,norm=layer"),
                ModelSpec.parse(ModelSpec.parse("resnet:blocks=2,norm=layer").toString()));
    }

    @Test
    void aStackIsLeNetParameterForParameter() {
        var in = new ModelFactory.Inputs(new int[] {28, 28, 1}, DType.FLOAT32, 10, Activation.RELU, 0f);
        Model lenet = ModelSpec.parse("lenet").build(in);
        Model stack = ModelSpec.parse("stack:conv6k5p2,relu,max2,conv16k5,relu,max2,fc120,relu,fc84,relu").build(in);
        assertEquals(lenet.layout().entries().toString(), stack.layout().entries().toString());
        assertArrayEquals(lenet.initialValues(4, Initializer.HE), stack.initialValues(4, Initializer.HE));
    }

    @Test
    void badSpecsAreClearErrors() {
        var in = new ModelFactory.Inputs(new int[] {6, 6, 1}, DType.FLOAT32, 10, Activation.RELU, 0f);
        assertMessage("the stride must be in 1..", () -> ModelSpec.parse("stack:conv4k3s0"));
        assertMessage("the kernel must be in 1..", () -> ModelSpec.parse("stack:conv4k0"));
        assertMessage("'pool3' is not a layer", () -> ModelSpec.parse("stack:pool3"));
        assertMessage("does not fit an input", () -> ModelSpec.parse("stack:conv4k7").build(in));
        assertMessage("norm=group is not one of", () -> ModelSpec.parse("resnet:norm=group"));
        assertMessage("blocks=0 must be in 1..64", () -> ModelSpec.parse("resnet:blocks=0"));
        assertMessage("resnet takes images [H, W, C]", () -> ModelSpec.parse("resnet").build(
                new ModelFactory.Inputs(new int[] {784}, DType.FLOAT32, 10, Activation.RELU, 0f)));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        UserInputException x = assertThrows(UserInputException.class, e);
        assertTrue(x.getMessage().contains(part), x.getMessage());
    }
}
