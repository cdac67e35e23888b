/**
 * Training data: an in-memory {@link dev.quadrant.trainer.data.Dataset}, the readers that make one (MNIST-style IDX
 * files, CSV, a seeded synthetic problem), the {@code --data} option ({@link dev.quadrant.trainer.data.DataSpec}),
 * and the batching that every replica agrees on: a seeded permutation per epoch
 * ({@link dev.quadrant.trainer.data.EpochOrder}), samples read by index ({@link dev.quadrant.trainer.data.Samples},
 * which each replica gathers its own shard of a step's batch from), and the seeded augmentation of training images
 * ({@link dev.quadrant.trainer.data.Augmentation}, keyed by seed, epoch and sample).
 *
 * <p>Errors in files or options a user supplied are {@link dev.quadrant.device.UserInputException}s (for malformed
 * files the subclass {@link dev.quadrant.trainer.data.DataFormatException}) with a one-line message that names the
 * file, the field, the value seen and what was expected.
 *
 * <p>Depends on: the JDK and {@code dev.quadrant.device} (for {@code UserInputException}) only. Nothing here knows
 * about devices, models or training.
 */
package dev.quadrant.trainer.data;
