package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class BatchTest {
    /** 6 rows of 3 features; row i holds 10i, 10i + 1, 10i + 2 and label i % 3. */
    private static Dataset data() {
        float[] x = new float[18];
        int[] y = new int[6];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 3; j++) {
                x[i * 3 + j] = 10 * i + j;
            }
            y[i] = i % 3;
        }
        return new Dataset("rows", 3, 3, x, y);
    }

    @Test
    void gathersRowsInOrderIntoTheSameArrays() {
        Dataset d = data();
        int[] order = {4, 0, 5, 2, 1, 3};
        Batch batch = new Batch(4, 3);
        float[] x = batch.x();
        int[] y = batch.y();
        assertSame(batch, batch.gather(d, order, 1, 4));
        assertEquals(3, batch.rows());
        assertArrayEquals(new float[] {0, 1, 2, 50, 51, 52, 20, 21, 22}, java.util.Arrays.copyOf(batch.x(), 9), 0f);
        assertArrayEquals(new int[] {0, 2, 2}, java.util.Arrays.copyOf(batch.y(), 3));
        batch.gather(d, order, 4, 6);
        assertEquals(2, batch.rows());
        assertArrayEquals(new float[] {10, 11, 12, 30, 31, 32}, java.util.Arrays.copyOf(batch.x(), 6), 0f);
        assertSame(x, batch.x(), "no new array per batch");
        assertSame(y, batch.y(), "no new array per batch");
        assertEquals(0, batch.gather(d, order, 6, 6).rows(), "an empty shard");
    }

    @Test
    void wholeEpochThroughPlanAndOrderSeesEveryRowOnce() {
        Dataset d = data();
        int[] order = EpochOrder.permutation(11, 2, d.size());
        BatchPlan plan = new BatchPlan(d.size(), 4);
        int[] seen = new int[d.size()];
        Batch batch = new Batch(2, 3);
        for (int b = 0; b < plan.batches(); b++) {
            for (int r = 0; r < 3; r++) {
                BatchPlan.Range s = plan.shard(b, r, 3);
                batch.gather(d, order, s.from(), s.to());
                for (int i = 0; i < batch.rows(); i++) {
                    int row = (int) batch.x()[i * 3] / 10;
                    seen[row]++;
                    assertEquals(d.y()[row], batch.y()[i]);
                }
            }
        }
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1}, seen);
    }

    @Test
    void rejectsWhatDoesNotFit() {
        Dataset d = data();
        int[] order = {0, 1, 2, 3, 4, 5};
        Batch small = new Batch(2, 3);
        assertThrows(IndexOutOfBoundsException.class, () -> small.gather(d, order, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> new Batch(2, 4).gather(d, order, 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> small.gather(d, order, 5, 7));
        assertThrows(IndexOutOfBoundsException.class, () -> small.gather(d, new int[] {6}, 0, 1));
        assertThrows(IndexOutOfBoundsException.class,
                () -> Batch.gather(d, order, 0, 2, new float[6], new int[1]));
        assertEquals(2, Batch.gather(d, order, 0, 2, new float[6], new int[2]));
    }
}
