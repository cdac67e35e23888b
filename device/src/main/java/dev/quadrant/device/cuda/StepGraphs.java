package dev.quadrant.device.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.quadrant.bindings.cuda.CudaGraph;
import dev.quadrant.bindings.cuda.CudaStream;

/**
 * CUDA graphs for the repeated work of training steps, exact by construction: a graph is launched only where this
 * step queues, op for op, what the graph holds (the same kernels with the same argument bytes, the same cuBLAS calls,
 * memsets and copies at the same addresses), so a replay computes exactly what eager launches of the same step
 * would, and anything that changes from step to step (a learning rate from a schedule, Adam's step, a dropout seed, a
 * batch of another size, a scratch buffer at another address) makes that part of the step run eagerly instead.
 *
 * <p>A step ({@link #beginStep} .. {@link #endStep}) is cut into <em>segments</em> at its <em>boundaries</em>: every
 * point where the compute stream meets anything outside it (an event recorded or waited for, a communicator's
 * collective, an upload or download, a synchronisation; {@link CudaBackend} calls {@link #flush} there, and its
 * {@code stream()} accessor does before handing out the raw stream). Segment {@code i} of a step is compared with
 * segment {@code i} of the steps before:
 * <ol>
 *   <li>step 1 runs eagerly (warm-up: the caching allocator settles, so later steps see the same addresses);</li>
 *   <li>step 2 runs eagerly and each segment's ops are recorded;</li>
 *   <li>from step 3, a segment's ops are held back while they equal those of one of its recorded versions (at most
 *       {@value #VARIANTS}: a full batch and an epoch's last, partial one are two); at its end they are replaced by one
 *       launch of that version's graph (captured from its recorded ops the first time). At the first op that differs
 *       from every version, the held ops and the rest of the segment are launched eagerly, and the new ops are
 *       recorded as another version. A segment with fewer than {@value #MIN_OPS} ops, or whose ops changed
 *       {@value #MAX_CHANGES} times, stays eager. (The backend makes ops whose host arguments change every step, the
 *       gradient checks, the optimizer updates and the dropout masks, boundaries of their own: they run eagerly and
 *       leave the forward and backward passes around them to graphs.)</li>
 * </ol>
 * Work outside steps (evaluation, checkpoints) is always eager. Under the stub libraries, whose kernels run on the
 * host when launched ({@link dev.quadrant.kernels.LaunchTarget#runsOnHost}), a graph is its recorded list of ops,
 * replayed in order: the same holding back, comparing and replaying, on the host.
 *
 * <p>Not thread-safe: it belongs to a backend and its replica thread.
 */
final class StepGraphs implements AutoCloseable {
    /** Segments with fewer ops run eagerly: a graph launch would save nothing. */
    static final int MIN_OPS = 2;
    /** Versions of one segment kept (e.g. a full batch and the epoch's last, partial one). */
    static final int VARIANTS = 3;
    /** A segment whose ops changed this often (beyond its first version) stays eager. */
    static final int MAX_CHANGES = 8;

    /** One op on the compute stream: every byte that identifies it, and how to queue it. */
    record Op(long[] key, Runnable issue) {}

    /** A replayable segment: a CUDA graph, or under the stubs the ops themselves. */
    private interface Graph extends AutoCloseable {
        void launch();

        @Override
        void close();
    }

    /** One recorded version of a segment's ops (a full batch, the epoch's last partial one, ...). */
    private static final class Variant {
        final List<Op> ops;
        Graph graph;           // built at the first step that matches ops
        long lastUsed;

        Variant(List<Op> ops) { this.ops = ops; }
    }

    private static final class Segment {
        final List<Variant> variants = new ArrayList<>();
        int changes;           // versions learned after the first
        boolean eager;         // given up on, or too short
        String why;            // why it is eager
    }

    private enum Mode { EAGER, LEARN, SPECULATE }

