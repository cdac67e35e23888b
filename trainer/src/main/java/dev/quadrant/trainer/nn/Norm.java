package dev.quadrant.trainer.nn;

import java.util.function.Supplier;

import dev.quadrant.device.UserInputException;

/**
 * The normalisation layer of a convnet spec ({@code norm=} of {@code resnet:}, a layer of {@code stack:}), with what
 * each choice means under data parallelism.
 */
public enum Norm {
    /** BatchNorm with statistics over the whole synchronous step's batch, on every replica (the default). */
    BATCH("batch"),
    /** BatchNorm over each replica's own rows (N replicas then differ from one replica). */
    BATCH_LOCAL("batch-local"),
    /** LayerNorm over the channels of each position (no batch statistics at all). */
    LAYER("layer"),
    /** No normalisation (convolutions get biases). */
    NONE("none");

    private final String text;

    Norm(String text) { this.text = text; }

    /** The spec's text for it. */
    public String text() { return text; }

    /** By its text; the error lists the choices. */
    public static Norm parse(String where, String text) {
        for (Norm n : values()) {
            if (n.text.equals(text)) {
                return n;
            }
        }
        throw new UserInputException(where + ": norm=" + text + " is not one of batch, batch-local, layer, none");
    }

    /** A maker of fresh layers of this kind, or null for {@link #NONE}. */
    public Supplier<Module> layers() {
        return switch (this) {
            case BATCH -> () -> new BatchNorm(BatchNorm.Statistics.SYNC);
            case BATCH_LOCAL -> () -> new BatchNorm(BatchNorm.Statistics.LOCAL);
            case LAYER -> LayerNorm::new;
            case NONE -> null;
        };
    }
}
