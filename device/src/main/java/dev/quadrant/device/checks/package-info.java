/**
 * The argument rules of the {@link dev.quadrant.device.Backend} ops, written once for every backend: shapes, sizes,
 * ranks and which arguments may share memory ({@link dev.quadrant.device.checks.OpChecks} per op, {@link dev.quadrant.device.checks.SequenceOpChecks} and
 * {@link dev.quadrant.device.checks.ImageOpChecks} for the sequence and image ops,
 * {@link dev.quadrant.device.checks.BatchNormOpChecks} for batch normalisation,
 * {@link dev.quadrant.device.checks.TensorChecks} for the building blocks). Each failure is an
 * {@link java.lang.IllegalArgumentException} naming the op, the argument, the shape seen and the one expected.
 * Where a tensor lives and its element type are checked by each backend, which knows its own storage.
 *
 * <p>Depends on: {@code dev.quadrant.device} (Tensor, DType, Window2d) only. Stateless.
 */
package dev.quadrant.device.checks;
