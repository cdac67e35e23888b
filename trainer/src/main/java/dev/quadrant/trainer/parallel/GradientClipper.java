package dev.quadrant.trainer.parallel;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;

/**
 * Clipping by global L2 norm (PyTorch's {@code clip_grad_norm_}): if {@code ||g|| > maxNorm}, {@code g *= maxNorm /
 * (||g|| + 1e-6)}. A {@code maxNorm} of 0 disables it. Stateless.
 */
public final class GradientClipper {
    private GradientClipper() {}

    /** Clips {@code grad} in place and returns the norm before clipping (NaN when disabled). */
    public static double clip(Backend be, Tensor grad, float maxNorm) {
        if (maxNorm <= 0) {
            return Double.NaN;
        }
        double norm = be.l2Norm(grad);
        if (norm > maxNorm) {
            be.scale(grad, (float) (maxNorm / (norm + 1e-6)));
        }
        return norm;
    }
}
