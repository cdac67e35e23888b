package dev.quadrant.trainer.nn;

/**
 * A piece of a model with an explicit forward and backward pass (llm.c style: no autograd tape). A module tree is
 * fixed when the model is built, so its parameters and its activation buffers are planned once, up front.
 *
 * <p>Lifecycle, driven by {@link Model}:
 * <ol>
 *   <li>{@link #declare}: the module names its parameters ({@link Declare#param}) and the activation buffers it needs
 *       per sample ({@link Declare#saved}, {@link Declare#gradient}, {@link Declare#scratch}), and returns the
 *       per-sample shape of its output for the per-sample shape of its input; it throws a
 *       {@link dev.quadrant.device.UserInputException} if it cannot take that input.</li>
 *   <li>{@link #initialize}: writes initial parameter values into the host copy of the flat buffer.</li>
 *   <li>{@link #bind}: takes views of its parameters, gradients and activation buffers on one backend.</li>
 *   <li>any number of {@link #forward}/{@link #backward} pairs on batches of at most the planned rows.</li>
 * </ol>
 *
 * <p>The gradient convention: every backward ACCUMULATES into the flat gradient buffer (which the replica zeroes
 * once per optimizer step). That one rule gives residual fan-in, tied weights and gradient accumulation without
 * special cases. A module may use a parameter declared by an EARLIER module (a language model's head tied to the
 * token embedding), never a later one: backward then finishes the gradients from the end of the layout down, which
 * is what lets all-reduce start on buckets while backward goes on ({@link Backward#ready}).
 *
 * <p>A module instance belongs to one replica (one thread).
 *
 * <pre>{@code
 * final class Scale implements Module {                // y = a * x, one learned scalar
 *     private ParamRef a; private Slot y; private Slot dx;
 *     private Tensor av, ag, yb, dxb; private Backend be;
 *     public int[] declare(Declare d, int[] in) {
 *         a = d.param("a", false, 1); y = d.saved("y", DType.FLOAT32, in); dx = d.gradient("dx", DType.FLOAT32, in);
 *         return in;
 *     }
 *     public void initialize(Init init) { init.fill(a, 1f); }
 *     public void bind(Bind b) { be = b.backend(); av = b.value(a); ag = b.gradient(a); yb = b.tensor(y); dxb = b.tensor(dx); }
 *     ...
 * }
 * }</pre>
 */
public interface Module {

    /** Declares parameters and activation buffers; returns the per-sample output shape for input shape {@code in}. */
    int[] declare(Declare d, int[] in);

    /** Writes initial parameter values; parameters it leaves alone stay zero. */
    default void initialize(Init init) {}

    /** Takes views of parameters, gradients and planned activation buffers. */
    void bind(Bind b);

    /**
     * Forward on {@code x [rows, ...in]}; returns {@code [rows, ...out]}, a view of a buffer of this module (or of
     * {@code x} itself) that stays valid until the next forward. Keeps what backward needs.
     */
    dev.quadrant.device.Tensor forward(dev.quadrant.device.Tensor x, ForwardContext ctx);

    /**
     * Backward for the last forward from {@code dy [rows, ...out]}: accumulates parameter gradients and returns the
     * input gradient {@code [rows, ...in]} (which the caller may overwrite), or null when
     * {@link Backward#needInputGradient()} is false. May overwrite {@code dy}.
     */
    dev.quadrant.device.Tensor backward(dev.quadrant.device.Tensor dy, Backward ctx);

    /** A short description, e.g. {@code Linear(784 -> 256)}. */
    String describe();
}
