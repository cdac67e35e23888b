package dev.quadrant.trainer.parallel;

/**
 * A replica's thread failed; every replica was stopped. The cause is the failing replica's own exception. If that
 * exception is a user error (e.g. a bad input detected on one replica), the command line still reports it as such,
 * because it looks through causes.
 */
public class ReplicaFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int rank;

    public ReplicaFailedException(int rank, String what, Throwable cause) {
        super("replica " + rank + " failed" + (what.isEmpty() ? "" : " " + what) + ": " + cause, cause);
        this.rank = rank;
    }

    /** The replica that failed first. */
    public int rank() { return rank; }
}
