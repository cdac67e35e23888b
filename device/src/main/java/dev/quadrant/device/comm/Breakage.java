package dev.quadrant.device.comm;

import java.util.List;

/**
 * Why a {@link Rendezvous} broke; turns into a fresh {@link CommunicatorException} for each rank that observes it,
 * so that every rank gets its own stack trace while the cause stays the failing rank's own exception.
 */
record Breakage(Kind kind, int failedRank, Throwable cause, List<Integer> missingRanks, String reason) {

    enum Kind { RANK_FAILED, TIMEOUT, OTHER }

    static Breakage rankFailed(int rank, Throwable cause) {
        return new Breakage(Kind.RANK_FAILED, rank, cause, List.of(), "rank " + rank + " failed: " + cause);
    }

    static Breakage timeout(List<Integer> missing, String reason) {
        return new Breakage(Kind.TIMEOUT, -1, null, missing, reason);
    }

    static Breakage other(String reason) {
        return new Breakage(Kind.OTHER, -1, null, List.of(), reason);
    }

    /** The exception for {@code observer}, which was doing {@code doing} (null if between collectives). */
    CommunicatorException toException(int observer, String doing) {
        String message = "rank " + observer + (doing == null ? "" : " in " + doing)
                + ": communicator broken: " + reason;
        return switch (kind) {
            case RANK_FAILED -> new RankFailedException(message, failedRank, cause);
            case TIMEOUT -> new CommunicatorTimeoutException(message, missingRanks);
            case OTHER -> new CommunicatorException(message);
        };
    }
}
