package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.quadrant.device.UserInputException;

/**
 * {@link Augmentation}: the option's forms, the crop and flip on a hand-made image, and that a sample's transform is
 * a pure function of (seed, epoch, sample id): the same on every call and in any shard, different in another epoch.
 */
class AugmentationTest {

    /** A 3 x 4 image with 2 channels; pixel (y, x, c) holds 100 y + 10 x + c + 1, so no pixel is 0. */
    static float[] image() {
        float[] p = new float[3 * 4 * 2];
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                for (int c = 0; c < 2; c++) {
                    p[(y * 4 + x) * 2 + c] = 100 * y + 10 * x + c + 1;
                }
            }
        }
        return p;
    }

    static float at(float[] img, int y, int x, int c) { return img[(y * 4 + x) * 2 + c]; }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"none|none", "crop:4|crop:4", "flip|flip", "crop:4,flip|crop:4,flip",
        "flip, crop:2|crop:2,flip"})
    void parsesAndPrintsTheCanonicalText(String text, String canonical) {
        Augmentation a = Augmentation.parse(text);
        assertEquals(canonical, a.toString());
        assertEquals(a, Augmentation.parse(a.toString()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "crop", "crop:", "crop:0", "crop:-1", "crop:x", "flip,flip", "crop:2,crop:3", "rotate",
        "none,flip"})
    void rejectsOtherTextNamingTheOption(String text) {
        UserInputException e = assertThrows(UserInputException.class, () -> Augmentation.parse(text));
        assertTrue(e.getMessage().startsWith("--augment '" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("crop:4,flip"), e.getMessage());
    }

    @Test
    void cropShiftsAndFillsZerosFlipMirrors() {
        float[] src = image();
        float[] out = new float[src.length];
        // output (y, x) = input (y + dy, x + dx): dy = 1, dx = -2
        Augmentation.transform(1, -2, false, src, 0, out, 0, 3, 4, 2);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                for (int c = 0; c < 2; c++) {
                    int sy = y + 1;
                    int sx = x - 2;
                    float want = sy < 3 && sx >= 0 ? at(src, sy, sx, c) : 0f;
                    assertEquals(want, at(out, y, x, c), "crop at (" + y + ", " + x + ", " + c + ")");
                }
            }
        }
        assertEquals(at(src, 1, 0, 0), at(out, 0, 2, 0), "a hand-checked pixel: input (1, 0) lands at (0, 2)");
        assertEquals(0f, at(out, 2, 3, 1), "the last row comes from the padding");

        Augmentation.transform(0, 0, true, src, 0, out, 0, 3, 4, 2);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                for (int c = 0; c < 2; c++) {
                    assertEquals(at(src, y, 3 - x, c), at(out, y, x, c), "flip at (" + y + ", " + x + ", " + c + ")");
                }
            }
        }
        Augmentation.transform(0, 0, false, src, 0, out, 0, 3, 4, 2);
        assertArrayEquals(src, out, "offset 0 without flip is the identity");
    }

    @Test
    void offsetsCoverTheWholeRangeAndFlipHalfTheTime() {
        // crop:1 on a 1 x 1 image of value 1: the output is 1 only at offset (0, 0), i.e. 1 of 9 offsets
        Augmentation a = new Augmentation(1, true);
        float[] one = {1f};
        float[] out = new float[1];
        int kept = 0;
        int n = 9000;
        for (int id = 0; id < n; id++) {
            a.transform(Augmentation.key(5, 0, id), one, 0, out, 0, 1, 1, 1);
            kept += out[0] == 1f ? 1 : 0;
        }
        assertTrue(Math.abs(kept - n / 9) < 150, kept + " of " + n + " kept, expected about " + n / 9);
        Augmentation flip = new Augmentation(0, true);
        float[] row = {1f, 2f};
        float[] o2 = new float[2];
        int flipped = 0;
        for (int id = 0; id < 2000; id++) {
            flip.transform(Augmentation.key(5, 0, id), row, 0, o2, 0, 1, 2, 1);
            flipped += o2[0] == 2f ? 1 : 0;
        }
        assertTrue(Math.abs(flipped - 1000) < 120, flipped + " of 2000 flipped");
    }

    /** 40 images of 6 x 5 x 1, each different. */
    static ArraySamples images() {
        int n = 40;
        float[] x = new float[n * 30];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = 1 + (i * 37 % 101) / 101f;
        }
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
        }
        return ArraySamples.of("tiny-images", Field.floats("x", 6, 5, 1), Field.ints("label", 3), x, y);
    }

    static float[] gather(Samples s, long[] ids, int from, int count) {
        float[] dst = new float[count * s.schema().input().size()];
        s.gather(0, ids, from, count, dst);
        return dst;
    }

    @Test
    void sameSeedEpochAndSampleGiveTheSameImagesAnotherEpochOthers() {
        ArraySamples base = images();
        Augmentation a = Augmentation.parse("crop:2,flip");
        long[] ids = {3, 17, 0, 39, 8, 8};
        float[] first = gather(a.apply(base, 11, 2), ids, 0, ids.length);
        float[] again = gather(a.apply(base, 11, 2), ids, 0, ids.length);
        assertArrayEquals(first, again, "same seed, epoch and ids");
        assertArrayEquals(Arrays.copyOfRange(first, 4 * 30, 5 * 30), Arrays.copyOfRange(first, 5 * 30, 6 * 30),
                "one sample twice in a batch is transformed the same way");
        assertFalse(Arrays.equals(first, gather(a.apply(base, 11, 3), ids, 0, ids.length)), "another epoch");
        assertFalse(Arrays.equals(first, gather(a.apply(base, 12, 2), ids, 0, ids.length)), "another seed");
        assertFalse(Arrays.equals(first, gather(base, ids, 0, ids.length)), "augmented at all");
    }

    @ParameterizedTest(name = "{0} shards")
    @ValueSource(ints = {1, 2, 3, 7})
    void aShardGathersWhatTheWholeBatchHolds(int shards) {
        ArraySamples base = images();
        Samples s = Augmentation.parse("crop:3,flip").apply(base, 4, 1);
        long[] ids = new long[23];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 13) % 40;
        }
        float[] whole = gather(s, ids, 0, ids.length);
        float[] pieces = new float[whole.length];
        int from = 0;
        for (int k = 0; k < shards; k++) {
            int count = ids.length / shards + (k < ids.length % shards ? 1 : 0);
            float[] part = gather(s, ids, from, count);
            System.arraycopy(part, 0, pieces, from * 30, part.length);
            from += count;
        }
        assertArrayEquals(whole, pieces, "sharded over " + shards);
        int[] labels = new int[ids.length];
        int[] baseLabels = new int[ids.length];
        s.gather(1, ids, 0, ids.length, labels);
        base.gather(1, ids, 0, ids.length, baseLabels);
        assertArrayEquals(baseLabels, labels, "targets are not augmented");
    }

    @Test
    void noneIsTheSameSamplesAndFlatDataIsRefused() {
        ArraySamples base = images();
        assertSame(base, Augmentation.NONE.apply(base, 1, 0));
        ArraySamples flat = ArraySamples.of("flat", Field.floats("x", 4), Field.ints("label", 2),
                new float[8], new int[] {0, 1});
        assertSame(flat, Augmentation.NONE.apply(flat, 1, 0), "none needs no image");
        UserInputException e = assertThrows(UserInputException.class,
                () -> Augmentation.parse("crop:4").apply(flat, 1, 0));
        assertEquals("--augment crop:4 augments images, F32[H, W, C]; the data's input is x F32[4] (use image data, "
                + "e.g. --data idx:DIR, or drop --augment)", e.getMessage());
    }
}
