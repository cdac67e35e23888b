package dev.quadrant.device.comm;

import java.util.Objects;

/**
 * Where one parameter's gradient lives in the flat gradient buffer: {@code size} elements from element
 * {@code offset}. The input of {@link BucketPlanner}.
 *
 * <pre>{@code
 * new GradientSlot("layer2.weight", 200_960, 32_768)
 * }</pre>
 *
 * <p>Immutable.
 */
public record GradientSlot(String name, long offset, long size) {
    public GradientSlot {
        Objects.requireNonNull(name, "name");
        if (offset < 0 || size < 0) {
            throw new IllegalArgumentException("gradient slot '" + name + "': offset " + offset + " and size " + size
                    + " must be >= 0");
        }
    }

    /** One past the last element. */
    public long end() {
        return offset + size;
    }
}
