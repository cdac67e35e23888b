package dev.quadrant.trainer.cli;

import java.lang.reflect.Field;

import dev.quadrant.trainer.train.Setting;
import dev.quadrant.trainer.train.TrainOptions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The picocli options of {@code quadrant train} (and {@code lab}), built from the {@link Setting} fields of
 * {@link TrainOptions} (and {@code LabOptions}): the trainer declares its options without depending on picocli, and this class is the one place that turns them into a
 * command line. Each option reads and writes its field of the given {@code TrainOptions} object. Stateless.
 */
final class TrainSettings {
    private TrainSettings() {}

    /** A picocli command spec (used as a mixin) with one option per setting, bound to {@code options}. */
    static CommandSpec spec(TrainOptions options) {
        return spec((Object) options);
    }

    /**
     * As {@link #spec(TrainOptions)} for any object whose public fields carry {@link Setting} ({@code TrainOptions},
     * {@code LabOptions}), in declaration order.
     */
    static CommandSpec spec(Object options) {
        CommandSpec spec = CommandSpec.create();
        int order = 0;
        for (Field f : options.getClass().getDeclaredFields()) {
            Setting s = f.getAnnotation(Setting.class);
            if (s == null) {
                continue;
            }
            OptionSpec.Builder b = OptionSpec.builder(s.name());
            if (f.getType() == boolean.class) { // --flag alone is true; --flag false and config values work too
                b.arity("0..1").fallbackValue("true");
            }
            spec.addOption(b
                    .paramLabel(s.label())
                    .description(s.description().replace("%", "%%")) // plain text; picocli formats descriptions
                    .type(f.getType())
                    .initialValue(get(f, options))
                    .hasInitialValue(true)
                    .order(order++)
                    .getter(new IGetter() {
                        @Override
                        @SuppressWarnings("unchecked")
                        public <T> T get() {
                            return (T) TrainSettings.get(f, options);
                        }
                    })
                    .setter(new ISetter() {
                        @Override
                        @SuppressWarnings("unchecked")
                        public <T> T set(T value) {
                            Object old = TrainSettings.get(f, options);
                            try {
                                f.set(options, value);
                            } catch (IllegalAccessException e) {
                                throw new IllegalStateException(f + " is not public", e);
                            }
                            return (T) old;
                        }
                    })
                    .build());
        }
        return spec;
    }

    private static Object get(Field f, Object options) {
        try {
            return f.get(options);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(f + " is not public", e);
        }
    }

    /** The key of an option in configs and checkpoints: its longest name without the leading dashes. */
    static String key(OptionSpec o) {
        return o.longestName().replaceFirst("^-+", "");
    }
}
