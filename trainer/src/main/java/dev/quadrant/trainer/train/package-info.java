/**
 * The training loop ({@link dev.quadrant.trainer.train.Trainer}): epochs over a seeded order, evaluation on the test
 * split after each epoch, metrics to listeners, and a summary at the end; and one whole run
 * ({@link dev.quadrant.trainer.train.Training}) with its options, checkpoints and resume (through
 * {@code dev.quadrant.trainer.checkpoint}), the {@code --on-nan} policy and advice when memory runs out.
 */
package dev.quadrant.trainer.train;
