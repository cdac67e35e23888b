package dev.quadrant.trainer.train;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options of {@link TrainOptions} as a map from option name without the dashes ({@code epochs},
 * {@code csv-label-column}) to value, in declaration order: what {@code quadrant train --print-config} prints, what a
 * {@code --config} file holds and what a checkpoint's manifest records. Values are {@link String}, {@link Integer},
 * {@link Long}, {@link Float}, {@link Double}, {@link Boolean} or null (paths as strings). The options are the public
 * fields marked {@link Setting}.
 *
 * <pre>{@code
 * Map<String, Object> m = TrainConfig.toMap(options);   // {data=synthetic, csv-label-column=-1, ...}
 * }</pre>
 *
 * <p>Stateless; thread-safe (reading {@code options} while another thread changes it is not).
 */
public final class TrainConfig {
    /**
     * The keys of the options that name outputs. A checkpoint records them, but a resumed run never takes them from
     * it: where a run writes comes from the command line or the user's {@code --config} only.
     */
    public static final List<String> OUTPUT_KEYS = List.of("save", "metrics", "checkpoint-dir", "overwrite-metrics");

    private TrainConfig() {}

    /** One option of an options object ({@link TrainOptions}, the lab's): its field and its annotation. */
    public record Entry(Field field, Setting setting) {
        /** The key: the name without the leading dashes. */
        public String key() {
            return setting.name().replaceFirst("^-+", "");
        }

        /** The current value in {@code options}. */
        public Object get(Object options) {
            try {
                return field.get(options);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(field + " is not public", e);
            }
        }

        /** Sets the value in {@code options}; {@code value} must be of the field's type (boxed). */
        public void set(Object options, Object value) {
            try {
                field.set(options, value);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(field + " is not public", e);
            }
        }
    }

    private static final List<Entry> ENTRIES = entriesOf(TrainOptions.class);

    /** The {@link Setting} fields of {@code type}, in declaration order (the command line builds its options from them). */
    public static List<Entry> entriesOf(Class<?> type) {
        List<Entry> out = new ArrayList<>();
        for (Field f : type.getDeclaredFields()) { // declaration order, as picocli relies on too
            Setting s = f.getAnnotation(Setting.class);
            if (s == null) {
                continue;
            }
            if (!Modifier.isPublic(f.getModifiers()) || Modifier.isStatic(f.getModifiers())) {
                throw new IllegalStateException("@Setting field " + f + " must be public and not static");
            }
            out.add(new Entry(f, s));
        }
        return List.copyOf(out);
    }

    /** Every option, in declaration order. */
    public static List<Entry> entries() {
        return ENTRIES;
    }

    /** The current values of every option of {@code options}. */
    public static Map<String, Object> toMap(TrainOptions options) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Entry e : ENTRIES) {
            Object v = e.get(options);
            out.put(e.key(), v instanceof Path ? v.toString() : v);
        }
        return out;
    }

    /**
     * A copy of {@code options} that writes nothing: {@link #OUTPUT_KEYS} unset (what every process but rank 0 of a
     * job of several processes runs, so that outputs are written once).
     */
    public static TrainOptions withoutOutputs(TrainOptions options) {
        TrainOptions copy = new TrainOptions();
        for (Entry e : ENTRIES) {
            Object v = e.get(options);
            if (OUTPUT_KEYS.contains(e.key()) || e.key().equals("checkpoint-every")) {
                v = v instanceof Boolean ? Boolean.FALSE : null;
            }
            e.set(copy, v);
        }
        return copy;
    }

    /** Every key, in declaration order. */
    public static List<String> keys() {
        return ENTRIES.stream().map(Entry::key).toList();
    }
}
