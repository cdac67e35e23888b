package dev.quadrant.device.comm;

import java.util.List;

/**
 * A rank waited longer than the communicator's deadline for the others to arrive at a collective (the
 * "stall inspector" verdict): {@link #missingRanks()} had not arrived. The first rank to time out breaks the
 * communicator, so every rank then gets this exception with the same missing ranks.
 *
 * <p>Likely causes, in the order the message lists them: a replica is stuck or much slower than the deadline allows
 * (raise the deadline), a replica failed without calling {@link Communicator#abort}, or the ranks issue
 * different sequences of collectives.
 */
public class CommunicatorTimeoutException extends CommunicatorException {
    private static final long serialVersionUID = 1L;
    private final List<Integer> missingRanks;

    public CommunicatorTimeoutException(String message, List<Integer> missingRanks) {
        super(message);
        this.missingRanks = List.copyOf(missingRanks);
    }

    /** The ranks that had not arrived when the deadline passed, ascending. */
    public List<Integer> missingRanks() {
        return missingRanks;
    }
}
