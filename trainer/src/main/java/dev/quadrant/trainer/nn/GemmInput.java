package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;

/**
 * A layer's GEMM input where GEMMs round to bf16 ({@link Backend#gemmRoundsToBf16}): the input cast once into a BF16
 * buffer ({@link Declare#bf16Operand}) that the forward GEMM reads and the weight-gradient GEMM reads again, instead
 * of each GEMM casting it; the same bits, since the cast is the GEMM's own rounding. Without the buffer (any other
 * backend) the input itself. One per layer; not thread-safe.
 */
final class GemmInput {
    private final Tensor buffer;   // [maxRows, ..., in] BF16, or null
    private Tensor input;          // the last forward's input, not owned
    private Tensor rounded;        // its rows of buffer, as a matrix

    GemmInput(Tensor buffer) {
        this.buffer = buffer;
    }

    /** The forward GEMM's operand for {@code input} (kept for {@link #last}). */
    Tensor operand(Backend be, Tensor input) {
        this.input = input;
        rounded = buffer == null ? null : rounded(be, Shapes.asMatrix(input), buffer);
        return rounded != null ? rounded : Shapes.asMatrix(input);
    }

    /** The last forward's operand again, for the weight gradient. */
    Tensor last() {
        return rounded != null ? rounded : Shapes.asMatrix(input);
    }

    /** {@code m [n, k]} rounded to bf16 into the first rows of {@code into} (null: {@code m} itself), as a matrix. */
    static Tensor rounded(Backend be, Tensor m, Tensor into) {
        if (into == null) {
            return m;
        }
        Tensor r = Shapes.asMatrix(into).rows(0, m.dim(0));
        be.castToBf16(m, r);
        return r;
    }
}
