package dev.quadrant.device.cuda;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.quadrant.bindings.cuda.Cuda;

/**
 * Enables peer access between two GPUs once per process and pair (peer access is process-wide CUDA state, so
 * remembering which pairs were tried is too). Pairs that cannot access each other are left alone: peer copies between
 * them still work, staged by the driver. Thread-safe.
 *
 * <pre>{@code
 * PeerAccess.enable(0, 1);   // kernels and copies on cuda:0 may now address cuda:1 memory directly
 * }</pre>
 */
public final class PeerAccess {
    private static final Set<Long> TRIED = ConcurrentHashMap.newKeySet();

    private PeerAccess() {}

    /**
     * Lets {@code device} address {@code peer}'s memory if the pair supports it; returns whether it can. Leaves
     * {@code device} current on the calling thread.
     */
    public static boolean enable(int device, int peer) {
        if (device == peer) {
            return true;
        }
        long key = ((long) device << 32) | (peer & 0xffffffffL);
        boolean can = Cuda.canAccessPeer(device, peer);
        Cuda.setDevice(device);
        if (can && TRIED.add(key)) {
            Cuda.enablePeerAccess(peer);
        }
        return can;
    }
}
