/**
 * Replicas and the strategies that keep their model state in step: {@link dev.quadrant.trainer.parallel.Replica}
 * (backend, model, flat buffers, optimizer; driven by one thread) and the {@link
 * dev.quadrant.trainer.parallel.StepRunner} that runs one optimizer step over a global batch.
 *
 * <p>Backend-neutral: depends on {@code dev.quadrant.device} (backends, tensors, and the ordering and timing primitives
 * {@code StreamEvent} and {@code StepClock} that a backend hands out), {@code dev.quadrant.device.comm} (collective
 * operations and handles), {@code dev.quadrant.device.group} (the communicators the device layer picks for a group of
 * backends) and the trainer's {@code nn}, {@code objective}, {@code optim} and {@code data}. Never on the CUDA
 * packages: {@code ParallelPackageBoundaryTest} fails on any reference to them.
 */
package dev.quadrant.trainer.parallel;
