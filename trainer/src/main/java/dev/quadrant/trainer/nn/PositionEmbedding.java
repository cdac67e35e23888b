package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;

/**
 * Learned absolute positions (GPT-2's {@code wpe}): {@code y[r, t, :] = x[r, t, :] + weight[t, :]} for
 * {@code x [rows, T, D]} and {@code weight [T, D]}. The table is added as one bias over {@code [rows, T * D]}; backward
 * adds the column sums of {@code dy} to the table's gradient and passes {@code dy} through unchanged.
 *
 * <p>The table decays (a 2-D weight, as nanoGPT) and starts normal with std {@code initStd}.
 *
 * <pre>{@code
 * Module wpe = new PositionEmbedding(1024, 768, 0.02);   // input [1024, 768], output the same
 * }</pre>
 */
public final class PositionEmbedding implements Module {
    private final int positions;
    private final int dim;
    private final double initStd;
    private ParamRef w;
    private ActivationRef ySlot;
    private Backend be;
    private Tensor table;    // [T * D]
    private Tensor dTable;   // [T * D]
    private Tensor y;        // [maxRows, T, D]

    /** A table for sequences of exactly {@code positions} tokens of width {@code dim}. */
    public PositionEmbedding(int positions, int dim, double initStd) {
        if (positions <= 0 || dim <= 0) {
            throw new UserInputException("PositionEmbedding sizes must be positive, got positions=" + positions
                    + " dim=" + dim);
        }
        this.positions = positions;
        this.dim = dim;
        this.initStd = initStd;
    }

    @Override
    public int[] declare(Declare d, int[] in) {
        if (in.length != 2 || in[0] != positions || in[1] != dim) {
            throw new UserInputException(d.name() + ": PositionEmbedding takes [T=" + positions + ", D=" + dim
                    + "] per sample, got " + Shapes.show(in) + (in.length == 2 && in[1] == dim
                    ? " (sequences must be exactly ctx=" + positions + " tokens long)" : ""));
        }
        w = d.param("weight", true, positions, dim);
        ySlot = d.saved("y", DType.FLOAT32, positions, dim);
        return in;
    }

    @Override
    public void initialize(Init init) { init.normal(w, initStd); }

    @Override
    public void bind(Bind b) {
        be = b.backend();
        table = b.value(w).reshape(positions * dim);
        dTable = b.gradient(w).reshape(positions * dim);
        y = b.tensor(ySlot);
    }

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) {
        int rows = x.dim(0);
        Tensor yb = y.rows(0, rows);
        be.copy(x, yb);
        be.addBias(yb.reshape(rows, positions * dim), table);
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        be.columnSums(dy.reshape(dy.dim(0), positions * dim), 1f, dTable);
        return ctx.needInputGradient() ? dy : null;
    }

    @Override
    public String describe() { return "PositionEmbedding(" + positions + ", " + dim + ")"; }
}
