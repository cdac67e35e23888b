/**
 * The float64 reference of every {@link dev.quadrant.device.Backend} op, under the op's own name:
 * {@link dev.quadrant.device.reference.ReferenceBackend}. The conformance suite, the GPU self-test and the kernel
 * emulator tests compare every backend against it, and module gradient checks run on it (finite differences in
 * float64). Written for a reader to check against the Backend Javadoc: single-threaded plain loops, the textbook
 * formula, one op-family class each ({@code MatrixOps}, {@code ElementwiseOps}, {@code SequenceOps},
 * {@code LossOps}, {@code OptimizerOps}, {@code ImageOps}), over row-major {@code double[]} copies of the tensors.
 *
 * <p>Depends on: {@code dev.quadrant.device} (the API) and {@code dev.quadrant.device.checks}; no native code.
 */
package dev.quadrant.device.reference;