    private final CudaStream stream;
    private final boolean hostLaunches;
    private final Map<Object, Integer> ids = new HashMap<>();
    private final List<Segment> segments = new ArrayList<>();
    private final List<Op> run = new ArrayList<>();   // the current segment's ops so far in this step
    private final List<Variant> candidates = new ArrayList<>();   // the versions run has matched so far
    private Mode mode = Mode.EAGER;
    private boolean enabled;
    private boolean inStep;
    private boolean flushing;
    private boolean outside;   // inside eagerly(...)
    private long steps;
    private int index;
    private long graphLaunches;
    private long opsReplayed;
    private int captureFailures;

    StepGraphs(CudaStream stream, boolean hostLaunches) {
        this.stream = stream;
        this.hostLaunches = hostLaunches;
    }

    /** Turns graphs on or off (off: every op is launched at once); flushes first. */
    void setEnabled(boolean on) {
        flush();
        enabled = on;
        if (!on) {
            clear();
        }
    }

    boolean enabled() { return enabled; }

    /** Whether an op queued now would be recorded or held back (callers skip building keys otherwise). */
    boolean recording() {
        return enabled && inStep && steps >= 2 && !flushing && !outside;
    }

    /**
     * Runs {@code body}, whose ops take host arguments that change every step (a step count, a learning rate from a
     * schedule, a dropout seed), eagerly and outside any segment, after ending the current one: the segments around
     * it stay replayable.
     */
    void eagerly(Runnable body) {
        flush();
        boolean was = outside;
        outside = true;
        try {
            body.run();
        } finally {
            outside = was;
        }
    }

    /** A small number standing for {@code what} (a kernel spec, an op kind) in keys. */
    long id(Object what) {
        return ids.computeIfAbsent(what, k -> ids.size() + 1);
    }

    /** The start of a step: flushes what is held, and starts counting segments from 0. */
    void beginStep() {
        flush();
        inStep = true;
        steps++;
        index = 0;
    }

    /** The end of a step: flushes; ops until the next step are eager. */
    void endStep() {
        flush();
        inStep = false;
    }

    /** Queues {@code issue} (identified by {@code key}), now or, while it matches a recorded version, later. */
    void submit(long[] key, Runnable issue) {
        if (!recording()) {
            issue.run();
            return;
        }
        if (run.isEmpty()) {
            Segment seg = segment(index);
            candidates.clear();
            if (seg.eager) {
                mode = Mode.EAGER;
            } else if (seg.variants.isEmpty() || steps == 2) {
                mode = Mode.LEARN;
            } else {
                mode = Mode.SPECULATE;
                candidates.addAll(seg.variants);
            }
        }
        Op op = new Op(key, issue);
        if (mode == Mode.SPECULATE) {
            int i = run.size();
            candidates.removeIf(v -> i >= v.ops.size() || !Arrays.equals(v.ops.get(i).key(), key));
            if (!candidates.isEmpty()) {
                run.add(op);   // held back: a recorded version's graph will do it
                return;
            }
            issueAll(run);     // this step differs from every recorded version here: eager from now on
            mode = Mode.LEARN;
        }
        issue.run();
        run.add(op);   // in EAGER mode only counted, so that an empty segment is told from this one
    }

    /**
     * A boundary: ends the current segment, launching the graph of the version this step matched throughout, else
     * queuing what was held back; the next op starts the next segment.
     */
    void flush() {
        if (run.isEmpty() || flushing) {
            return;
        }
        flushing = true;
        try {
            Segment seg = segments.get(index);
            if (mode == Mode.SPECULATE) {
                Variant done = null;
                for (Variant v : candidates) {
                    if (v.ops.size() == run.size()) {
                        done = v;
                    }
                }
                if (done != null) {
                    replay(seg, done);
                } else {
                    issueAll(run);   // a recorded version goes on where this step's segment ends
                    learn(seg);
                }
            } else if (mode == Mode.LEARN) {
                learn(seg);
            }
            run.clear();
            candidates.clear();
            index++;
        } finally {
            flushing = false;
        }
    }

