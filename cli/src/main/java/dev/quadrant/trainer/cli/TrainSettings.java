package dev.quadrant.trainer.cli;

import dev.quadrant.trainer.train.Setting;
import dev.quadrant.trainer.train.TrainConfig;
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

    /**
     * A picocli command spec (used as a mixin) with one option per {@link Setting} field of {@code options}
     * ({@code TrainOptions}, {@code LabOptions}), in declaration order, bound to that object.
     */
    static CommandSpec spec(Object options) {
        CommandSpec spec = CommandSpec.create();
        int order = 0;
        for (TrainConfig.Entry e : TrainConfig.entriesOf(options.getClass())) {
            Setting s = e.setting();
            OptionSpec.Builder b = OptionSpec.builder(s.name());
            if (e.field().getType() == boolean.class) { // --flag alone is true; --flag false and config values work too
                b.arity("0..1").fallbackValue("true");
            }
            spec.addOption(b
                    .paramLabel(s.label())
                    .description(s.description().replace("%", "%%")) // plain text; picocli formats descriptions
                    .type(e.field().getType())
                    .initialValue(e.get(options))
                    .hasInitialValue(true)
                    .order(order++)
                    .getter(new IGetter() {
                        @Override
                        @SuppressWarnings("unchecked")
                        public <T> T get() {
                            return (T) e.get(options);
                        }
                    })
                    .setter(new ISetter() {
                        @Override
                        @SuppressWarnings("unchecked")
                        public <T> T set(T value) {
                            Object old = e.get(options);
                            e.set(options, value);
                            return (T) old;
                        }
                    })
                    .build());
        }
        return spec;
    }

    /** The key of an option in configs and checkpoints: its longest name without the leading dashes. */
    static String key(OptionSpec o) {
        return o.longestName().replaceFirst("^-+", "");
    }
}
