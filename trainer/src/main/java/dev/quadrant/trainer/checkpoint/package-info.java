/**
 * Checkpoints of a training run, and resuming from them: the versioned on-disk format (a directory
 * {@code step-000123/} holding {@code model.safetensors}, {@code optimizer.safetensors} and a {@code manifest.json}
 * with SHA-256 checksums, written last), the strict manifest reader, the writer that makes a checkpoint appear
 * atomically and keeps the last K, and the loader that finds the newest valid one.
 *
 * <p>Depends on {@code io} (safetensors, atomic files), {@code nn} (parameter layouts) and {@code optim}; not on
 * {@code train}, which uses it. The format is documented in the README's "Checkpoints and resume" section and in
 * {@link dev.quadrant.trainer.checkpoint.CheckpointManifest}.
 */
package dev.quadrant.trainer.checkpoint;
