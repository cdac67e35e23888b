package dev.quadrant.trainer.train;

import java.util.List;
import java.util.Locale;

import dev.quadrant.device.UserInputException;

/**
 * The declared range of every numeric option, checked in one place: {@link Training#setup} applies
 * {@link #check(TrainOptions)} for {@code train}, for {@code eval} (which runs through the same setup) and for the
 * Java API; {@code sample} checks its own options with the same {@link Range}s. A value outside its range, NaN or an
 * infinity is refused with a message naming the option, the value and the range, before any file is read or
 * written.
 *
 * <p>Counts are bounded by what the code can represent ({@link #MAX_STEPS}, the int options by Java's int) and by
 * the machine: {@code --threads} and the number of CPU replicas by {@link #maxCpuThreads()}. Stateless.
 *
 * <pre>{@code
 * OptionChecks.check(options);                    // throws UserInputException naming the first bad option
 * OptionChecks.TEMPERATURE.check(1.5);            // one option alone
 * }</pre>
 */
public final class OptionChecks {
    /**
     * The largest {@code --steps}, {@code --eval-every} and {@code --log-every}: 2^53, the largest count a double holds
     * exactly (schedules and metrics compute with steps as doubles).
     */
    public static final long MAX_STEPS = 1L << 53;
    /** The largest number of rows of one optimizer step ({@code --batch} times {@code --grad-accum}): a Java array. */
    public static final long MAX_STEP_ROWS = Integer.MAX_VALUE - 8;
    /** CPU threads per core beyond which {@code --threads} (and CPU replicas) only oversubscribe the machine. */
    public static final int THREADS_PER_CORE = 4;
    /** {@link #maxCpuThreads()} is never below this, so small machines can still run a few replicas each. */
    public static final int MIN_THREAD_LIMIT = 64;

    private OptionChecks() {}

    /** The most CPU threads a run may ask for: {@code max(64, 4 x cores)}. */
    public static int maxCpuThreads() {
        return Math.max(MIN_THREAD_LIMIT, THREADS_PER_CORE * Runtime.getRuntime().availableProcessors());
    }

    /**
     * A closed or half-open range of one option's values. {@code integer} ranges take whole numbers; every range
     * refuses NaN and infinities.
     */
    public record Range(String option, double min, boolean minIncluded, double max, boolean maxIncluded,
                        boolean integer, String meaning) {
        /** Whole numbers in {@code [min, max]}. */
        public static Range ints(String option, long min, long max, String meaning) {
            return new Range(option, min, true, max, true, true, meaning);
        }

        /** Finite numbers from {@code min} (included or not) to {@code max} (included or not). */
        public static Range reals(String option, double min, boolean minIncluded, double max, boolean maxIncluded,
                                  String meaning) {
            return new Range(option, min, minIncluded, max, maxIncluded, false, meaning);
        }

        /** Throws unless {@code value} is in the range. */
        public void check(double value) {
            boolean ok = Double.isFinite(value)
                    && (minIncluded ? value >= min : value > min)
                    && (maxIncluded ? value <= max : value < max)
                    && (!integer || value == Math.rint(value));
            if (!ok) {
                throw new UserInputException(option + " " + text(value) + " is out of range: expected " + describe()
                        + (meaning.isEmpty() ? "" : " (" + meaning + ")"));
            }
        }

        /** Throws unless {@code value} is in the range (whole-number form, exact for any long). */
        public void check(long value) {
            if (!integer || value < (long) min || value > (long) max) {
                if (integer) {
                    throw new UserInputException(option + " " + value + " is out of range: expected " + describe()
                            + (meaning.isEmpty() ? "" : " (" + meaning + ")"));
                }
                check((double) value);
            }
        }

        /** The range in words, e.g. {@code an integer in 1..2147483647} or {@code a number in [0, 1)}. */
        public String describe() {
            if (integer) {
                return max >= Long.MAX_VALUE ? "an integer >= " + (long) min
                        : "an integer in " + (long) min + ".." + (long) max;
            }
            if (max == Double.MAX_VALUE) {
                return "a finite number " + (minIncluded ? ">= " : "> ") + text(min);
            }
            return "a number in " + (minIncluded ? "[" : "(") + text(min) + ", " + text(max) + (maxIncluded ? "]" : ")");
        }

        private static String text(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
        }
    }

    private static final double BIG = Double.MAX_VALUE;

