package dev.quadrant.trainer.data;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;

/**
 * Samples of any schema held in memory: one array per field ({@code float[]} for FLOAT32, {@code int[]} for INT32),
 * sample after sample. What a Java user hands the trainer for their own data; {@link #collect} builds one from an
 * iterator of samples. Integer values are checked against the field's categories once, here.
 *
 * <p>Immutable (the arrays are owned by it from construction on) and thread-safe.
 *
 * <pre>{@code
 * Samples xor = ArraySamples.of("xor", Field.floats("x", 2), Field.ints("y", 2),
 *         new float[] {0, 0, 0, 1, 1, 0, 1, 1}, new int[] {0, 1, 1, 0});
 * }</pre>
 */
public final class ArraySamples implements Samples {
    private final String name;
    private final Schema schema;
    private final Object[] values;   // per field: float[] or int[]
    private final long size;

    private ArraySamples(String name, Schema schema, Object input, Object target) {
        this.name = Objects.requireNonNull(name, "name");
        this.schema = schema;
        this.values = new Object[] {input, target};
        long n = -1;
        for (int f = 0; f < 2; f++) {
            Field field = schema.fields().get(f);
            int len = check(field, values[f]);
            if (len % field.size() != 0) {
                throw new IllegalArgumentException(name + ": field " + field + " has " + len
                        + " values, not a whole number of samples of " + field.size());
            }
            long samples = len / field.size();
            if (n >= 0 && samples != n) {
                throw new IllegalArgumentException(name + ": the input holds " + n + " samples, the target " + samples);
            }
            n = samples;
        }
        this.size = n;
    }

    private int check(Field field, Object v) {
        if (field.dtype() == DType.FLOAT32 && v instanceof float[] a) {
            return a.length;
        }
        if (field.dtype() == DType.INT32 && v instanceof int[] a) {
            for (int i = 0; i < a.length; i++) {
                if ((a[i] < 0 || a[i] >= field.categories()) && a[i] != Backend.IGNORE_INDEX) {
                    throw new IllegalArgumentException(name + ": value " + i + " of field " + field.name() + " is "
                            + a[i] + ", expected 0.." + (field.categories() - 1) + " or " + Backend.IGNORE_INDEX
                            + " (ignored)");
                }
            }
            return a.length;
        }
        throw new IllegalArgumentException(name + ": field " + field + " needs a "
                + (field.dtype() == DType.INT32 ? "int[]" : "float[]") + ", got "
                + (v == null ? "null" : v.getClass().getSimpleName()));
    }

    /** Samples with {@code input} and {@code target} values ({@code float[]} or {@code int[]} as the fields' types). */
    public static ArraySamples of(String name, Field input, Field target, Object inputValues, Object targetValues) {
        return new ArraySamples(name, new Schema(input, target), inputValues, targetValues);
    }

    /** One sample for {@link #collect}: its input and target values ({@code float[]} or {@code int[]}). */
    public record Sample(Object input, Object target) {}

    /** Collects an iterator of samples into memory. */
    public static ArraySamples collect(String name, Schema schema, Iterator<Sample> samples) {
        List<Object> in = new ArrayList<>();
        List<Object> out = new ArrayList<>();
        while (samples.hasNext()) {
            Sample s = samples.next();
            in.add(s.input());
            out.add(s.target());
        }
        return new ArraySamples(name, schema, concat(schema.input(), in, name), concat(schema.target(), out, name));
    }

    private static Object concat(Field f, List<Object> parts, String name) {
        int n = f.size();
        if (f.dtype() == DType.INT32) {
            int[] all = new int[Math.multiplyExact(parts.size(), n)];
            for (int i = 0; i < parts.size(); i++) {
                if (!(parts.get(i) instanceof int[] a) || a.length != n) {
                    throw new IllegalArgumentException(name + ": sample " + i + " field " + f + " must be int[" + n + "]");
                }
                System.arraycopy(a, 0, all, i * n, n);
            }
            return all;
        }
        float[] all = new float[Math.multiplyExact(parts.size(), n)];
        for (int i = 0; i < parts.size(); i++) {
            if (!(parts.get(i) instanceof float[] a) || a.length != n) {
                throw new IllegalArgumentException(name + ": sample " + i + " field " + f + " must be float[" + n + "]");
            }
            System.arraycopy(a, 0, all, i * n, n);
        }
        return all;
    }

    @Override
    public String name() { return name; }

    @Override
    public Schema schema() { return schema; }

    @Override
    public long size() { return size; }

    @Override
    public void gather(int field, long[] ids, int from, int count, float[] dst) {
        if (!(values[field] instanceof float[] src)) {
            throw new IllegalArgumentException(name + ": field " + schema.fields().get(field) + " is not FLOAT32");
        }
        int n = schema.fields().get(field).size();
        for (int i = 0; i < count; i++) {
            System.arraycopy(src, Math.toIntExact(ids[from + i] * n), dst, i * n, n);
        }
    }

    @Override
    public void gather(int field, long[] ids, int from, int count, int[] dst) {
        if (!(values[field] instanceof int[] src)) {
            throw new IllegalArgumentException(name + ": field " + schema.fields().get(field) + " is not INT32");
        }
        int n = schema.fields().get(field).size();
        for (int i = 0; i < count; i++) {
            System.arraycopy(src, Math.toIntExact(ids[from + i] * n), dst, i * n, n);
        }
    }

    @Override
    public String toString() { return name + " (" + size + " samples: " + schema + ")"; }
}
