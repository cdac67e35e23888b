package dev.quadrant.device.cuda;

import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;

/**
 * Makes a backend "like" another one on some device, for strategies that need state of their own next to the
 * replicas (a Hogwild parameter server on replica 0's GPU, a worker's handle on the server's GPU): a CUDA backend
 * of the same precision and kernels, or a one-thread CPU backend. Stateless and thread-safe.
 *
 * <pre>{@code
 * Backend server = Backends.like(replica0.backend(), replica0.backend().device());
 * }</pre>
 */
public final class Backends {
    private Backends() {}

    /** A new backend on {@code device} configured like {@code template}; the caller closes it. */
    public static Backend like(Backend template, Device device) {
        CudaBackend c = CudaBackend.of(template);
        if (c != null && device.kind() == Device.Kind.CUDA) {
            return c.sibling(device);
        }
        return BackendProvider.of(device.kind()).create(device, 1);
    }
}
