/**
 * The vocabulary of Quadrant: {@link dev.quadrant.device.Device}, {@link dev.quadrant.device.Tensor},
 * the {@link dev.quadrant.device.Backend} of ops the trainer needs, its implementations (CPU in
 * {@code dev.quadrant.device.cpu}, CUDA in {@code dev.quadrant.device.cuda}, the float64 reference every backend is
 * compared with in {@code dev.quadrant.device.reference}), the argument rules they share
 * ({@code dev.quadrant.device.checks}), the backend-neutral ordering and timing primitives a backend hands out
 * ({@link dev.quadrant.device.StreamEvent}, {@link dev.quadrant.device.Timeline} read by
 * {@link dev.quadrant.device.StepClock}; host no-ops by default, CUDA events on a GPU) and the communicators that move
 * bytes between replicas ({@code dev.quadrant.device.comm}; {@code dev.quadrant.device.group} picks them for a group
 * of backends).
 *
 * <p>Depends on: native-bindings, kernels. Nothing here knows about models or training.
 */
package dev.quadrant.device;
