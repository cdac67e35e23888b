package dev.quadrant.trainer.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Where each named parameter lives in a model's flat parameter buffer (the gradient buffer uses the same layout).
 *
 * <p>Besides trainable parameters the buffer holds a model's non-trainable STATE (PyTorch's buffers: a BatchNorm's
 * {@code running_mean} and {@code running_var}), entries flagged {@code trainable = false}. They live in the flat
 * buffer so that everything that moves, saves and restores parameters (broadcast at start, the parameter server's
 * broadcast, gossip's averaging, checkpoints, model files, exact resume) moves, saves and restores them too; the
 * module that owns them writes them during its forward pass, their gradients stay zero and the optimizer never
 * touches them.
 *
 * <p>Entries are in forward order and contiguous: entry {@code i+1} starts where entry {@code i} ends. Immutable.
 *
 * <pre>{@code
 * ParamLayout layout = new ParamLayout.Builder().add("layers.0.weight", true, 256, 784).add("layers.0.bias", false, 256).build();
 * layout.entry("layers.0.bias").offset();   // 200704
 * }</pre>
 */
public final class ParamLayout {

    /**
     * One parameter tensor: name (PyTorch style, e.g. {@code layers.0.weight}), shape, offset in elements, whether
     * weight decay applies to it (weights yes, biases no) and whether it is trained (false for non-trainable state).
     */
    public record Entry(String name, int[] shape, long offset, long size, boolean decay, boolean trainable) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public int[] shape() { return shape.clone(); }

        @Override
        public String toString() { return name + Arrays.toString(shape) + "@" + offset; }
    }

    private final List<Entry> entries;
    private final long totalSize;

    private ParamLayout(List<Entry> entries, long totalSize) {
        this.entries = Collections.unmodifiableList(entries);
        this.totalSize = totalSize;
    }

    public List<Entry> entries() { return entries; }

    /** Total number of elements in the flat buffer (trainable parameters and non-trainable state). */
    public long totalSize() { return totalSize; }

    /** Number of trainable parameters (what a model's size is quoted as). */
    public long trainableSize() {
        return entries.stream().filter(Entry::trainable).mapToLong(Entry::size).sum();
    }

    /** Whether any entry is non-trainable state. */
    public boolean hasState() {
        return entries.stream().anyMatch(e -> !e.trainable());
    }

    /** The entry called {@code name}, or an IllegalArgumentException listing the names there are. */
    public Entry entry(String name) {
        for (Entry e : entries) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("no parameter '" + name + "' in layout " + entries.stream().map(Entry::name).toList());
    }

    /** Builds a layout by appending entries in forward order. Not thread-safe. */
    public static final class Builder {
        private final List<Entry> entries = new ArrayList<>();
        private long next;

        public Builder add(String name, boolean decay, int... shape) {
            return add(name, decay, true, shape);
        }

        /** Non-trainable state {@code name} (never decayed, never updated by the optimizer). */
        public Builder addState(String name, int... shape) {
            return add(name, false, false, shape);
        }

        private Builder add(String name, boolean decay, boolean trainable, int... shape) {
            for (Entry e : entries) {
                if (e.name().equals(name)) {
                    throw new IllegalArgumentException("duplicate parameter name " + name);
                }
            }
            long size = 1;
            for (int d : shape) {
                if (d <= 0) {
                    throw new IllegalArgumentException("parameter " + name + " has a non-positive dimension: " + Arrays.toString(shape));
                }
                size = Math.multiplyExact(size, d);
            }
            entries.add(new Entry(name, shape, next, size, decay, trainable));
            next += size;
            return this;
        }

        /** Whether a parameter called {@code name} was added. */
        public boolean contains(String name) {
            return entries.stream().anyMatch(e -> e.name().equals(name));
        }

        /** The shape of the entry called {@code name}; an IllegalArgumentException if there is none. */
        public int[] shape(String name) {
            for (Entry e : entries) {
                if (e.name().equals(name)) {
                    return e.shape();
                }
            }
            throw new IllegalArgumentException("no parameter '" + name + "' was added");
        }

        /** Elements added so far (the offset of the next entry). */
        public long size() { return next; }

        public ParamLayout build() {
            return new ParamLayout(new ArrayList<>(entries), next);
        }
    }
}
