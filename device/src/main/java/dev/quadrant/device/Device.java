package dev.quadrant.device;

import java.util.Objects;

/**
 * Where a replica computes: {@code cpu:0} (the host) or {@code cuda:N} (GPU number N). Several replicas may share one
 * physical device; each then gets its own {@link Backend} instance.
 *
 * <p>Immutable and thread-safe.
 */
public final class Device {
    /** The kind of device. */
    public enum Kind { CPU, CUDA }

    private final Kind kind;
    private final int index;

    private Device(Kind kind, int index) {
        if (index < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + index);
        }
        this.kind = kind;
        this.index = index;
    }

    /** The host CPU. */
    public static Device cpu() { return new Device(Kind.CPU, 0); }

    /** GPU number {@code index} as CUDA numbers it. */
    public static Device cuda(int index) { return new Device(Kind.CUDA, index); }

    public Kind kind() { return kind; }

    public int index() { return index; }

    public boolean isCpu() { return kind == Kind.CPU; }

    @Override
    public String toString() { return kind.name().toLowerCase(java.util.Locale.ROOT) + ":" + index; }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.kind == kind && d.index == index;
    }

    @Override
    public int hashCode() { return Objects.hash(kind, index); }
}
