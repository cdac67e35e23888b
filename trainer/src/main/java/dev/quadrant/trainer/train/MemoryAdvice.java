package dev.quadrant.trainer.train;

import java.util.Locale;
import java.util.function.Supplier;

import dev.quadrant.device.UserInputException;

/**
 * Turns running out of Java heap into a user error that says what was being done, about how much it asked for, how
 * much the heap holds and has free, and what to reduce. Stateless.
 *
 * <pre>{@code
 * StepRunner runner = MemoryAdvice.guard("building 4 replicas of mlp:4096-4096", bytes, () -> buildRunner(...));
 * }</pre>
 */
public final class MemoryAdvice {
    private MemoryAdvice() {}

    /**
     * Runs {@code work}; an {@link OutOfMemoryError} becomes a {@link UserInputException} with the figures.
     *
     * @param what what is being done, e.g. {@code "loading --data idx:mnist"}
     * @param askedBytes an estimate of what {@code work} allocates, or a negative number if unknown
     */
    public static <T> T guard(String what, long askedBytes, Supplier<T> work) {
        try {
            return work.get();
        } catch (OutOfMemoryError e) {
            throw new UserInputException(message(what, askedBytes, e), e);
        }
    }

    /** The one-line message for an {@link OutOfMemoryError} while doing {@code what}. */
    static String message(String what, long askedBytes, OutOfMemoryError e) {
        Runtime rt = Runtime.getRuntime();
        long max = rt.maxMemory();
        long free = max - (rt.totalMemory() - rt.freeMemory());
        return String.format(Locale.ROOT, "out of memory while %s%s: the Java heap may grow to %s and has %s free; "
                        + "CPU replicas keep their buffers in direct memory, limited to the same size unless "
                        + "-XX:MaxDirectMemorySize is set (%s); reduce --batch, the model (--model) or the number of "
                        + "replicas (--devices), or give Java more memory, e.g. QUADRANT_JAVA_OPTS=-Xmx%dg",
                what, askedBytes >= 0 ? " (about " + mib(askedBytes) + " asked for)" : "", mib(max), mib(free),
                e.getMessage() == null ? "OutOfMemoryError" : e.getMessage(),
                Math.max(2, 2 * (max >> 30) + 1));
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%,d MiB", bytes >> 20);
    }
}
