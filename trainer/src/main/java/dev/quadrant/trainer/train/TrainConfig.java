package dev.quadrant.trainer.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The options of {@link TrainOptions} as a map from option name without the dashes ({@code epochs},
 * {@code csv-label-column}) to value, in declaration order: what {@code quadrant train --print-config} prints, what a
 * {@code --config} file holds and what a checkpoint's manifest records. Values are {@link String}, {@link Integer},
 * {@link Long}, {@link Float}, {@link Double}, {@link Boolean} or null (paths as strings).
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

    /** The current values of every option of {@code options}. */
    public static Map<String, Object> toMap(TrainOptions options) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (OptionSpec o : CommandSpec.forAnnotatedObject(options).options()) {
            Object v = o.getValue();
            out.put(key(o), v instanceof Path ? v.toString() : v);
        }
        return out;
    }

    /** Every key, in declaration order. */
    public static List<String> keys() {
        return CommandSpec.forAnnotatedObject(new TrainOptions()).options().stream().map(TrainConfig::key).toList();
    }

    /** The key of an option: its longest name without the leading dashes. */
    public static String key(OptionSpec o) {
        return o.longestName().replaceFirst("^-+", "");
    }
}
