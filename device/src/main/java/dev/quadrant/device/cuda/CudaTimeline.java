package dev.quadrant.device.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaEvent;
import dev.quadrant.device.Timeline;

/**
 * {@link CudaBackend#newTimeline()}: marks are timing events recorded on the backend's stream, so an interval is
 * stream time. Released marks' events are reused, so a steady state creates none. Not thread-safe (one replica's).
 */
final class CudaTimeline implements Timeline {
    private final CudaBackend gpu;
    private final ArrayDeque<CudaEvent> free = new ArrayDeque<>();
    private final List<CudaEvent> all = new ArrayList<>();

    CudaTimeline(CudaBackend gpu) {
        this.gpu = gpu;
    }

    private final class EventMark implements Mark {
        private final CudaEvent event;

        EventMark(CudaEvent event) {
            this.event = event;
        }

        @Override
        public boolean reached() {
            return event.isDone();
        }

        @Override
        public void await() {
            Cuda.setDevice(gpu.device().index());
            event.synchronize();
        }

        @Override
        public double msSince(Mark earlier) {
            if (!(earlier instanceof EventMark e) || e.owner() != CudaTimeline.this) {
                throw new IllegalArgumentException("a mark of " + gpu.device() + "'s timeline measured against "
                        + earlier);
            }
            return CudaEvent.elapsedMs(e.event, event);
        }

        @Override
        public void release() {
            free.push(event);
        }

        private CudaTimeline owner() { return CudaTimeline.this; }
    }

    @Override
    public Mark mark() {
        Cuda.setDevice(gpu.device().index());
        CudaEvent e = free.isEmpty() ? newEvent() : free.pop();
        e.record(gpu.stream());
        return new EventMark(e);
    }

    private CudaEvent newEvent() {
        CudaEvent e = CudaEvent.create(true);
        all.add(e);
        return e;
    }

    @Override
    public void close() {
        Cuda.setDevice(gpu.device().index());
        for (CudaEvent e : all) {
            e.close();
        }
        all.clear();
        free.clear();
    }
}
