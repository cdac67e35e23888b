package dev.quadrant.device.comm;

/**
 * The communicator is broken because rank {@link #failedRank()} failed: it called {@link Communicator#abort}, was
 * interrupted while waiting, or passed invalid arguments. {@link #getCause()} is that rank's own exception, the same
 * object on every rank.
 *
 * <pre>{@code
 * } catch (RankFailedException e) {
 *     log("replica " + e.failedRank() + " failed first", e.getCause());
 * }
 * }</pre>
 */
public class RankFailedException extends CommunicatorException {
    private static final long serialVersionUID = 1L;
    private final int failedRank;

    public RankFailedException(String message, int failedRank, Throwable cause) {
        super(message, cause);
        this.failedRank = failedRank;
    }

    /** The rank that failed first. */
    public int failedRank() {
        return failedRank;
    }
}
