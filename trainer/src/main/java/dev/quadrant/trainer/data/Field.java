package dev.quadrant.trainer.data;

import java.util.Arrays;

import dev.quadrant.device.DType;

/**
 * One field of a dataset's samples: its name, element type and per-sample shape ({@code []} for a scalar), and for
 * integer fields the number of distinct values it takes ({@code categories}: classes of a label, vocabulary of a
 * token field; 0 for float fields). Immutable.
 *
 * <pre>{@code
 * Field image = Field.floats("image", 28, 28, 1);
 * Field label = Field.ints("label", 10);              // I32 [], 10 classes
 * Field tokens = Field.ints("tokens", 65, 64);        // I32 [64], vocabulary 65
 * }</pre>
 */
public record Field(String name, DType dtype, int[] shape, int categories) {
    public Field {
        shape = shape.clone();
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("field " + name + " has a non-positive dimension: " + Arrays.toString(shape));
            }
        }
        if (dtype == DType.INT32 ? categories < 1 : categories != 0) {
            throw new IllegalArgumentException("field " + name + ": " + categories + " categories for " + dtype);
        }
    }

    /** A FLOAT32 field of the given per-sample shape. */
    public static Field floats(String name, int... shape) { return new Field(name, DType.FLOAT32, shape, 0); }

    /** An INT32 field with values in {@code [0, categories)} (or {@link dev.quadrant.device.Backend#IGNORE_INDEX}). */
    public static Field ints(String name, int categories, int... shape) {
        return new Field(name, DType.INT32, shape, categories);
    }

    @Override
    public int[] shape() { return shape.clone(); }

    /** Elements per sample. */
    public int size() {
        int n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * Whether this field, as a checkpoint or saved model recorded it, describes data of field {@code data}: the same
     * field, or its flat form (rank 1, same name, dtype, categories and element count). Files written before
     * images kept their shape record MNIST's input as {@code x F32[784]} where the data now has
     * {@code x F32[28, 28, 1]}; the MLP flattens its input, so its parameters are the same.
     */
    public boolean recordedFor(Field data) {
        return equals(data) || shape.length == 1 && data.shape.length > 1 && name.equals(data.name)
                && dtype == data.dtype && categories == data.categories && size() == data.size();
    }

    private static final java.util.regex.Pattern TEXT =
            java.util.regex.Pattern.compile("(\\S+) (F32|I32)\\[([0-9, ]*)\\](?: of ([0-9]+))?");

    /** Reads what {@link #toString()} writes, e.g. {@code tokens I32[64] of 65}. */
    public static Field parse(String text) {
        java.util.regex.Matcher m = TEXT.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a field: expected NAME F32[d, ...] or "
                    + "NAME I32[d, ...] of N");
        }
        String dims = m.group(3).trim();
        int[] shape = dims.isEmpty() ? new int[0]
                : Arrays.stream(dims.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        DType t = m.group(2).equals("F32") ? DType.FLOAT32 : DType.INT32;
        int categories = m.group(4) == null ? 0 : Integer.parseInt(m.group(4));
        return new Field(m.group(1), t, shape, categories);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Field f && f.name.equals(name) && f.dtype == dtype && Arrays.equals(f.shape, shape)
                && f.categories == categories;
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override
    public String toString() {
        return name + " " + dtype.safetensorsName() + Arrays.toString(shape) + (categories > 0 ? " of " + categories : "");
    }
}
