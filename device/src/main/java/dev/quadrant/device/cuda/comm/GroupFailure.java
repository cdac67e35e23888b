package dev.quadrant.device.cuda.comm;

import java.util.List;

import dev.quadrant.device.comm.CommunicatorException;
import dev.quadrant.device.comm.CommunicatorTimeoutException;
import dev.quadrant.device.comm.RankFailedException;

/**
 * Why a {@link CudaCommunicator} group broke; each rank that observes it gets a fresh exception (its own stack
 * trace) whose cause is the failing rank's own exception.
 */
record GroupFailure(Kind kind, int failedRank, Throwable cause, List<Integer> missingRanks, String reason) {

    enum Kind { RANK_FAILED, TIMEOUT, OTHER, CLOSED }

    static GroupFailure rankFailed(int rank, Throwable cause) {
        return new GroupFailure(Kind.RANK_FAILED, rank, cause, List.of(), "rank " + rank + " failed: " + cause);
    }

    static GroupFailure timeout(List<Integer> missing, String reason) {
        return new GroupFailure(Kind.TIMEOUT, -1, null, missing, reason);
    }

    static GroupFailure other(String reason, Throwable cause) {
        return new GroupFailure(Kind.OTHER, -1, cause, List.of(), reason);
    }

    static GroupFailure closed(int rank) {
        return new GroupFailure(Kind.CLOSED, -1, null, List.of(), "rank " + rank + " closed its communicator");
    }

    CommunicatorException toException(int observer, String doing) {
        String message = "rank " + observer + (doing == null ? "" : " in " + doing) + ": communicator broken: " + reason;
        return switch (kind) {
            case RANK_FAILED -> new RankFailedException(message, failedRank, cause);
            case TIMEOUT -> new CommunicatorTimeoutException(message, missingRanks);
            case OTHER -> cause == null ? new CommunicatorException(message) : new CommunicatorException(message, cause);
            case CLOSED -> new CommunicatorException(message);
        };
    }
}
