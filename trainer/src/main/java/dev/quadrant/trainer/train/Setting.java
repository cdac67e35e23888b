package dev.quadrant.trainer.train;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a public field of {@link TrainOptions} as a setting of a run: its command-line name, the label of its value
 * and its description. {@link TrainConfig} turns the marked fields into the map that {@code --print-config} prints,
 * a {@code --config} file holds and a checkpoint records; the command line (module {@code quadrant-cli}) builds its
 * {@code train} options from them. Keeping this annotation in the trainer (and not picocli's) is what lets a library
 * user depend on the trainer without a command-line parser.
 *
 * <p>{@code ${DEFAULT-VALUE}} in a description stands for the field's initial value.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface Setting {
    /** The option's name with its leading dashes, e.g. {@code --data}; a contract with users and scripts. */
    String name();

    /** What the value is, e.g. {@code SPEC}, {@code N}, {@code FILE}. */
    String label();

    /** One line of help. */
    String description();
}
