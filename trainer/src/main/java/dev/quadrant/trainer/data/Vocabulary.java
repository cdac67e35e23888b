package dev.quadrant.trainer.data;

import java.util.Arrays;

/**
 * A character-level vocabulary: the sorted distinct characters (Unicode code points) of a text, token {@code i}
 * being the {@code i}-th. Saved with a language model (as the string of its characters), so that sampling and
 * evaluation map text to the same ids. Immutable.
 */
public final class Vocabulary {
    private final int[] codePoints;   // sorted, distinct

    private Vocabulary(int[] codePoints) {
        this.codePoints = codePoints;
    }

    /** The sorted distinct code points of {@code text}. */
    public static Vocabulary of(String text) {
        return new Vocabulary(text.codePoints().sorted().distinct().toArray());
    }

    /** From the string {@link #chars()} gave (its code points in order); checks they are sorted and distinct. */
    public static Vocabulary parse(String chars) {
        int[] cps = chars.codePoints().toArray();
        for (int i = 1; i < cps.length; i++) {
            if (cps[i] <= cps[i - 1]) {
                throw new IllegalArgumentException("a vocabulary must list distinct characters in ascending order; "
                        + "character " + i + " (U+" + Integer.toHexString(cps[i]) + ") breaks it");
            }
        }
        if (cps.length == 0) {
            throw new IllegalArgumentException("empty vocabulary");
        }
        return new Vocabulary(cps);
    }

    public int size() { return codePoints.length; }

    /** All characters, in id order. */
    public String chars() { return new String(codePoints, 0, codePoints.length); }

    /** The id of a code point, or -1 if it is not in the vocabulary. */
    public int id(int codePoint) {
        int i = Arrays.binarySearch(codePoints, codePoint);
        return i >= 0 ? i : -1;
    }

    /** The code point of an id. */
    public int codePoint(int id) { return codePoints[id]; }

    /** Ids of {@code text}; a character outside the vocabulary is an error naming it and its position. */
    public int[] encode(String text, String what) {
        int[] cps = text.codePoints().toArray();
        int[] ids = new int[cps.length];
        for (int i = 0; i < cps.length; i++) {
            ids[i] = id(cps[i]);
            if (ids[i] < 0) {
                throw new dev.quadrant.device.UserInputException(what + ": character " + i + " '"
                        + new String(Character.toChars(cps[i])) + "' (U+" + String.format("%04X", cps[i])
                        + ") is not in the model's vocabulary of " + size() + " characters");
            }
        }
        return ids;
    }

    /** Text of ids. */
    public String decode(int[] ids, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            sb.appendCodePoint(codePoints[ids[i]]);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) { return o instanceof Vocabulary v && Arrays.equals(v.codePoints, codePoints); }

    @Override
    public int hashCode() { return Arrays.hashCode(codePoints); }
}
