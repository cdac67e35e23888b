package dev.quadrant.device.group;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.quadrant.device.Backend;
import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.device.cuda.comm.CudaBuffer;
import dev.quadrant.device.cuda.comm.CudaCommunicator;
import dev.quadrant.device.cuda.comm.Layers;

/**
 * The GPU half of {@link Communicators#forGroup}, in a class of its own so that only a GPU group loads it (and,
 * through it, the CUDA classes).
 */
final class CudaGroup {
    private CudaGroup() {}

    /** {@link CudaCommunicator}s over the CUDA backends behind {@code backends} (all on {@code cuda:} devices). */
    static List<TensorCommunicator> forGroup(List<Backend> backends, Duration deadline, long elements) {
        List<CudaBackend> cuda = new ArrayList<>();
        for (int i = 0; i < backends.size(); i++) {
            Backend be = backends.get(i);
            CudaBackend c = CudaBackend.of(be);
            if (c == null) {
                throw new IllegalArgumentException("replica " + i + " is on " + be.device() + " but its backend ("
                        + be.describe() + ") is not a CUDA backend");
            }
            cuda.add(c);
        }
        List<TensorCommunicator> out = new ArrayList<>();
        for (CudaCommunicator c : CudaCommunicator.create(cuda, deadline, Layers.AUTO, elements)) {
            out.add(TensorCommunicator.of(c, CudaBuffer::of, c.describe()));
        }
        return out;
    }
}
