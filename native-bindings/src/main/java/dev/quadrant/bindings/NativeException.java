package dev.quadrant.bindings;

/**
 * A native library call failed or a native library could not be loaded.
 *
 * <p>The message names the library, the call, the status (name and number where the library has them) and a hint
 * that says what to try next.
 */
public class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String library;
    private final String call;
    private final int status;

    public NativeException(String library, String call, int status, String detail, String hint) {
        super(library + " " + call + " failed" + (status != 0 ? " with status " + status : "")
                + (detail == null || detail.isEmpty() ? "" : ": " + detail)
                + (hint == null || hint.isEmpty() ? "" : ". " + hint));
        this.library = library;
        this.call = call;
        this.status = status;
    }

    public NativeException(String library, String call, String message, Throwable cause) {
        super(library + " " + call + " failed: " + message, cause);
        this.library = library;
        this.call = call;
        this.status = 0;
    }

    public String library() { return library; }

    public String call() { return call; }

    public int status() { return status; }
}
