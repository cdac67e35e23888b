package dev.quadrant.trainer.data;

import java.util.Objects;

import dev.quadrant.device.UserInputException;

/**
 * A training set and an evaluation set (MNIST's test set, a text's validation tail) of the same schema, and the
 * vocabulary of a text (null otherwise), which travels with saved models and checkpoints.
 *
 * <p>Immutable (the sample sets are) and thread-safe. Example:
 * <pre>{@code
 * DataSplit split = DataSpec.parse("idx:/data/mnist").load(42, CsvReader.LAST_COLUMN, 0.1);
 * Field input = split.schema().input();   // x F32[28, 28, 1]
 * }</pre>
 *
 * @param train the samples the model learns from
 * @param test  the samples it is evaluated on
 * @param vocabulary the characters of a text dataset, or null
 * @param validation samples held out of the training set for early stopping and model selection
 *     ({@link #holdOut}), or null: evaluations then score them as {@code val_*} besides the test set's metrics
 */
public record DataSplit(Samples train, Samples test, Vocabulary vocabulary, Samples validation) {
    /** @throws IllegalArgumentException if the sets differ in schema */
    public DataSplit {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
        if (!train.schema().equals(test.schema())) {
            throw new IllegalArgumentException("train and test disagree: train " + train.schema() + ", test "
                    + test.schema());
        }
        if (validation != null && !train.schema().equals(validation.schema())) {
            throw new IllegalArgumentException("train and validation disagree: train " + train.schema()
                    + ", validation " + validation.schema());
        }
    }

    /** A split without a validation set. */
    public DataSplit(Samples train, Samples test, Vocabulary vocabulary) {
        this(train, test, vocabulary, null);
    }

    /** A split without a vocabulary or validation set. */
    public DataSplit(Samples train, Samples test) {
        this(train, test, null, null);
    }

    /**
     * This split with the last {@code fraction} of the training samples held out as the validation set (the rest
     * trains), as Keras' {@code validation_split} does; the test set stays as it is. {@code fraction == 0} returns
     * this split.
     *
     * @throws UserInputException if {@code fraction} is not in {@code [0, 1)}, leaves no sample on either side, or
     *     the data draws its training samples at random positions (a text, whose validation split is its own)
     */
    public DataSplit holdOut(double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new UserInputException("--val-fraction " + fraction + ": expected a fraction in [0, 1)");
        }
        if (fraction == 0) {
            return this;
        }
        if (train.order() == Samples.Order.RANDOM) {
            throw new UserInputException("--val-fraction: " + train.name() + " is drawn at random positions and has "
                    + "its own validation split (its metrics are val_*); leave --val-fraction out");
        }
        long n = train.size();
        long held = Math.round(n * fraction);
        if (held < 1 || held >= n) {
            throw new UserInputException("--val-fraction " + fraction + " of " + n + " training samples holds out "
                    + held + ": expected at least one sample on each side");
        }
        String base = train.name().replaceFirst("/train$", "");
        return new DataSplit(new RangeSamples(train, 0, n - held, train.name()),
                test, vocabulary, new RangeSamples(train, n - held, held, base + "/validation"));
    }

    /** Elements of one sample's input (784 for MNIST's 28 x 28 x 1 images, ctx for token windows). */
    public int features() { return train.schema().input().size(); }

    /** Categories of the target: classes of a label, the vocabulary of tokens (0 for float targets). */
    public int classes() { return train.schema().target().categories(); }

    /** The schema both sets share. */
    public Schema schema() { return train.schema(); }
}
