/**
 * Models, losses, optimizers, data, parallel strategies, the training loop, checkpoints and the {@code quadrant}
 * command.
 *
 * <p>Depends on: device (and through it native-bindings and kernels), picocli, Jackson, SLF4J.
 */
package dev.quadrant.trainer;
