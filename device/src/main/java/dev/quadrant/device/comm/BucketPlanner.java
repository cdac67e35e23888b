package dev.quadrant.device.comm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Cuts the flat gradient buffer into buckets that are all-reduced while backward goes on (PyTorch DDP's reducer, as a
 * pure function of the parameter layout).
 *
 * <pre>{@code
 * // forward order w1, b1, w2, b2; backward produces b2, w2, b1, w1
 * List<Bucket> plan = BucketPlanner.plan(List.of(b2, w2, b1, w1), 25 << 20, 4);
 * }</pre>
 *
 * <p>The rule: walk the gradients in the order backward produces them; a gradient joins the current bucket if it
 * lies right next to the bucket's slice in the buffer (just below or just above it) and the bucket stays within
 * {@code capBytes}; otherwise it starts a new bucket. So every bucket is one contiguous slice, every element of
 * every gradient is in exactly one bucket, buckets come in the order they become ready, and only a bucket holding a
 * single gradient larger than the cap exceeds it. Elements of the buffer that belong to no gradient (padding) are in
 * no bucket.
 *
 * <p>Stateless and thread-safe.
 */
public final class BucketPlanner {
    private BucketPlanner() {}

    /**
     * The buckets for {@code backwardOrder} (gradients in the order backward completes them, normally the reverse of
     * the forward order) with at most {@code capBytes} bytes each, elements being {@code bytesPerElement} bytes.
     *
     * @throws IllegalArgumentException if the cap or element size is not positive, two gradients share a name, or
     *                                  two gradients overlap in the buffer (naming both)
     */
    public static List<Bucket> plan(List<GradientSlot> backwardOrder, long capBytes, int bytesPerElement) {
        if (capBytes <= 0 || bytesPerElement <= 0) {
            throw new IllegalArgumentException("bucket cap " + capBytes + " bytes and element size " + bytesPerElement
                    + " bytes must both be > 0");
        }
        checkLayout(backwardOrder);
        List<Bucket> buckets = new ArrayList<>();
        long start = 0;
        long end = 0;
        List<String> names = new ArrayList<>();
        for (GradientSlot g : backwardOrder) {
            boolean adjacent = g.end() == start || g.offset() == end;
            boolean fits = (end - start + g.size()) <= capBytes / bytesPerElement;
            if (!names.isEmpty() && adjacent && fits) {
                start = Math.min(start, g.offset());
                end = Math.max(end, g.end());
            } else {
                if (!names.isEmpty()) {
                    buckets.add(new Bucket(buckets.size(), start, end - start, names));
                }
                names = new ArrayList<>();
                start = g.offset();
                end = g.end();
            }
            names.add(g.name());
        }
        if (!names.isEmpty()) {
            buckets.add(new Bucket(buckets.size(), start, end - start, names));
        }
        return List.copyOf(buckets);
    }

    private static void checkLayout(List<GradientSlot> slots) {
        Set<String> seen = new HashSet<>();
        for (GradientSlot g : slots) {
            if (!seen.add(g.name())) {
                throw new IllegalArgumentException("gradient layout names '" + g.name() + "' twice; names must be unique");
            }
        }
        List<GradientSlot> byOffset = new ArrayList<>(slots);
        byOffset.removeIf(g -> g.size() == 0);
        byOffset.sort(Comparator.comparingLong(GradientSlot::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            GradientSlot a = byOffset.get(i - 1);
            GradientSlot b = byOffset.get(i);
            if (b.offset() < a.end()) {
                throw new IllegalArgumentException("gradients '" + a.name() + "' [" + a.offset() + ", " + a.end()
                        + ") and '" + b.name() + "' [" + b.offset() + ", " + b.end() + ") overlap in the flat buffer");
            }
        }
    }
}
