package dev.quadrant.bindings.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import org.bytedeco.cuda.cudart.CUgraphExec_st;
import org.bytedeco.cuda.cudart.CUgraph_st;

/**
 * A CUDA graph captured from the work one thread queues on a stream, instantiated and ready to replay with one
 * launch.
 *
 * <p>While capturing, queued work does not run, and nothing may synchronise the stream. Not thread-safe.
 *
 * <pre>{@code
 * try (CudaGraph g = CudaGraph.capture(stream, () -> step.run())) { for (...) g.launch(stream); }
 * }</pre>
 */
public final class CudaGraph implements AutoCloseable {
    private CUgraph_st graph;
    private CUgraphExec_st exec;

    private CudaGraph(CUgraph_st graph, CUgraphExec_st exec) {
        this.graph = graph;
        this.exec = exec;
    }

    /**
     * Captures what {@code body} queues on {@code stream} (thread-local capture mode), then instantiates it. If
     * {@code body} throws, the capture is ended and discarded and the exception propagates.
     */
    public static CudaGraph capture(CudaStream stream, Runnable body) {
        Cuda.check(cudaStreamBeginCapture(stream.handle(), cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
        CUgraph_st g = new CUgraph_st();
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            if (cudaStreamEndCapture(stream.handle(), g) == cudaSuccess && !g.isNull()) {
                cudaGraphDestroy(g);
            }
            throw e;
        }
        Cuda.check(cudaStreamEndCapture(stream.handle(), g), "cudaStreamEndCapture");
        CUgraphExec_st e = new CUgraphExec_st();
        int s = cudaGraphInstantiate(e, g, 0L);
        if (s != cudaSuccess) {
            cudaGraphDestroy(g);
            Cuda.check(s, "cudaGraphInstantiate");
        }
        return new CudaGraph(g, e);
    }

    /** Queues one replay of the graph on {@code stream}. */
    public void launch(CudaStream stream) {
        if (exec == null) {
            throw new IllegalStateException("graph is closed");
        }
        Cuda.check(cudaGraphLaunch(exec, stream.handle()), "cudaGraphLaunch");
    }

    /** Destroys the graph. Idempotent. */
    @Override
    public void close() {
        if (exec != null) {
            CUgraphExec_st e = exec;
            CUgraph_st g = graph;
            exec = null;
            graph = null;
            Cuda.check(cudaGraphExecDestroy(e), "cudaGraphExecDestroy");
            Cuda.check(cudaGraphDestroy(g), "cudaGraphDestroy");
        }
    }
}
