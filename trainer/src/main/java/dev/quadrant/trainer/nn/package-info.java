/**
 * Layers with explicit forward and backward passes, {@link dev.quadrant.trainer.nn.Sequential} models and losses.
 *
 * <p>All parameters of a model live in ONE flat buffer and all gradients in another ({@link
 * dev.quadrant.trainer.nn.Parameters}); a {@link dev.quadrant.trainer.nn.ParamLayout} of (name, shape, offset,
 * flags) hands out views. A whole-model all-reduce or optimizer step is therefore one call, and buckets, shards and
 * weight-decay groups are slices of the layout.
 */
package dev.quadrant.trainer.nn;
