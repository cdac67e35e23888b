package dev.quadrant.trainer.infer;

import java.util.SplittableRandom;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.data.Vocabulary;

/**
 * Samples text from a character-level language model: each new token is drawn from the softmax of the logits at the
 * last position, divided by {@code temperature}, keeping only the {@code topK} most likely (0: all). The model sees
 * the last {@code ctx} tokens; since it is causal, a window shorter than {@code ctx} is padded on the right and the
 * logits are read at its last real position, which gives what a model run on the short window gives. The same
 * seed gives the same text.
 *
 * <pre>{@code
 * String text = new Generator(model).generate("ROMEO:", 500, 0.8, 40, 1337);
 * }</pre>
 *
 * <p>Not thread-safe (it drives the model's buffers).
 */
public final class Generator {
    private final SavedModel model;
    private final Vocabulary vocab;
    private final int ctx;
    private final int v;

    public Generator(SavedModel model) {
        this.model = model;
        this.vocab = model.vocabulary();
        if (vocab == null || model.input().shape().length != 1) {
            throw new UserInputException("the model " + model.spec() + " is not a character-level language model "
                    + "(it records no vocabulary); sample from one trained with --data text:FILE");
        }
        this.ctx = model.input().shape()[0];
        this.v = vocab.size();
    }

    /**
     * {@code tokens} new characters after {@code prompt} (the prompt's characters must be in the vocabulary; an empty
     * prompt starts from a line break, or token 0 if the text has none). Returns the prompt followed by them.
     */
    public String generate(String prompt, int tokens, double temperature, int topK, long seed) {
        dev.quadrant.trainer.train.OptionChecks.checkSampling(tokens, temperature, topK);
        int[] start = prompt.isEmpty() ? new int[] {Math.max(0, vocab.id('\n'))} : vocab.encode(prompt, "--prompt");
        int[] ids = java.util.Arrays.copyOf(start, start.length + tokens);
        int len = start.length;
        SplittableRandom rng = new SplittableRandom(seed);
        int[] window = new int[ctx];
        double[] p = new double[v];
        for (int t = 0; t < tokens; t++) {
            int from = Math.max(0, len - ctx);
            int n = len - from;
            java.util.Arrays.fill(window, 0);
            System.arraycopy(ids, from, window, 0, n);
            float[] logits = model.predict(window, 1);          // [ctx, V]
            ids[len++] = draw(logits, (n - 1) * v, temperature, topK, rng, p);
        }
        String out = vocab.decode(ids, 0, len);
        return prompt.isEmpty() ? out.substring(Character.charCount(out.codePointAt(0))) : out;
    }

    private int draw(float[] logits, int at, double temperature, int topK, SplittableRandom rng, double[] p) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < v; j++) {
            max = Math.max(max, logits[at + j]);
        }
        double cut = Double.NEGATIVE_INFINITY;
        if (topK > 0 && topK < v) {
            float[] sorted = java.util.Arrays.copyOfRange(logits, at, at + v);
            java.util.Arrays.sort(sorted);
            cut = sorted[v - topK];
        }
        double sum = 0;
        for (int j = 0; j < v; j++) {
            double l = logits[at + j];
            p[j] = l < cut ? 0 : Math.exp((l - max) / temperature);
            sum += p[j];
        }
        double u = rng.nextDouble() * sum;
        for (int j = 0; j < v; j++) {
            u -= p[j];
            if (u < 0) {
                return j;
            }
        }
        for (int j = v - 1; j >= 0; j--) {   // rounding left u at or above 0: the last token with weight
            if (p[j] > 0) {
                return j;
            }
        }
        return 0;
    }
}
