package dev.quadrant.trainer.data;

import java.util.Arrays;
import java.util.Objects;

import dev.quadrant.device.DType;
import dev.quadrant.device.UserInputException;

/**
 * Seeded data augmentation of image inputs ({@code F32[H, W, C]}, channels last), the value of {@code --augment}:
 * a random crop with zero padding ({@code crop:P}: pad P zeros on every side, then cut H x W back out at an offset
 * drawn from {@code [0, 2P]^2}) and a random horizontal flip ({@code flip}: with probability 1/2), in that order.
 * Off ({@link #NONE}) by default.
 *
 * <p>What is done to a sample is a pure function of {@code (seed, epoch, sample id)} ({@link #key}): the same on
 * every run, after a resume, and whichever replica gathers the sample, so augmentation changes neither resume
 * exactness nor the independence from the number of replicas. Only the training split is augmented
 * ({@link #apply}, called by the trainer once per epoch), never evaluation.
 *
 * <p>Immutable and thread-safe. Example:
 * <pre>{@code
 * Augmentation a = Augmentation.parse("crop:4,flip");
 * a.check(train.schema().input());                  // images only
 * Samples epoch3 = a.apply(train, seed, 3);         // a view: gather() returns augmented images
 * }</pre>
 *
 * @param pad  zero padding of the random crop, 0 for no crop
 * @param flip whether images are flipped left-right at random
 */
public record Augmentation(int pad, boolean flip) {
    /** The option this parses, as error messages name it. */
    public static final String OPTION = "--augment";
    /** No augmentation. */
    public static final Augmentation NONE = new Augmentation(0, false);
    /** The largest padding {@code crop:P} accepts. */
    public static final int MAX_PAD = 1024;
    /** Separates the augmentation stream of a seed from the other streams derived from it (epoch orders, dropout). */
    private static final long STREAM = 0x4155474D454E5431L; // "AUGMENT1"

    public Augmentation {
        if (pad < 0 || pad > MAX_PAD) {
            throw new IllegalArgumentException("crop padding must be in 0.." + MAX_PAD + ", got " + pad);
        }
    }

    /**
     * Parses {@code none} or a comma-separated list of {@code crop:P} and {@code flip}, e.g. {@code crop:4,flip}.
     *
     * @throws UserInputException naming {@code --augment}, the text and the accepted forms
     */
    public static Augmentation parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.trim().equals("none")) {
            return NONE;
        }
        int pad = 0;
        boolean flip = false;
        boolean cropSeen = false;
        for (String part : text.split(",", -1)) {
            String p = part.trim();
            if (p.equals("flip") && !flip) {
                flip = true;
            } else if (p.startsWith("crop:") && !cropSeen) {
                cropSeen = true;
                try {
                    pad = Integer.parseInt(p.substring("crop:".length()).trim());
                } catch (NumberFormatException e) {
                    throw bad(text, "P in crop:P must be an integer");
                }
                if (pad < 1 || pad > MAX_PAD) {
                    throw bad(text, "P in crop:P is " + pad + ", expected 1.." + MAX_PAD);
                }
            } else {
                throw bad(text, "'" + p + "' is not crop:P or flip, or is given twice");
            }
        }
        return new Augmentation(pad, flip);
    }

    private static UserInputException bad(String text, String detail) {
        return new UserInputException(OPTION + " '" + text + "': expected none, or crop:P and/or flip separated by a "
                + "comma, e.g. crop:4,flip (" + detail + ")");
    }

    /** Whether this changes nothing. */
    public boolean isNone() { return pad == 0 && !flip; }

    /**
     * Checks that {@code input} is an image field ({@code F32[H, W, C]}).
     *
     * @throws UserInputException naming {@code --augment}, the field and what was expected, if it is not
     */
    public void check(Field input) {
        if (isNone()) {
            return;
        }
        if (input.dtype() != DType.FLOAT32 || input.shape().length != 3) {
            throw new UserInputException(OPTION + " " + this + " augments images, F32[H, W, C]; the data's input is "
                    + input + " (use image data, e.g. --data idx:DIR, or drop " + OPTION + ")");
        }
    }

    /**
     * The training samples of epoch {@code epoch} as this augmentation transforms them: {@code train} itself when
     * this is {@link #NONE}, else a view whose input field is augmented as it is gathered.
     *
     * @throws UserInputException if the input is not an image field ({@link #check})
     */
    public Samples apply(Samples train, long seed, long epoch) {
        check(train.schema().input());
        return isNone() ? train : new AugmentedSamples(train, this, seed, epoch);
    }

    /** The key that fixes what is done to sample {@code id} in epoch {@code epoch} of a run seeded {@code seed}. */
    public static long key(long seed, long epoch, long id) {
        return SplitMix64.derive(SplitMix64.derive(SplitMix64.derive(seed, STREAM), epoch), id);
    }

    /**
     * Transforms one image {@code [h, w, c]} from {@code src} at {@code srcOff} into {@code dst} at {@code dstOff}
     * (the two must not overlap), as drawn from {@code key}.
     */
    void transform(long key, float[] src, int srcOff, float[] dst, int dstOff, int h, int w, int c) {
        SplitMix64 rng = new SplitMix64(key);
        int dy = pad > 0 ? rng.nextInt(2 * pad + 1) - pad : 0;   // source row of output row 0
        int dx = pad > 0 ? rng.nextInt(2 * pad + 1) - pad : 0;   // source column of output column 0
        boolean mirror = flip && rng.nextLong() < 0;
        transform(dy, dx, mirror, src, srcOff, dst, dstOff, h, w, c);
    }

    /**
     * The transform itself: output pixel {@code (y, x)} is input pixel {@code (y + dy, x' + dx)}, zero outside the
     * image, where {@code x'} is {@code w - 1 - x} when {@code mirror} (the flip follows the crop) and {@code x}
     * otherwise.
     */
    static void transform(int dy, int dx, boolean mirror, float[] src, int srcOff, float[] dst, int dstOff,
                          int h, int w, int c) {
        for (int y = 0; y < h; y++) {
            int sy = y + dy;
            int rowOut = dstOff + y * w * c;
            if (sy < 0 || sy >= h) {
                Arrays.fill(dst, rowOut, rowOut + w * c, 0f);
                continue;
            }
            int rowIn = srcOff + sy * w * c;
            for (int x = 0; x < w; x++) {
                int sx = (mirror ? w - 1 - x : x) + dx;
                int out = rowOut + x * c;
                if (sx < 0 || sx >= w) {
                    Arrays.fill(dst, out, out + c, 0f);
                } else {
                    System.arraycopy(src, rowIn + sx * c, dst, out, c);
                }
            }
        }
    }

    /** The canonical text: {@code none}, {@code crop:4}, {@code flip} or {@code crop:4,flip}. */
    @Override
    public String toString() {
        if (isNone()) {
            return "none";
        }
        return (pad > 0 ? "crop:" + pad : "") + (pad > 0 && flip ? "," : "") + (flip ? "flip" : "");
    }
}
