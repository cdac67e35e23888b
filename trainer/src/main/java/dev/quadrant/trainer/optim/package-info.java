/**
 * Optimizers (SGD, momentum, Nesterov, Adam, AdamW) as fused updates over a replica's flat buffers, weight decay by
 * layout flags (weights decay, biases do not), learning-rate schedules and gradient clipping.
 */
package dev.quadrant.trainer.optim;
