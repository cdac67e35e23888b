package dev.quadrant.bindings;

import java.lang.ref.Cleaner;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * oneDNN's matmul primitive as a single-threaded row-major GEMM {@code C = op(A) op(B) (+ C)}, for the shapes where it
 * beats {@code dnnl_sgemm} ({@link Dnnl#gemm} picks): its brgemm kernels multiply {@code A B^T} (a linear layer's
 * forward, a convolution's forward chunks) without the transposed pack of B that {@code dnnl_sgemm} does per call.
 * Measured on a 2-core AMD EPYC (Zen 4), one thread, the same run: {@code [256,784] x [1024,784]^T} 3.9 against
 * 4.3-4.4 ms, {@code [256,1024] x [1024,1024]^T} 5.0 against 5.4-5.8, {@code [64,1024] x [1024,1024]^T} 1.4 against
 * 1.8, a convolution chunk {@code [784,144] x [16,144]^T} 33 against 45 us; the other transpositions were equal or
 * slower ({@code A^T B}, a weight gradient: 5.4-5.7 against 4.9-5.1 ms), and so was {@code n = 10}.
 *
 * <p>One primitive per shape (transpositions, sizes, leading dimensions, accumulate or not), created on first use and
 * kept for the life of the process (a training run has a handful of shapes; past {@link #MAX_PLANS}, new shapes go to
 * {@code dnnl_sgemm}); its scratchpad is the caller's (user mode), so threads can run one primitive at once. Each
 * thread has its own stream, memory objects (handles set per call) and scratch buffers, released when the thread has
 * ended; execution runs on the calling thread alone ({@link Dnnl} set its OpenMP thread count to 1). The result is a
 * function of the arguments only, run to run and thread to thread. Every oneDNN call is checked.
 */
final class DnnlMatmul {
    /** A primitive's shape key. */
    private record Key(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc,
                       boolean accumulate) {}

    /** A primitive and its descriptor (which owns the scratchpad description), never destroyed. */
    private record Plan(dnnl_primitive_desc pd, dnnl_primitive primitive, dnnl_memory_desc src,
                        dnnl_memory_desc weights, dnnl_memory_desc dst, dnnl_memory_desc scratchpad,
                        long scratchBytes) {}

    /** A thread's memory objects for one plan: handles are set before each execution. */
    private record Bound(dnnl_memory src, dnnl_memory weights, dnnl_memory dst, dnnl_exec_arg_t args, int nargs) {}

    /**
     * A thread's stream and bound memories. When the thread ends and this becomes unreachable, {@link #CLEANER}
     * destroys the stream and the memories ({@link Owned}, which does not refer back here) and lets the scratch
     * buffers go: a CPU backend's pool threads end when it is closed.
     */
    private static final class PerThread {
        final dnnl_stream stream = new dnnl_stream();
        final Map<Plan, Bound> bound = new IdentityHashMap<>();
        final Owned owned = new Owned();

        PerThread() {
            check(dnnl.dnnl_stream_create(stream, engine(), dnnl.dnnl_stream_default_flags), "dnnl_stream_create",
                    null);
            owned.stream = stream;
            CLEANER.register(this, owned);
        }
    }

    /** What a {@link PerThread} created, destroyed once it is unreachable (statuses ignored: nothing to tell). */
    private static final class Owned implements Runnable {
        dnnl_stream stream;
        final List<dnnl_memory> memories = new ArrayList<>();
        final List<BytePointer> scratch = new ArrayList<>();

        @Override
        public void run() {
            for (dnnl_memory m : memories) {
                dnnl.dnnl_memory_destroy(m);
            }
            if (stream != null) {
                dnnl.dnnl_stream_destroy(stream);
            }
            for (BytePointer b : scratch) {
                b.close();
            }
        }
    }

    private static final Cleaner CLEANER = Cleaner.create();

    private static final Object LOCK = new Object();
    private static volatile dnnl_engine engine;
    /**
     * Most shapes with a primitive: a training run has a handful, but a caller whose rows vary call by call (token by
     * token generation) would otherwise create primitives (and their JIT-compiled kernels) without end.
     */
    static final int MAX_PLANS = 256;
    private static final Map<Key, Plan> PLANS = new ConcurrentHashMap<>();
    private static final ThreadLocal<PerThread> THREAD = ThreadLocal.withInitial(PerThread::new);

    private DnnlMatmul() {}

    /** How many shapes have a primitive (tests). */
    static int plans() {
        return PLANS.size();
    }

    /**
     * {@code C = op(A) op(B)}, or {@code C += op(A) op(B)} when {@code accumulate}, on the calling thread; arguments as
     * {@link OpenBlas#sgemm} (checked by the caller), {@code k > 0}. Without {@code accumulate}, C is not read. Returns
     * false, having done nothing, for a new shape once {@link #MAX_PLANS} shapes have primitives.
     */
    static boolean gemm(boolean transA, boolean transB, int m, int n, int k, FloatBuffer a, long aOff, int lda,
                        FloatBuffer b, long bOff, int ldb, boolean accumulate, FloatBuffer c, long cOff, int ldc) {
        Key key = new Key(transA, transB, m, n, k, lda, ldb, ldc, accumulate);
        Plan plan = PLANS.get(key);
        if (plan == null) {
            if (PLANS.size() >= MAX_PLANS) {
                return false;   // a new shape once the cache is full: the caller runs dnnl_sgemm
            }
            plan = PLANS.computeIfAbsent(key, DnnlMatmul::plan);
        }
        PerThread t = THREAD.get();
        Bound mem = t.bound.computeIfAbsent(plan, p -> bind(p, t.owned));
        check(dnnl.dnnl_memory_set_data_handle(mem.src(), new At(a, aOff)),
                "dnnl_memory_set_data_handle", key);
        check(dnnl.dnnl_memory_set_data_handle(mem.weights(), new At(b, bOff)),
                "dnnl_memory_set_data_handle", key);
        check(dnnl.dnnl_memory_set_data_handle(mem.dst(), new At(c, cOff)),
                "dnnl_memory_set_data_handle", key);
        check(dnnl.dnnl_primitive_execute(plan.primitive(), t.stream, mem.nargs(), mem.args()),
                "dnnl_primitive_execute", key);
        check(dnnl.dnnl_stream_wait(t.stream), "dnnl_stream_wait", key);
        return true;
    }

    /**
     * The address of float {@code off} of {@code buf}, for a {@code void*} parameter (where JavaCPP would add a
     * pointer's position in bytes, whatever its class: see the JavaCPP notes).
     */
    private static final class At extends Pointer {
        At(FloatBuffer buf, long off) {
            address = new FloatPointer(buf).address() + off * Float.BYTES;
        }
    }

    private static dnnl_engine engine() {
        dnnl_engine e = engine;
        if (e == null) {
            synchronized (LOCK) {
                if (engine == null) {
                    dnnl_engine created = new dnnl_engine();
                    check(dnnl.dnnl_engine_create(created, dnnl.dnnl_cpu, 0), "dnnl_engine_create", null);
                    engine = created;
                }
                e = engine;
            }
        }
        return e;
    }

    /** Creates the primitive of {@code key} (row-major operands as strided 2-d memory descriptors). */
    private static Plan plan(Key key) {
        dnnl_memory_desc src = desc(key, key.m(), key.k(), key.transA() ? new long[] {1, key.lda()}
                : new long[] {key.lda(), 1});
        dnnl_memory_desc weights = desc(key, key.k(), key.n(), key.transB() ? new long[] {1, key.ldb()}
                : new long[] {key.ldb(), 1});
        dnnl_memory_desc dst = desc(key, key.m(), key.n(), new long[] {key.ldc(), 1});
        dnnl_primitive_attr attr = new dnnl_primitive_attr();
        check(dnnl.dnnl_primitive_attr_create(attr), "dnnl_primitive_attr_create", key);
        try {
            check(dnnl.dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl.dnnl_scratchpad_mode_user),
                    "dnnl_primitive_attr_set_scratchpad_mode", key);
            if (key.accumulate()) {   // C += A B: the sum post-op with scale 1
                dnnl_post_ops ops = new dnnl_post_ops();
                check(dnnl.dnnl_post_ops_create(ops), "dnnl_post_ops_create", key);
                try {
                    check(dnnl.dnnl_post_ops_append_sum(ops, 1f, 0, dnnl.dnnl_data_type_undef),
                            "dnnl_post_ops_append_sum", key);
                    check(dnnl.dnnl_primitive_attr_set_post_ops(attr, ops), "dnnl_primitive_attr_set_post_ops", key);
                } finally {
                    dnnl.dnnl_post_ops_destroy(ops);
                }
            }
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            check(dnnl.dnnl_matmul_primitive_desc_create(pd, engine(), src, weights, null, dst, attr),
                    "dnnl_matmul_primitive_desc_create", key);
            dnnl_memory_desc scratch = dnnl.dnnl_primitive_desc_query_md(pd, dnnl.dnnl_query_scratchpad_md, 0);
            long scratchBytes = scratch == null || scratch.isNull() ? 0 : dnnl.dnnl_memory_desc_get_size(scratch);
            dnnl_primitive primitive = new dnnl_primitive();
            check(dnnl.dnnl_primitive_create(primitive, pd), "dnnl_primitive_create", key);
            return new Plan(pd, primitive, src, weights, dst, scratch, scratchBytes);
        } finally {
            dnnl.dnnl_primitive_attr_destroy(attr);
        }
    }

    private static dnnl_memory_desc desc(Key key, long rows, long cols, long[] strides) {
        dnnl_memory_desc d = new dnnl_memory_desc();
        check(dnnl.dnnl_memory_desc_create_with_strides(d, 2, new long[] {rows, cols}, dnnl.dnnl_f32, strides),
                "dnnl_memory_desc_create_with_strides", key);
        return d;
    }

    /** This thread's memory objects for {@code plan} (no data yet) and, if it needs one, its scratch buffer. */
    private static Bound bind(Plan plan, Owned owned) {
        dnnl_memory src = memory(plan.src(), owned);
        dnnl_memory weights = memory(plan.weights(), owned);
        dnnl_memory dst = memory(plan.dst(), owned);
        dnnl_memory scratchMem = null;
        if (plan.scratchBytes() > 0) {
            BytePointer scratch = new BytePointer(plan.scratchBytes());   // kept alive by owned
            owned.scratch.add(scratch);
            scratchMem = new dnnl_memory();
            check(dnnl.dnnl_memory_create(scratchMem, plan.scratchpad(), engine(), scratch), "dnnl_memory_create",
                    null);
            owned.memories.add(scratchMem);
        }
        int nargs = scratchMem == null ? 3 : 4;
        dnnl_exec_arg_t args = new dnnl_exec_arg_t(nargs);
        args.position(0).arg(dnnl.DNNL_ARG_SRC).memory(src);
        args.position(1).arg(dnnl.DNNL_ARG_WEIGHTS).memory(weights);
        args.position(2).arg(dnnl.DNNL_ARG_DST).memory(dst);
        if (scratchMem != null) {
            args.position(3).arg(dnnl.DNNL_ARG_SCRATCHPAD).memory(scratchMem);
        }
        args.position(0);
        return new Bound(src, weights, dst, args, nargs);
    }

    private static dnnl_memory memory(dnnl_memory_desc d, Owned owned) {
        dnnl_memory mem = new dnnl_memory();
        check(dnnl.dnnl_memory_create(mem, d, engine(), null), "dnnl_memory_create", null);   // handle set per call
        owned.memories.add(mem);
        return mem;
    }

    private static void check(int status, String call, Key key) {
        if (status != 0) {
            throw new NativeException("oneDNN", call, status, Dnnl.statusName(status), key == null ? "matmul"
                    : "matmul " + (key.transA() ? "A^T" : "A") + (key.transB() ? " B^T" : " B") + " m=" + key.m()
                    + " n=" + key.n() + " k=" + key.k() + " lda=" + key.lda() + " ldb=" + key.ldb() + " ldc="
                    + key.ldc() + (key.accumulate() ? " C +=" : ""));
        }
    }
}
