package dev.quadrant.trainer.train;

import java.nio.file.Path;

/**
 * A run interrupted on request ({@link TrainListener#interruptRequested()}, Ctrl-C in {@code quadrant train}) after a
 * complete step: where it stopped, the run's total steps and the checkpoint holding the state at that step (null
 * without {@code --checkpoint-dir}). Not a failure: the replicas finished the step and were closed normally.
 *
 * <pre>{@code
 * try {
 *     Training.run(options, listeners);
 * } catch (TrainingInterruptedException e) {
 *     System.err.println("stopped at step " + e.position().step() + "; checkpoint " + e.checkpoint());
 * }
 * }</pre>
 */
public final class TrainingInterruptedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Trainer.Position position;
    private final long totalSteps;
    private final transient Path checkpoint;

    public TrainingInterruptedException(Trainer.Position position, long totalSteps, Path checkpoint) {
        super("training interrupted after step " + position.step() + " of " + totalSteps
                + (checkpoint != null ? "; checkpoint " + checkpoint : "; no checkpoint (no --checkpoint-dir)"));
        this.position = position;
        this.totalSteps = totalSteps;
        this.checkpoint = checkpoint;
    }

    /** Where training would continue: the steps done, the epoch and batch of the next step. */
    public Trainer.Position position() { return position; }

    /** The steps the run was to take. */
    public long totalSteps() { return totalSteps; }

    /** The checkpoint directory with the state at {@link #position()}, or null if none was written. */
    public Path checkpoint() { return checkpoint; }

    /** The same interruption, naming the checkpoint written for it. */
    TrainingInterruptedException withCheckpoint(Path written) {
        return new TrainingInterruptedException(position, totalSteps, written);
    }
}
