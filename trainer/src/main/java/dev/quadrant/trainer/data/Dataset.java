package dev.quadrant.trainer.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * A classification dataset held in memory: {@code size()} rows of {@code features()} float features and one integer
 * label in {@code [0, classes())} per row. Each row has a shape, {@link #shape()}: flat {@code [features]} for CSV
 * and synthetic data, {@code [H, W, C]} (channels last) for images, which the schema's input field carries
 * ({@code x F32[28, 28, 1]}).
 *
 * <p>Features are stored row-major in one array, {@code x()[row * features() + j]}, so that a row is a contiguous
 * slice that {@link #gather} copies with one {@code System.arraycopy}. The accessors {@link #x()} and
 * {@link #y()} return the internal arrays without copying (a copy of MNIST costs 188 MB): they are <b>read-only by
 * contract</b>, and writing into them is a bug. The constructor takes ownership of the arrays it is given.
 *
 * <p>Immutable (under that contract) and thread-safe: any number of replica threads may read one dataset.
 * Example:
 * <pre>{@code
 * Dataset d = new Dataset("xor", 2, 2,
 *         new float[] {0, 0, 0, 1, 1, 0, 1, 1},   // [4, 2]
 *         new int[] {0, 1, 1, 0});                 // [4]
 * float secondRowFirstFeature = d.x()[1 * d.features() + 0];
 * }</pre>
 */
public final class Dataset implements Samples {
    /** The most classes a dataset may have. */
    public static final int MAX_CLASSES = 10_000;
    /** The longest array the JVM reliably allocates (as {@code jdk.internal.util.ArraysSupport.SOFT_MAX_ARRAY_LENGTH}). */
    public static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final String name;
    private final int features;
    private final int[] shape; // per row; the product is features
    private final int classes;
    private final float[] x; // [size, features] row-major
    private final int[] y;   // [size]

    /**
     * @param name     a short human-readable name ("mnist/train", "synthetic-784x10-seed42/test")
     * @param features features per row, at least 1
     * @param classes  number of classes, 2 to {@link #MAX_CLASSES}
     * @param x        the features, [size, features] row-major; owned by the dataset from now on
     * @param y        the labels, [size], each in [0, classes); owned by the dataset from now on
     * @throws IllegalArgumentException if the lengths disagree or a label is out of range (readers check user data
     *                                  themselves and report a {@link DataFormatException} first)
     */
    public Dataset(String name, int features, int classes, float[] x, int[] y) {
        this(name, new int[] {features}, classes, x, y);
    }

    /**
     * As {@link #Dataset(String, int, int, float[], int[])} for rows of the given shape, e.g. {@code [28, 28, 1]}
     * for MNIST images (channels last); {@code features()} is the product of the dimensions.
     *
     * @throws IllegalArgumentException if a dimension is not positive, or as the flat form
     */
    public Dataset(String name, int[] shape, int classes, float[] x, int[] y) {
        this.name = Objects.requireNonNull(name, "name");
        this.shape = Objects.requireNonNull(shape, "shape").clone();
        long product = 1;
        for (int d : this.shape) {
            if (d < 1) {
                throw new IllegalArgumentException(name + ": row shape " + Arrays.toString(shape)
                        + " has a dimension < 1");
            }
            product = Math.min(product * d, Integer.MAX_VALUE + 1L);
        }
        if (this.shape.length == 0 || product > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + ": row shape " + Arrays.toString(shape) + " is not 1.."
                    + Integer.MAX_VALUE + " features");
        }
        int features = (int) product;
        this.x = Objects.requireNonNull(x, "x");
        this.y = Objects.requireNonNull(y, "y");
        if (name.isBlank()) {
            throw new IllegalArgumentException("dataset name is blank");
        }
        if (features < 1) {
            throw new IllegalArgumentException(name + ": features must be >= 1, got " + features);
        }
        if (classes < 2 || classes > MAX_CLASSES) {
            throw new IllegalArgumentException(name + ": classes must be in 2.." + MAX_CLASSES + ", got " + classes);
        }
        if ((long) y.length * features != x.length) {
            throw new IllegalArgumentException(name + ": x has " + x.length + " values, expected " + y.length
                    + " rows x " + features + " features = " + (long) y.length * features);
        }
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0 || y[i] >= classes) {
                throw new IllegalArgumentException(name + ": label of row " + i + " is " + y[i]
                        + ", expected 0.." + (classes - 1));
            }
        }
        this.features = features;
        this.classes = classes;
    }

    /** The name given at construction. */
    @Override
    public String name() { return name; }

    /** Number of rows. */
    @Override
    public long size() { return y.length; }

    /** Number of rows, as an int. */
    public int rows() { return y.length; }

    /** {@code x F32[shape]} ({@code x F32[features]} for flat rows) and {@code label I32[] of classes}. */
    @Override
    public Schema schema() { return new Schema(Field.floats("x", shape), Field.ints("label", classes)); }

    @Override
    public void gather(int field, long[] ids, int from, int count, float[] dst) {
        if (field != 0) {
            throw new IllegalArgumentException(name + ": field " + field + " is not a float field");
        }
        for (int i = 0; i < count; i++) {
            System.arraycopy(x, Math.toIntExact(ids[from + i]) * features, dst, i * features, features);
        }
    }

    @Override
    public void gather(int field, long[] ids, int from, int count, int[] dst) {
        if (field != 1) {
            throw new IllegalArgumentException(name + ": field " + field + " is not an integer field");
        }
        for (int i = 0; i < count; i++) {
            dst[i] = y[Math.toIntExact(ids[from + i])];
        }
    }

    /** Number of features per row (the product of {@link #shape()}). */
    public int features() { return features; }

    /** The shape of one row: {@code [features]}, or {@code [H, W, C]} for images. A copy. */
    public int[] shape() { return shape.clone(); }

    /** Number of classes; every label is in {@code [0, classes())}. */
    public int classes() { return classes; }

    /** The features, [size, features] row-major. The internal array, not a copy: do not write into it. */
    public float[] x() { return x; }

    /** The labels, [size]. The internal array, not a copy: do not write into it. */
    public int[] y() { return y; }

    /**
     * A new dataset holding copies of rows {@code [from, to)}, with the same number of classes.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= from <= to <= size()}
     */
    public Dataset rows(String newName, int from, int to) {
        Objects.checkFromToIndex(from, to, y.length);
        return new Dataset(newName, shape, classes,
                Arrays.copyOfRange(x, from * features, to * features), Arrays.copyOfRange(y, from, to));
    }

    /** How many rows carry each label: element {@code c} counts label {@code c}. */
    public int[] classCounts() {
        int[] counts = new int[classes];
        for (int label : y) {
            counts[label]++;
        }
        return counts;
    }

    @Override
    public String toString() {
        return name + " (" + y.length + " rows x " + features + " features"
                + (shape.length == 1 ? "" : " " + Arrays.toString(shape)) + ", " + classes + " classes)";
    }
}
