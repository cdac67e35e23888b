package dev.quadrant.device.cuda.comm;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaEvent;
import dev.quadrant.bindings.cuda.CudaStream;
import dev.quadrant.bindings.cuda.Nccl;
import dev.quadrant.kernels.Kernels;
import dev.quadrant.kernels.LaunchTarget;

/**
 * What a {@link CudaCommGroup} keeps per GPU: the ranks on it, the communication stream every collective of those
 * ranks runs on, a scratch buffer for their sum, the launcher of the sum kernel, the GPU's NCCL rank (or null) and a
 * pool of events. Used under the group's lock only.
 */
final class Island {
    final int index;
    final int device;
    final int[] ranks;   // ascending
    final CudaStream stream;
    final Kernels kernels;
    Nccl.Comm nccl;
    private long scratch;
    private long scratchFloats;
    private final ArrayDeque<CudaEvent> free = new ArrayDeque<>();
    private final List<CudaEvent> all = new ArrayList<>();

    Island(int index, int device, int[] ranks, LaunchTarget target) {
        this.index = index;
        this.device = device;
        this.ranks = ranks.clone();
        this.stream = CudaStream.create(device);
        Kernels k;
        try {
            k = new Kernels(target);
        } catch (RuntimeException e) {
            stream.close();
            throw e;
        }
        this.kernels = k;
    }

    /** Makes this GPU current on the calling thread. */
    void enter() {
        Cuda.setDevice(device);
    }

    /** The scratch buffer, grown to at least {@code floats} (growing frees the old one, which waits for the GPU). */
    long scratch(long floats) {
        if (floats > scratchFloats || scratch == 0) {
            enter();
            Cuda.free(scratch);
            scratch = 0;
            scratchFloats = 0;
            long n = Math.max(floats, 1);
            scratch = Cuda.malloc(4 * n);
            scratchFloats = n;
        }
        return scratch;
    }

    /** An event of this GPU from the pool. */
    CudaEvent event() {
        if (!free.isEmpty()) {
            return free.pop();
        }
        enter();
        CudaEvent e = CudaEvent.create(false);
        all.add(e);
        return e;
    }

    void release(CudaEvent e) {
        free.push(e);
    }

    /** Frees the scratch, the events, the launcher and the stream (the NCCL rank is closed by the group). */
    void close(List<Throwable> errors) {
        enter();
        run(errors, () -> Cuda.free(scratch));
        scratch = 0;
        for (CudaEvent e : all) {
            run(errors, e::close);
        }
        all.clear();
        free.clear();
        run(errors, kernels::close);
        run(errors, stream::close);
    }

    static void run(List<Throwable> errors, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            errors.add(e);
        }
    }

    @Override
    public String toString() {
        return "cuda:" + device + " (ranks " + java.util.Arrays.toString(ranks) + ")";
    }
}
