/**
 * The training loop ({@link dev.quadrant.trainer.train.Trainer}): epochs over a seeded order, evaluation on the test
 * split after each epoch, metrics to listeners, and a summary at the end.
 */
package dev.quadrant.trainer.train;
