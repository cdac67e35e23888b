/**
 * The vocabulary of Quadrant: {@link dev.quadrant.device.Device}, {@link dev.quadrant.device.Tensor},
 * the {@link dev.quadrant.device.Backend} of ops the trainer needs, its implementations (CPU in
 * {@code dev.quadrant.device.cpu}, CUDA in {@code dev.quadrant.device.cuda}, the float64 reference every backend is
 * compared with in {@code dev.quadrant.device.reference}), the argument rules they share
 * ({@code dev.quadrant.device.checks}) and the communicators that move bytes between replicas.
 *
 * <p>Depends on: native-bindings, kernels. Nothing here knows about models or training.
 */
package dev.quadrant.device;
