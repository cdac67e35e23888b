package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class DatasetTest {
    @Test
    void accessorsDoNotCopy() {
        float[] x = {1, 2, 3, 4};
        int[] y = {0, 1};
        Dataset d = new Dataset("d", 2, 2, x, y);
        assertSame(x, d.x());
        assertSame(y, d.y());
        assertEquals(2, d.size());
        assertEquals("d (2 rows x 2 features, 2 classes)", d.toString());
        assertArrayEquals(new int[] {1, 1}, d.classCounts());
    }

    @Test
    void rowsCopiesARange() {
        Dataset d = new Dataset("d", 2, 3, new float[] {1, 2, 3, 4, 5, 6}, new int[] {0, 1, 2});
        Dataset tail = d.rows("tail", 1, 3);
        assertArrayEquals(new float[] {3, 4, 5, 6}, tail.x(), 0f);
        assertArrayEquals(new int[] {1, 2}, tail.y());
        assertEquals(3, tail.classes());
        assertEquals(0, d.rows("none", 3, 3).size());
        assertThrows(IndexOutOfBoundsException.class, () -> d.rows("bad", 2, 4));
    }

    @Test
    void validates() {
        assertThrows(IllegalArgumentException.class, () -> new Dataset("d", 2, 2, new float[3], new int[2]));
        assertThrows(IllegalArgumentException.class, () -> new Dataset("d", 0, 2, new float[0], new int[0]));
        assertThrows(IllegalArgumentException.class, () -> new Dataset("d", 1, 1, new float[1], new int[1]));
        assertThrows(IllegalArgumentException.class, () -> new Dataset("d", 1, 10_001, new float[1], new int[1]));
        assertThrows(IllegalArgumentException.class, () -> new Dataset(" ", 1, 2, new float[1], new int[1]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Dataset("d", 1, 2, new float[2], new int[] {0, 2}));
        assertTrue(e.getMessage().contains("label of row 1 is 2, expected 0..1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Dataset("d", 1, 2, new float[1], new int[] {-1}));
        assertThrows(NullPointerException.class, () -> new Dataset("d", 1, 2, null, new int[0]));
    }

    @Test
    void splitMustAgree() {
        Dataset a = new Dataset("a", 2, 2, new float[2], new int[1]);
        Dataset b = new Dataset("b", 3, 2, new float[3], new int[1]);
        Dataset c = new Dataset("c", 2, 3, new float[2], new int[1]);
        assertEquals(2, new DataSplit(a, a).features());
        assertThrows(IllegalArgumentException.class, () -> new DataSplit(a, b));
        assertThrows(IllegalArgumentException.class, () -> new DataSplit(a, c));
    }
}
