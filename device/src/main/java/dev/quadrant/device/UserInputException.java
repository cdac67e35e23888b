package dev.quadrant.device;

/**
 * An error the user can fix: a bad option, a malformed data or checkpoint file, a device that is not there.
 *
 * <p>The message is one line that names the file, field or option, the value seen and what was expected. The
 * command line prints only the message and exits with status 2 (the stack trace with {@code --verbose}).
 * Anything else that escapes is an internal error (status 1).
 */
public class UserInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserInputException(String message) {
        super(message);
    }

    public UserInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
