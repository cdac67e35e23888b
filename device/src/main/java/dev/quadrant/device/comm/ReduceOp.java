package dev.quadrant.device.comm;

/**
 * How {@link Communicator#allReduce}, {@link Communicator#reduceScatter} and {@link Communicator#reduce} combine the
 * ranks' elements.
 *
 * <p>Both sum in float32 in rank order {@code 0, 1, ..., size-1} in every implementation in this package, so the
 * result does not depend on timing.
 */
public enum ReduceOp {
    /** {@code x0 + x1 + ... + x(n-1)}, added left to right in float32. */
    SUM,
    /** The {@link #SUM} divided by the number of ranks (one float32 division, not a multiplication by 1/n). */
    AVERAGE
}
