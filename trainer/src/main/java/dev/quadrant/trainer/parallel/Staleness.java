package dev.quadrant.trainer.parallel;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * Staleness of the asynchronous strategies' exchanges (what one exchange counts as stale is the strategy's to say):
 * count, sum and maximum, recorded from any replica thread without locks, reported as {@code staleness_mean} and
 * {@code staleness_max}.
 */
final class Staleness {
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong sum = new AtomicLong();
    private final LongAccumulator max = new LongAccumulator(Math::max, 0);

    /** Records one exchange that was {@code stale} updates (or steps) behind. */
    void record(long stale) {
        count.incrementAndGet();
        sum.addAndGet(stale);
        max.accumulate(stale);
    }

    /** Adds {@code staleness_mean} and {@code staleness_max} to {@code metrics}. */
    void putInto(Map<String, Object> metrics) {
        long n = count.get();
        metrics.put("staleness_mean", n == 0 ? 0.0 : sum.get() / (double) n);
        metrics.put("staleness_max", max.get());
    }
}
