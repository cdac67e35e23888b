/**
 * The vocabulary of Quadrant: {@link dev.quadrant.device.Device}, {@link dev.quadrant.device.Tensor},
 * the {@link dev.quadrant.device.Backend} of ops the trainer needs, its implementations (CPU here, CUDA in
 * {@code dev.quadrant.device.cuda}) and the communicators that move bytes between replicas.
 *
 * <p>Depends on: native-bindings, kernels. Nothing here knows about models or training.
 */
package dev.quadrant.device;
