package dev.quadrant.device.comm;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What the ranks of one {@link LocalCommunicator} group share: the rendezvous and one slot per rank in which the
 * rank publishes the collective it is in. A rank writes its own slot before the first rendezvous of a collective
 * and clears it after the last; other ranks read the slots only between the two, so the rendezvous orders every
 * access.
 */
final class LocalGroup {
    final int size;
    final Rendezvous rendezvous;
    private final AtomicReferenceArray<Op> slots;

    LocalGroup(int size, Duration deadline) {
        this.size = size;
        this.rendezvous = new Rendezvous(size, deadline);
        this.slots = new AtomicReferenceArray<>(size);
    }

    void publish(int rank, Op op) {
        slots.set(rank, op);
    }

    void clear(int rank) {
        slots.set(rank, null);
    }

    /**
     * The ops of all ranks, read after the first rendezvous; breaks the group and throws if the ranks disagree on
     * the collective (every rank reads the same slots, so every rank reaches the same verdict).
     */
    Op[] agreedOps(int rank, Op mine) {
        Op[] ops = new Op[size];
        StringBuilder disagreement = new StringBuilder();
        for (int r = 0; r < size; r++) {
            ops[r] = slots.get(r);
            if (ops[r] == null || !ops[r].matches(mine)) {
                disagreement.append("; rank ").append(r).append(" called ")
                        .append(ops[r] == null ? "nothing" : ops[r].describe());
            }
        }
        if (disagreement.length() > 0) {
            rendezvous.breakWith(Breakage.other("ranks disagree on the collective: rank " + rank + " called "
                    + mine.describe() + disagreement + ". Every rank must issue the same collectives in the same "
                    + "order with the same count, reduce op and root"));
        }
        rendezvous.checkHealthy(rank, mine.describe());
        return ops;
    }
}
