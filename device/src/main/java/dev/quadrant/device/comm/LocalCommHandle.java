package dev.quadrant.device.comm;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** The {@link CommHandle} of a {@link LocalCommunicator} async collective: a future completed by {@code comm-<rank>}. */
final class LocalCommHandle implements CommHandle {
    private final LocalCommunicator comm;
    private final CompletableFuture<Void> done;
    private final String what;

    LocalCommHandle(LocalCommunicator comm, CompletableFuture<Void> done, String what) {
        this.comm = comm;
        this.done = done;
        this.what = what;
    }

    /**
     * Blocks until the collective has completed. An interrupt while waiting restores the flag and aborts the rank.
     * A failure rethrows the exception the helper thread got (its cause is the failing rank's own exception).
     */
    @Override
    public void await() {
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            comm.abort(e);
            throw comm.brokenException(what);
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error err) {
                throw err;
            }
            throw new CommunicatorException("rank " + comm.rank() + " in " + what + ": failed", t);
        }
    }

    @Override
    public boolean isDone() {
        return done.isDone();
    }

    @Override
    public String toString() {
        return "CommHandle[rank " + comm.rank() + ", " + what + (done.isDone() ? ", done]" : "]");
    }
}
