package dev.quadrant.trainer.data;

import java.util.Objects;

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
 */
public record DataSplit(Samples train, Samples test, Vocabulary vocabulary) {
    /** @throws IllegalArgumentException if the two sets differ in schema */
    public DataSplit {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
        if (!train.schema().equals(test.schema())) {
            throw new IllegalArgumentException("train and test disagree: train " + train.schema() + ", test "
                    + test.schema());
        }
    }

    /** A split without a vocabulary. */
    public DataSplit(Samples train, Samples test) {
        this(train, test, null);
    }

    /** Elements of one sample's input (784 for MNIST's 28 x 28 x 1 images, ctx for token windows). */
    public int features() { return train.schema().input().size(); }

    /** Categories of the target: classes of a label, the vocabulary of tokens (0 for float targets). */
    public int classes() { return train.schema().target().categories(); }

    /** The schema both sets share. */
    public Schema schema() { return train.schema(); }
}
