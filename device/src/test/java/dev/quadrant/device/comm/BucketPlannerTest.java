package dev.quadrant.device.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link BucketPlanner}: coverage, the cap, backward order, contiguity, on fixed and random layouts. */
class BucketPlannerTest {

    /** A forward-order layout packed from element {@code start} with optional gaps, returned in backward order. */
    private static List<GradientSlot> backward(long[] sizes, long[] gapsBefore) {
        List<GradientSlot> forward = new ArrayList<>();
        long at = 0;
        for (int i = 0; i < sizes.length; i++) {
            at += gapsBefore == null ? 0 : gapsBefore[i];
            forward.add(new GradientSlot("p" + i, at, sizes[i]));
            at += sizes[i];
        }
        Collections.reverse(forward);
        return forward;
    }

    /** Every invariant of a plan; returns nothing, fails with the bucket and element at fault. */
    private static void checkPlan(List<GradientSlot> layout, List<Bucket> plan, long capBytes, int bytesPerElement) {
        Map<String, GradientSlot> byName = new HashMap<>();
        layout.forEach(g -> byName.put(g.name(), g));
        List<String> namesInPlanOrder = new ArrayList<>();
        Map<Long, String> owner = new HashMap<>();
        for (int b = 0; b < plan.size(); b++) {
            Bucket bucket = plan.get(b);
            assertEquals(b, bucket.index(), "bucket index");
            long covered = 0;
            long lo = Long.MAX_VALUE;
            long hi = Long.MIN_VALUE;
            for (String name : bucket.names()) {
                GradientSlot g = byName.get(name);
                covered += g.size();
                if (g.size() > 0) {
                    lo = Math.min(lo, g.offset());
                    hi = Math.max(hi, g.end());
                }
                for (long e = g.offset(); e < g.end(); e++) {
                    String prev = owner.put(e, "bucket " + b);
                    if (prev != null) {
                        fail("element " + e + " of '" + name + "' is in " + prev + " and bucket " + b);
                    }
                }
                namesInPlanOrder.add(name);
            }
            if (covered > 0) {
                assertEquals(lo, bucket.offset(), "bucket " + b + " must start at its first gradient element");
                assertEquals(hi, bucket.end(), "bucket " + b + " must end at its last gradient element");
            }
            assertEquals(covered, bucket.size(), "bucket " + b + " " + bucket + " is not exactly its gradients");
            if (bucket.size() * bytesPerElement > capBytes) {
                assertEquals(1, bucket.names().size(), "bucket " + b + " " + bucket + " exceeds the cap of "
                        + capBytes + " bytes with more than one gradient");
            }
        }
        List<String> expected = new ArrayList<>();
        layout.forEach(g -> expected.add(g.name()));
        assertEquals(expected, namesInPlanOrder, "buckets must follow the backward order, each gradient once");
        long elements = layout.stream().mapToLong(GradientSlot::size).sum();
        assertEquals(elements, owner.size(), "every gradient element is in exactly one bucket");
    }

    @Test
    void mlpLayoutBucketsFromTheLastLayer() {
        // 784-256-128-10 MLP, forward order w1 b1 w2 b2 w3 b3; cap 512 KiB of float32
        long[] sizes = {784 * 256, 256, 256 * 128, 128, 128 * 10, 10};
        List<GradientSlot> layout = backward(sizes, null);
        long cap = 512 * 1024;
        List<Bucket> plan = BucketPlanner.plan(layout, cap, 4);
        checkPlan(layout, plan, cap, 4);
        assertEquals(List.of("p5", "p4", "p3", "p2", "p1"), plan.get(0).names(), "the small last layers share one bucket");
        assertEquals(List.of("p0"), plan.get(1).names(), "w1 (784 KiB) is over the cap and alone");
        assertEquals(2, plan.size());
    }

    @Test
    void oversizedGradientsStandAloneAndNeighboursStartNewBuckets() {
        List<GradientSlot> layout = backward(new long[] {3, 100, 2, 2}, null);  // backward: p3 p2 p1 p0
        List<Bucket> plan = BucketPlanner.plan(layout, 16, 4);  // 4 floats per bucket
        checkPlan(layout, plan, 16, 4);
        assertEquals(List.of(List.of("p3", "p2"), List.of("p1"), List.of("p0")),
                plan.stream().map(Bucket::names).toList());
    }

    @Test
    void gapsInTheBufferSplitBuckets() {
        List<GradientSlot> layout = backward(new long[] {4, 4, 4}, new long[] {0, 16, 0});  // p1 after a 16-element pad
        List<Bucket> plan = BucketPlanner.plan(layout, 1 << 20, 4);
        checkPlan(layout, plan, 1 << 20, 4);
        assertEquals(List.of(List.of("p2", "p1"), List.of("p0")), plan.stream().map(Bucket::names).toList());
        assertEquals(20, plan.get(0).offset());
        assertEquals(8, plan.get(0).size());
    }

    @Test
    void forwardOrderLayoutsAndBf16Work() {
        List<GradientSlot> layout = backward(new long[] {5, 6, 7, 8}, null);
        Collections.reverse(layout);  // a backend that produces gradients in forward order: buckets grow upwards
        List<Bucket> plan = BucketPlanner.plan(layout, 26, 2);  // 13 bf16 elements per bucket
        checkPlan(layout, plan, 26, 2);
        assertEquals(List.of(List.of("p0", "p1"), List.of("p2"), List.of("p3")), plan.stream().map(Bucket::names).toList());
    }

    @Test
    void randomLayoutsKeepEveryInvariant() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 300; trial++) {
            int params = 1 + rnd.nextInt(30);
            long[] sizes = new long[params];
            long[] gaps = new long[params];
            for (int i = 0; i < params; i++) {
                sizes[i] = rnd.nextInt(10) == 0 ? 0 : 1 + rnd.nextInt(rnd.nextBoolean() ? 20 : 400);
                gaps[i] = rnd.nextInt(8) == 0 ? rnd.nextInt(5) : 0;
            }
            List<GradientSlot> layout = backward(sizes, gaps);
            long cap = 1 + rnd.nextInt(2000);
            int bpe = rnd.nextBoolean() ? 4 : 2;
            checkPlan(layout, BucketPlanner.plan(layout, cap, bpe), cap, bpe);
        }
    }

    @Test
    void emptyLayoutGivesNoBuckets() {
        assertEquals(List.of(), BucketPlanner.plan(List.of(), 100, 4));
    }

    @Test
    void badLayoutsAreRejectedByName() {
        List<GradientSlot> overlap = List.of(new GradientSlot("w", 0, 10), new GradientSlot("b", 9, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BucketPlanner.plan(overlap, 64, 4));
        assertTrue(e.getMessage().contains("'w' [0, 10) and 'b' [9, 11) overlap"), e.getMessage());
        List<GradientSlot> twice = List.of(new GradientSlot("w", 0, 10), new GradientSlot("w", 10, 2));
        assertThrows(IllegalArgumentException.class, () -> BucketPlanner.plan(twice, 64, 4));
        assertThrows(IllegalArgumentException.class, () -> BucketPlanner.plan(List.of(), 0, 4));
        assertThrows(IllegalArgumentException.class, () -> new GradientSlot("x", -1, 3));
    }
}