    public static final Range EPOCHS = Range.ints("--epochs", 0, Integer.MAX_VALUE, "0 with --steps");
    public static final Range STEPS = Range.ints("--steps", 0, MAX_STEPS, "0 = use --epochs");
    public static final Range BATCH = Range.ints("--batch", 1, MAX_STEP_ROWS, "rows per micro-batch");
    public static final Range GRAD_ACCUM = Range.ints("--grad-accum", 1, MAX_STEP_ROWS, "micro-batches per step");
    public static final Range LR = Range.reals("--lr", 0, false, BIG, true, "learning rate");
    public static final Range MOMENTUM = Range.reals("--momentum", 0, true, 1, false, "");
    public static final Range WEIGHT_DECAY = Range.reals("--weight-decay", 0, true, BIG, true, "");
    public static final Range DROPOUT = Range.reals("--dropout", 0, true, 1, false, "a probability");
    public static final Range CLIP_NORM = Range.reals("--clip-norm", 0, true, BIG, true, "0 = off");
    public static final Range EVAL_EVERY = Range.ints("--eval-every", 0, MAX_STEPS, "0 = only at epoch ends");
    public static final Range EVAL_BATCHES = Range.ints("--eval-batches", 0, Integer.MAX_VALUE, "0 = all");
    public static final Range KEEP_CHECKPOINTS = Range.ints("--keep-checkpoints", 1, Integer.MAX_VALUE, "");
    public static final Range CSV_TEST_FRACTION = Range.reals("--csv-test-fraction", 0, false, 1, false, "");
    public static final Range VAL_FRACTION = Range.reals("--val-fraction", 0, true, 1, false, "0 = no validation set");
    public static final Range EARLY_STOP = Range.ints("--early-stop", 0, Integer.MAX_VALUE, "0 = off");
    public static final Range LOG_EVERY = Range.ints("--log-every", 0, MAX_STEPS, "0 = every 30 s");
    public static final Range TOKENS = Range.ints("--tokens", 0, Integer.MAX_VALUE - 8, "characters to generate");
    public static final Range TEMPERATURE = Range.reals("--temperature", 0, false, BIG, true, "");
    public static final Range TOP_K = Range.ints("--top-k", 0, Integer.MAX_VALUE, "0 = every token");

    /** {@code --threads}: 0 (every core) up to {@link #maxCpuThreads()}. */
    public static Range threads() {
        return Range.ints("--threads", 0, maxCpuThreads(), "0 = every core; more than " + THREADS_PER_CORE
                + " per core of this machine's " + Runtime.getRuntime().availableProcessors()
                + " only oversubscribes it");
    }

    /** Every range that {@link #check(TrainOptions)} applies, for tests that walk them all. */
    public static List<Range> trainRanges() {
        return List.of(EPOCHS, STEPS, BATCH, GRAD_ACCUM, LR, MOMENTUM, WEIGHT_DECAY, DROPOUT, CLIP_NORM, EVAL_EVERY,
                EVAL_BATCHES, KEEP_CHECKPOINTS, CSV_TEST_FRACTION, VAL_FRACTION, EARLY_STOP, threads());
    }

    /**
     * Checks every numeric option of {@code o} and their combinations ({@code --batch} x {@code --grad-accum} must
     * fit an array).
     *
     * @throws UserInputException naming the first option out of range, its value and the range
     */
    public static void check(TrainOptions o) {
        EPOCHS.check(o.epochs);
        STEPS.check(o.steps);
        BATCH.check(o.batch);
        GRAD_ACCUM.check(o.gradAccum);
        LR.check(o.lr);
        MOMENTUM.check(o.momentum);
        WEIGHT_DECAY.check(o.weightDecay);
        DROPOUT.check(o.dropout);
        CLIP_NORM.check(o.clipNorm);
        EVAL_EVERY.check(o.evalEvery);
        EVAL_BATCHES.check(o.evalBatches);
        KEEP_CHECKPOINTS.check(o.keepCheckpoints);
        CSV_TEST_FRACTION.check(o.csvTestFraction);
        VAL_FRACTION.check(o.valFraction);
        EARLY_STOP.check(o.earlyStop);
        threads().check(o.threads);
        long rows = (long) o.batch * o.gradAccum;
        if (rows > MAX_STEP_ROWS) {
            throw new UserInputException(String.format(Locale.ROOT, "--batch %d x --grad-accum %d = %d rows per step "
                    + "is more than %d (the largest Java array); lower one of them", o.batch, o.gradAccum, rows,
                    MAX_STEP_ROWS));
        }
    }

    /** Checks the options of text generation ({@code quadrant sample}, {@code Generator.generate}). */
    public static void checkSampling(int tokens, double temperature, int topK) {
        TOKENS.check(tokens);
        TEMPERATURE.check(temperature);
        TOP_K.check(topK);
    }

    /**
     * Checks that {@code replicas} CPU replicas (one thread each at least) fit the machine's thread bound.
     *
     * @param devices the {@code --devices} text, for the message
     */
    public static void checkCpuReplicas(String devices, int replicas) {
        int max = maxCpuThreads();
        if (replicas > max) {
            throw new UserInputException("--devices " + devices + ": " + replicas + " CPU replicas need a thread each, "
                    + "more than the " + max + " this machine allows (" + THREADS_PER_CORE + " per core of "
                    + Runtime.getRuntime().availableProcessors() + ", at least " + MIN_THREAD_LIMIT + "); use fewer");
        }
    }
}
