package dev.quadrant.device.comm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A reusable barrier for the ranks of one group, with a deadline on every wait, a stall report naming the ranks
 * that have not arrived, and all-or-none breakage (the first {@link Breakage} wins and is permanent).
 *
 * <p>Waiting threads park on a condition (no spinning: several ranks may share one core). Passing the barrier
 * happens-before returning from it on every rank, through the lock.
 */
final class Rendezvous {
    private final int size;
    private final Duration deadline;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition tripped = lock.newCondition();
    private final boolean[] arrived;     // guarded by lock
    private final String[] lastEntered;  // guarded by lock: what each rank last waited in, for the stall report
    private int count;                   // guarded by lock
    private long generation;             // guarded by lock
    private volatile Breakage breakage;  // written under lock, read anywhere

    Rendezvous(int size, Duration deadline) {
        this.size = size;
        this.deadline = deadline;
        this.arrived = new boolean[size];
        this.lastEntered = new String[size];
    }

    Duration deadline() {
        return deadline;
    }

    /** The breakage, or null while the group is healthy. */
    Breakage breakage() {
        return breakage;
    }

    /** Throws the breakage for {@code rank} if the group is broken. */
    void checkHealthy(int rank, String doing) {
        Breakage b = breakage;
        if (b != null) {
            throw b.toException(rank, doing);
        }
    }

    /**
     * Breaks the group with {@code b} unless it is broken already, and wakes every waiter.
     *
     * @return true if {@code b} became the breakage
     */
    boolean breakWith(Breakage b) {
        lock.lock();
        try {
            if (breakage != null) {
                return false;
            }
            breakage = b;
            tripped.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns once all ranks have called it (for this generation); throws if the group is or becomes broken, if
     * the deadline passes (breaking the group), or if the thread is interrupted (restoring the flag and breaking
     * the group with {@code rank} as the failed rank).
     */
    void await(int rank, String doing) {
        lock.lock();
        try {
            checkHealthy(rank, doing);
            long gen = generation;
            arrived[rank] = true;
            lastEntered[rank] = doing;
            if (++count == size) {
                count = 0;
                Arrays.fill(arrived, false);
                generation++;
                tripped.signalAll();
                return;
            }
            long limit = System.nanoTime() + deadline.toNanos();
            while (true) {
                if (generation != gen) {
                    return;  // passed, even if the group broke just after
                }
                checkHealthy(rank, doing);
                long left = limit - System.nanoTime();
                if (left <= 0) {
                    breakWith(stallReport(doing));
                    checkHealthy(rank, doing);
                }
                try {
                    tripped.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    breakWith(Breakage.rankFailed(rank, e));
                    checkHealthy(rank, doing);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Horovod-style stall inspector: who is missing, who is waiting, and what the missing ones did last. */
    private Breakage stallReport(String doing) {
        List<Integer> missing = new ArrayList<>();
        List<Integer> waiting = new ArrayList<>();
        StringBuilder last = new StringBuilder();
        for (int r = 0; r < size; r++) {
            if (arrived[r]) {
                waiting.add(r);
            } else {
                missing.add(r);
                last.append(last.length() == 0 ? "" : "; ").append("rank ").append(r).append(' ')
                        .append(lastEntered[r] == null ? "never entered a collective" : "last entered " + lastEntered[r]);
            }
        }
        String reason = "deadline of " + deadline.toMillis() + " ms passed in " + doing + " with ranks " + missing
                + " missing (" + last + "); ranks " + waiting + " were waiting. Likely causes: a replica is stuck or "
                + "slower than the deadline allows (raise it), a replica failed without calling abort(), or the "
                + "ranks issue different collectives";
        return Breakage.timeout(missing, reason);
    }
}
