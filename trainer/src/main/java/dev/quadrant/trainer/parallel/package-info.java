/**
 * Replicas and the strategies that keep their model state in step: {@link dev.quadrant.trainer.parallel.Replica}
 * (backend, model, flat buffers, optimizer; driven by one thread) and the {@link
 * dev.quadrant.trainer.parallel.StepRunner} that runs one optimizer step over a global batch.
 */
package dev.quadrant.trainer.parallel;
