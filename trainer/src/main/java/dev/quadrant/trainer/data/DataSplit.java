package dev.quadrant.trainer.data;

import java.util.Objects;

/**
 * A training set and a test set that describe the same problem: the same number of features and of classes.
 *
 * <p>Immutable (the datasets are) and thread-safe. Example:
 * <pre>{@code
 * DataSplit split = DataSpec.parse("idx:/data/mnist").load(42, CsvReader.LAST_COLUMN, 0.1);
 * int inputs = split.train().features();   // 784
 * }</pre>
 *
 * @param train the rows the model learns from
 * @param test  the rows it is evaluated on
 */
public record DataSplit(Dataset train, Dataset test) {
    /** @throws IllegalArgumentException if the two sets differ in features or classes */
    public DataSplit {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
        if (train.features() != test.features() || train.classes() != test.classes()) {
            throw new IllegalArgumentException("train and test disagree: train " + train + ", test " + test);
        }
    }

    /** Number of features per row (the same in both sets). */
    public int features() { return train.features(); }

    /** Number of classes (the same in both sets). */
    public int classes() { return train.classes(); }
}
