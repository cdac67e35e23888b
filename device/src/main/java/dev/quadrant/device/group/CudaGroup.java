package dev.quadrant.device.group;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.quadrant.bindings.cuda.Nccl;
import dev.quadrant.device.Backend;
import dev.quadrant.device.comm.ProcessLink;
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
        List<TensorCommunicator> out = new ArrayList<>();
        for (CudaCommunicator c : CudaCommunicator.create(cuda(backends), deadline, Layers.AUTO, elements)) {
            out.add(TensorCommunicator.of(c, CudaBuffer::of, c.describe()));
        }
        return out;
    }

    /**
     * This process's ranks of one NCCL communicator over every GPU of the job: process {@code p}'s replica {@code i}
     * is global rank (and NCCL rank) {@code p * backends.size() + i}, every process having the same number of GPU
     * replicas (the caller checks), one per GPU. Process 0 makes the NCCL id and broadcasts it over {@code link}
     * ({@link #jobUniqueId}). A collective of every process.
     */
    static List<TensorCommunicator> acrossProcesses(List<Backend> backends, Duration deadline, long elements,
                                                    ProcessLink link) {
        List<CudaBackend> cuda = cuda(backends);
        byte[] id = jobUniqueId(link);
        List<TensorCommunicator> out = new ArrayList<>();
        for (CudaCommunicator c : CudaCommunicator.createInJob(cuda, deadline, elements,
                link.rank() * cuda.size(), link.size() * cuda.size(), id, link)) {
            out.add(TensorCommunicator.of(c, CudaBuffer::of, c.describe() + ", " + link.describe()
                    + " for the NCCL id and barriers"));
        }
        return out;
    }

    /**
     * The NCCL unique id of a job: process 0 calls {@link Nccl#uniqueId()} and broadcasts its 128 bytes over
     * {@code link} as 32 floats ({@link NcclIdFloats}); every process returns the same bytes. A collective.
     */
    static byte[] jobUniqueId(ProcessLink link) {
        FloatBuffer buf = ByteBuffer.allocateDirect(4 * NcclIdFloats.FLOATS).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        if (link.rank() == 0) {
            NcclIdFloats.pack(Nccl.uniqueId(), buf);
        }
        link.broadcast(buf, 0, NcclIdFloats.FLOATS, 0);
        return NcclIdFloats.unpack(buf);
    }

    private static List<CudaBackend> cuda(List<Backend> backends) {
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
        return cuda;
    }
}
