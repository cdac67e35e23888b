package dev.quadrant.bindings.mpi;

import dev.quadrant.bindings.NativeException;

/**
 * An MPI call returned an error status (MPI_ERRORS_RETURN is set on the communicator, so MPI never ends the process
 * by itself), or Open MPI could not be loaded. The message names the call, the status, MPI's own text, this
 * process's rank and host when known, and what to try next.
 */
public final class MpiException extends NativeException {
    private static final long serialVersionUID = 1L;

    public MpiException(String call, int status, String detail, String hint) {
        super("MPI", call, status, detail, hint);
    }

    public MpiException(String call, String message, Throwable cause) {
        super("MPI", call, message, cause);
    }
}
