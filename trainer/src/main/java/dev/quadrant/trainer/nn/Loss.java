package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;

/**
 * A loss over a batch: per-sample values (summed into an accumulator for metrics) and the gradient of the mean over
 * the GLOBAL batch. Using {@code 1/globalBatch} as the gradient scale on every replica makes a sum all-reduce of the
 * replicas' gradients equal to one replica's gradient on the whole batch.
 */
public interface Loss {

    /** Per-sample losses {@code [rows]} of {@code out [rows, k]} against {@code target}. */
    void forward(Backend be, Tensor out, Tensor target, Tensor losses);

    /** {@code dOut = scale * d(sum of per-sample losses)/d(out)}. */
    void backward(Backend be, Tensor out, Tensor target, float scale, Tensor dOut);

    /** Softmax cross-entropy over class logits; targets are INT32 class indices. */
    Loss CROSS_ENTROPY = new Loss() {
        @Override
        public void forward(Backend be, Tensor out, Tensor target, Tensor losses) {
            be.softmaxCrossEntropyForward(out, target, losses);
        }

        @Override
        public void backward(Backend be, Tensor out, Tensor target, float scale, Tensor dOut) {
            be.softmaxCrossEntropyBackward(out, target, scale, dOut);
        }

        @Override
        public String toString() { return "cross-entropy"; }
    };

    /** Mean squared error per sample (mean over outputs); targets are FLOAT32 {@code [rows, k]}. */
    Loss MSE = new Loss() {
        @Override
        public void forward(Backend be, Tensor out, Tensor target, Tensor losses) {
            be.mseForward(out, target, losses);
        }

        @Override
        public void backward(Backend be, Tensor out, Tensor target, float scale, Tensor dOut) {
            be.mseBackward(out, target, scale, dOut);
        }

        @Override
        public String toString() { return "mse"; }
    };
}
