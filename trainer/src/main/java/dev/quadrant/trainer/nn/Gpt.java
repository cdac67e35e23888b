package dev.quadrant.trainer.nn;

/** Placeholder until the transformer modules land (branch gpt-modules). */
final class Gpt {
    private Gpt() {}

    static Module build(int layers, int heads, int dim, int ctx, int vocab, float dropout, boolean tie) {
        throw new UnsupportedOperationException("GPT modules are not merged yet");
    }
}
