package dev.quadrant.trainer.nn;

import org.junit.jupiter.api.Test;
import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.reference.ReferenceBackend;
import dev.quadrant.device.Activation;

/**
 * The {@code lenet} model on MNIST-sized images (same float32 parameters, images and labels) on the CPU backend
 * (float32) and on the float64 reference: logits and every parameter gradient agree within 5e-5 relative to each
 * tensor's largest reference value, as {@link GptCpuAgreementTest} (sums of at most a few hundred float32 terms).
 */
class LeNetCpuAgreementTest {
    private static final double TOL = 5e-5;

    @Test
    void cpuAgreesWithReference() {
        ModelFactory.Inputs in = new ModelFactory.Inputs(new int[] {28, 28, 1}, DType.FLOAT32, 10, Activation.RELU, 0f);
        ForwardContext ctx = ForwardContext.eval();
        try (ReferenceBackend ref = new ReferenceBackend();
             Backend cpu = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 2);
             ModuleCheck want = new ModuleCheck(ref, ModelSpec.parse("lenet").build(in).root(), new int[] {28, 28, 1},
                     DType.FLOAT32, 0, 3, ModuleCheck.Objective.CROSS_ENTROPY, 31);
             ModuleCheck got = new ModuleCheck(cpu, ModelSpec.parse("lenet").build(in).root(), new int[] {28, 28, 1},
                     DType.FLOAT32, 0, 3, ModuleCheck.Objective.CROSS_ENTROPY, 31)) {
            ModuleCheck.assertClose("lenet logits", ReferenceBackend.values(want.model.forward(want.x, ctx)),
                    ModuleCheck.floats(cpu, got.model.forward(got.x, ctx)), TOL);
            want.gradients(false);
            got.gradients(false);
            ModuleCheck.assertSameGradients("lenet", want, got, TOL);
        }
    }
}
