/**
 * Models, losses, optimizers, data, parallel strategies, the training loop and checkpoints
 * (the library).
 *
 * <p>Depends on: device (and through it native-bindings and kernels), Jackson (JSON, CSV), the SLF4J API; XChart
 * optionally (plots). The {@code quadrant} command is module {@code quadrant-cli}.
 */
package dev.quadrant.trainer;
