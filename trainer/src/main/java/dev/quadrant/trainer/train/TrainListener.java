package dev.quadrant.trainer.train;

/** Receives progress from the {@link Trainer}, on the driver thread. All methods default to doing nothing. */
public interface TrainListener {

    /** Before the first step. */
    default void onStart(long totalSteps, int epochs, long stepsPerEpoch) {}

    /** After each optimizer step; {@code recentLoss} is the mean training loss since the last report, or NaN. */
    default void onStep(long step, int epoch, double recentLoss) {}

    /** After each evaluation (each epoch's end, every {@code --eval-every} steps, the end). */
    default void onEpoch(EpochMetrics m) {}

    /**
     * Asked after each evaluation: true stops training there (early stopping); the run then ends as if its steps were
     * done (checkpoint and save included).
     */
    default boolean stopRequested() { return false; }

    /**
     * Asked after each step (and its evaluation and checkpoint, if due): true interrupts the run there, without a
     * further evaluation; the checkpoint hooks save the state at that step and {@link Trainer#fit} throws
     * {@link TrainingInterruptedException} ({@link #onEnd} is not called). Ctrl-C in {@code quadrant train} uses it.
     * Called on the driver thread; an implementation set from another thread must publish safely (a volatile field).
     */
    default boolean interruptRequested() { return false; }

    /** After the last epoch. */
    default void onEnd(TrainResult result) {}
}