    private void learn(Segment seg) {
        if (seg.eager) {
            return;
        }
        if (run.size() < MIN_OPS) {
            seg.eager = true;
            seg.why = run.size() + " op" + (run.size() == 1 ? "" : "s");
            return;
        }
        if (!seg.variants.isEmpty() && ++seg.changes >= MAX_CHANGES) {
            seg.eager = true;
            seg.why = "its ops changed " + seg.changes + " times";
            seg.variants.forEach(StepGraphs::closeGraph);
            seg.variants.clear();
            return;
        }
        if (seg.variants.size() == VARIANTS) {   // forget the version replayed longest ago
            Variant old = seg.variants.stream().min(java.util.Comparator.comparingLong(v -> v.lastUsed)).orElseThrow();
            closeGraph(old);
            seg.variants.remove(old);
        }
        Variant v = new Variant(List.copyOf(run));
        v.lastUsed = steps;
        seg.variants.add(v);
    }

    private void replay(Segment seg, Variant v) {
        if (v.graph == null) {
            try {
                v.graph = build(v.ops);
            } catch (RuntimeException e) {   // capture refused: this segment runs eagerly from now on
                seg.eager = true;
                seg.why = "capture failed: " + e.getMessage();
                captureFailures++;
                seg.variants.forEach(StepGraphs::closeGraph);
                seg.variants.clear();
                issueAll(run);
                return;
            }
        }
        v.graph.launch();
        v.lastUsed = steps;
        graphLaunches++;
        opsReplayed += v.ops.size();
    }

    private Graph build(List<Op> ops) {
        if (hostLaunches) {
            return new Graph() {
                @Override
                public void launch() { issueAll(ops); }

                @Override
                public void close() { }
            };
        }
        CudaGraph g = CudaGraph.capture(stream, () -> issueAll(ops));
        return new Graph() {
            @Override
            public void launch() { g.launch(stream); }

            @Override
            public void close() { g.close(); }
        };
    }

    private static void issueAll(List<Op> ops) {
        for (Op o : ops) {
            o.issue().run();
        }
    }

    private Segment segment(int i) {
        while (segments.size() <= i) {
            segments.add(new Segment());
        }
        return segments.get(i);
    }

    private static void closeGraph(Variant v) {
        if (v.graph != null) {
            v.graph.close();
            v.graph = null;
        }
    }

    private void clear() {
        for (Segment s : segments) {
            s.variants.forEach(StepGraphs::closeGraph);
        }
        segments.clear();
    }

    /** Graph launches so far (each replacing the eager launch of a whole segment). */
    long graphLaunches() { return graphLaunches; }

    /** Segments whose capture the driver refused (they run eagerly; {@link #report} says why). */
    int captureFailures() { return captureFailures; }

    /** Ops those launches stood for. */
    long opsReplayed() { return opsReplayed; }

    /** One line for {@code --verbose}: which segments of a step replay as graphs and which stay eager, and why. */
    String report() {
        if (!enabled) {
            return "cuda graphs: off";
        }
        int graphs = 0;
        int ops = 0;
        int small = 0;
        List<String> eager = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            Variant best = s.variants.stream().filter(v -> v.graph != null)
                    .max(java.util.Comparator.comparingInt(v -> v.ops.size())).orElse(null);
            if (best != null) {
                graphs++;
                ops += best.ops.size();
            } else if (s.eager && s.why != null && s.why.endsWith("op") || s.eager && s.why != null && s.why.endsWith("ops")) {
                small++;
            } else if (s.eager) {
                eager.add("segment " + i + ": " + s.why);
            }
        }
        return String.format(Locale.ROOT, "cuda graphs: %d of %d step segments replay as graphs (%d ops), %d too short "
                        + "to pay, %d graph launches for %d ops so far%s", graphs, segments.size(), ops, small,
                graphLaunches, opsReplayed, eager.isEmpty() ? "" : "; eager: " + String.join("; ", eager));
    }

    /** Flushes and frees the graphs. */
    @Override
    public void close() {
        flush();
        clear();
    }
}
