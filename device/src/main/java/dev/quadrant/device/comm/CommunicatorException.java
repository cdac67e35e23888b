package dev.quadrant.device.comm;

/**
 * A collective could not complete because the communicator is broken (see the failure model of
 * {@link Communicator}). Subclasses say why when a rank or a deadline is to blame; this base class covers ranks that
 * disagree on an operation and a closed communicator.
 *
 * <p>Each waiting rank gets its own instance (with its own stack trace); the message says which rank observed the
 * failure, in which operation, and why the group broke.
 */
public class CommunicatorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommunicatorException(String message) {
        super(message);
    }

    public CommunicatorException(String message, Throwable cause) {
        super(message, cause);
    }
}
