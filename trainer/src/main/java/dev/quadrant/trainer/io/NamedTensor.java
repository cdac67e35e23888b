package dev.quadrant.trainer.io;

import dev.quadrant.device.DType;
import java.util.Arrays;
import java.util.Objects;

/**
 * A named host array with a shape: one entry of a safetensors file.
 *
 * <p>Float tensors ({@link DType#FLOAT32}, and {@link DType#BF16} as read from a file, widened to float) hold a
 * {@code float[]}; {@link DType#INT32} tensors an {@code int[]}. Row-major, like {@link dev.quadrant.device.Tensor}.
 *
 * <pre>{@code
 * NamedTensor w = NamedTensor.ofFloats("fc1.weight", weights, 128, 784);  // [128, 784]
 * NamedTensor y = NamedTensor.ofInts("labels", labels, labels.length);
 * }</pre>
 *
 * <p>The data array is shared, not copied (checkpoints can be large): the caller must not change it while the tensor
 * is being written. Otherwise immutable and safe to share between threads.
 */
public final class NamedTensor {
    private final String name;
    private final DType dtype;
    private final int[] shape;
    private final float[] floats;
    private final int[] ints;

    private NamedTensor(String name, DType dtype, int[] shape, float[] floats, int[] ints) {
        this.name = Objects.requireNonNull(name, "name");
        this.dtype = dtype;
        this.shape = shape.clone();
        this.floats = floats;
        this.ints = ints;
        long n = elementCount(this.shape);
        int length = floats != null ? floats.length : ints.length;
        if (n != length) {
            throw new IllegalArgumentException("tensor \"" + name + "\": shape " + Arrays.toString(shape) + " has " + n
                    + " elements but the data has " + length);
        }
    }

    /** A {@link DType#FLOAT32} tensor over {@code data} (not copied). */
    public static NamedTensor ofFloats(String name, float[] data, int... shape) {
        return new NamedTensor(name, DType.FLOAT32, shape, Objects.requireNonNull(data, "data"), null);
    }

    /** An {@link DType#INT32} tensor over {@code data} (not copied). */
    public static NamedTensor ofInts(String name, int[] data, int... shape) {
        return new NamedTensor(name, DType.INT32, shape, null, Objects.requireNonNull(data, "data"));
    }

    /** A tensor stored as bf16 in a file, widened to float. */
    static NamedTensor ofBf16(String name, float[] data, int... shape) {
        return new NamedTensor(name, DType.BF16, shape, data, null);
    }

    /**
     * Number of elements of {@code shape}: 0 if any dimension is 0, else the product.
     *
     * @throws IllegalArgumentException for a negative dimension
     * @throws ArithmeticException if the product overflows a long
     */
    static long elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            if (d == 0) {
                n = 0;
            }
        }
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public String name() { return name; }

    /** The element type in the file: {@code FLOAT32}, {@code INT32} or {@code BF16} (read only). */
    public DType dtype() { return dtype; }

    /** A copy of the shape. */
    public int[] shape() { return shape.clone(); }

    /** Number of elements. */
    public int size() { return floats != null ? floats.length : ints.length; }

    /** Whether the data is a {@code float[]} (FLOAT32 or BF16). */
    public boolean isFloat() { return floats != null; }

    /** The data of a float tensor (shared, not copied). */
    public float[] floats() {
        if (floats == null) {
            throw new IllegalStateException("tensor \"" + name + "\" is " + dtype + ", not a float tensor");
        }
        return floats;
    }

    /**
     * Refuses a float tensor holding NaN or an infinity, naming {@code source} (the file), the tensor, the first such
     * element and how many there are: parameters or optimizer state that are not finite would train or evaluate
     * nothing but NaN. An int tensor passes.
     *
     * @throws SafeTensorsFormatException if an element is not finite
     */
    public void requireFinite(String source) {
        if (floats == null) {
            return;
        }
        int first = -1;
        long count = 0;
        for (int i = 0; i < floats.length; i++) {
            if (!Float.isFinite(floats[i])) {
                count++;
                if (first < 0) {
                    first = i;
                }
            }
        }
        if (first >= 0) {
            throw new SafeTensorsFormatException(source + ": tensor " + Messages.quote(name) + " holds "
                    + floats[first] + " at element " + first + " (" + count + " of " + floats.length
                    + " elements are not finite); the file is damaged or was saved from a run that diverged");
        }
    }

    /** The data of an INT32 tensor (shared, not copied). */
    public int[] ints() {
        if (ints == null) {
            throw new IllegalStateException("tensor \"" + name + "\" is " + dtype + ", not an int tensor");
        }
        return ints;
    }

    /** Same name, dtype, shape and bit-identical elements. */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof NamedTensor)) {
            return false;
        }
        NamedTensor t = (NamedTensor) o;
        return name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && Arrays.equals(floats, t.floats) && Arrays.equals(ints, t.ints);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), Arrays.hashCode(floats), Arrays.hashCode(ints));
    }

    @Override
    public String toString() {
        return "NamedTensor[" + name + ", " + dtype.safetensorsName() + " " + Arrays.toString(shape) + "]";
    }
}
