/**
 * Files the trainer reads and writes, and the charts drawn from them.
 *
 * <ul>
 *   <li>{@link dev.quadrant.trainer.io.AtomicFiles}: all-or-nothing replacement of a file (temp file, fsync,
 *       atomic rename, directory fsync); every writer here goes through it.</li>
 *   <li>{@link dev.quadrant.trainer.io.SafeTensors}: the safetensors format (checkpoints, exported weights):
 *       a byte-reproducible writer and a strict reader that names the file and field of every defect.</li>
 *   <li>{@link dev.quadrant.trainer.io.MetricsWriter} / {@link dev.quadrant.trainer.io.MetricsReader}: metrics
 *       as JSON lines, one object per record.</li>
 *   <li>{@link dev.quadrant.trainer.io.MetricsPlot}: loss and accuracy curves of one or more metrics files as a
 *       PNG (the {@code quadrant plot} command).</li>
 * </ul>
 *
 * <p>Readers throw {@link dev.quadrant.device.UserInputException} subclasses for any defect in the bytes they are
 * given and {@link java.io.IOException} only for failures of the file system itself.
 *
 * <p>Depends on: {@code dev.quadrant.device} (for {@link dev.quadrant.device.DType} and
 * {@link dev.quadrant.device.UserInputException}), Jackson, XChart. Nothing here knows about models or training.
 */
package dev.quadrant.trainer.io;
