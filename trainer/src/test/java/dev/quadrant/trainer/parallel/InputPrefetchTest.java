package dev.quadrant.trainer.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.quadrant.trainer.data.ArraySamples;
import dev.quadrant.trainer.data.Field;
import dev.quadrant.trainer.data.Samples;
import dev.quadrant.trainer.data.Schema;

/**
 * The loader gathers what it was told to expect, on its own thread, hands it out only for exactly those rows, drops
 * stale hints without handing out wrong rows, never holds more than {@link InputPrefetch#SETS} sets, and passes a
 * dataset's read error to the {@code take} that wanted the rows.
 */
class InputPrefetchTest {
    static final int ROWS = 40;
    static final int F = 3;

    /** Sample i: inputs {i, i + 0.25, i + 0.5}, label i % 5; records the threads its gathers ran on. */
    static final class Recording implements Samples {
        final ArraySamples inner;
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        volatile CountDownLatch gate;    // when set, gathers wait for it
        volatile RuntimeException failWith;

        Recording() {
            float[] x = new float[ROWS * F];
            int[] y = new int[ROWS];
            for (int i = 0; i < ROWS; i++) {
                for (int j = 0; j < F; j++) {
                    x[i * F + j] = i + 0.25f * j;
                }
                y[i] = i % 5;
            }
            inner = ArraySamples.of("recording", Field.floats("x", F), Field.ints("y", 5), x, y);
        }

        private void before() {
            threads.add(Thread.currentThread().getName());
            try {
                CountDownLatch g = gate;
                if (g != null) {
                    assertTrue(g.await(10, TimeUnit.SECONDS));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (failWith != null) {
                throw failWith;
            }
        }

        @Override public String name() { return "recording"; }

        @Override public Schema schema() { return inner.schema(); }

        @Override public long size() { return ROWS; }

        @Override
        public void gather(int field, long[] ids, int from, int count, float[] dst) {
            before();
            inner.gather(field, ids, from, count, dst);
        }

        @Override
        public void gather(int field, long[] ids, int from, int count, int[] dst) {
            before();
            inner.gather(field, ids, from, count, dst);
        }
    }

    static long[] ids(long... v) { return v; }

    static float[] direct(Samples s, long[] ids, int from, int rows) {
        float[] x = new float[rows * F];
        s.gather(0, ids, from, rows, x);
        return x;
    }

    @Test
    void handsOutWhatItGatheredOnItsOwnThread() {
        Recording s = new Recording();
        long[] a = ids(7, 3, 19, 0, 33);
        try (InputPrefetch p = new InputPrefetch(4, s.schema(), 8)) {
            p.expect(s, a, 1, 3);
            InputPrefetch.HostSet h = p.take(s, a, 1, 3);
            assertNotNull(h);
            assertArrayEquals(direct(s.inner, a, 1, 3), Arrays.copyOf(h.inF, 3 * F));
            assertArrayEquals(new int[] {3, 4, 0}, Arrays.copyOf(h.tgI, 3));
            assertEquals(Set.of("loader-4"), s.threads, "gathered on the loader thread only");
            assertEquals(1, p.hits());
            p.release(h);
        }
    }

    @Test
    void dropsStaleHintsAndNeverHandsOutOtherRows() {
        Recording s = new Recording();
        long[] a = ids(1, 2, 3, 4);
        long[] b = ids(1, 2, 3, 4);   // equal contents, another batch: identity decides
        try (InputPrefetch p = new InputPrefetch(0, s.schema(), 4)) {
            assertNull(p.take(s, a, 0, 2), "nothing expected");
            p.expect(s, a, 0, 2);
            p.expect(s, a, 2, 2);
            p.expect(s, b, 0, 2);
            InputPrefetch.HostSet h = p.take(s, a, 2, 2);   // the first request is stale: dropped
            assertArrayEquals(direct(s.inner, a, 2, 2), Arrays.copyOf(h.inF, 2 * F));
            p.release(h);
            assertNull(p.take(s, a, 0, 4), "b's request is not a's rows");
            assertEquals(1, p.hits());
            assertEquals(2, p.misses());
            // every set went back: three more requests are all served
            for (int i = 0; i < 3 * InputPrefetch.SETS; i++) {
                p.expect(s, a, i % 4, 1);
                InputPrefetch.HostSet x = p.take(s, a, i % 4, 1);
                assertNotNull(x, "request " + i);
                p.release(x);
            }
        }
    }

    @Test
    void fillsAtMostItsSetsAhead() throws Exception {
        Recording s = new Recording();
        long[] a = ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        try (InputPrefetch p = new InputPrefetch(1, s.schema(), 1)) {
            for (int i = 0; i < 10; i++) {
                p.expect(s, a, i, 1);
            }
            InputPrefetch.HostSet[] held = new InputPrefetch.HostSet[InputPrefetch.SETS];
            for (int i = 0; i < InputPrefetch.SETS; i++) {
                held[i] = p.take(s, a, i, 1);
                assertEquals(i, held[i].inF[0], 0f);
            }
            // all sets are out: the loader waits for one back, then goes on
            Thread back = new Thread(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                p.release(held[0]);
            });
            back.start();
            InputPrefetch.HostSet next = p.take(s, a, InputPrefetch.SETS, 1);
            assertSame(held[0], next, "the set given back is the one filled next");
            assertEquals(InputPrefetch.SETS, next.inF[0], 0f);
            back.join();
        }
    }

    @Test
    void aReadErrorReachesTheTakeThatWantedTheRows() {
        Recording s = new Recording();
        s.failWith = new IllegalStateException("recording: disk gone at sample 2");
        long[] a = ids(2, 3);
        try (InputPrefetch p = new InputPrefetch(2, s.schema(), 2)) {
            p.expect(s, a, 0, 2);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.take(s, a, 0, 2));
            assertEquals("recording: disk gone at sample 2", e.getMessage());
            s.failWith = null;
            p.expect(s, a, 0, 2);   // the failed gather gave its set back
            assertNotNull(p.take(s, a, 0, 2));
        }
    }

    @Test
    void closeStopsALoaderStuckInAGather() {
        Recording s = new Recording();
        s.gate = new CountDownLatch(1);   // never opened: the gather blocks until interrupted
        long[] a = ids(5);
        InputPrefetch p = new InputPrefetch(3, s.schema(), 1);
        p.expect(s, a, 0, 1);
        long t0 = System.nanoTime();
        p.close();
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "close returned");
        assertNull(p.take(s, a, 0, 1), "nothing pending after close");
    }
}
