package dev.quadrant.bindings.mpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Run under {@code mpirun -np N}: every collective of {@link Mpi} on known values, each checked exactly (small
 * integers, so float sums are exact), and an argument error. Prints {@code mpi-self-check ok rank R of N on HOST} or
 * exits 1 with the first difference. {@code MpiCollectivesTest} launches it.
 */
public final class MpiSelfCheck {
    public static void main(String[] args) {
        try (Mpi mpi = Mpi.init()) {
            int r = mpi.rank();
            int n = mpi.size();
            int off = 3;     // every collective on a region that does not start at the buffer's start
            int count = 1000;
            FloatBuffer f = floats(off + count * n + 2);

            for (int i = 0; i < count; i++) {
                f.put(off + i, r + i);
            }
            f.put(off - 1, -7f);
            f.put(off + count, -9f);
            mpi.allReduce(f, off, count, Mpi.Op.SUM);
            for (int i = 0; i < count; i++) {
                expect("allReduce", i, n * (n - 1) / 2f + n * i, f.get(off + i));
            }
            expect("allReduce left the element before alone", -1, -7f, f.get(off - 1));
            expect("allReduce left the element after alone", count, -9f, f.get(off + count));

            mpi.allReduce(fill(f, off, count, r), off, count, Mpi.Op.MAX);
            expect("allReduce MAX", 0, n - 1, f.get(off));

            int root = n - 1;
            fill(f, off, count, r + 1);
            mpi.reduce(f, off, count, Mpi.Op.SUM, root);
            expect("reduce at root " + root, 0, r == root ? n * (n + 1) / 2f : r + 1, f.get(off + count - 1));

            fill(f, off, count, r == 0 ? 42 : -1);
            mpi.broadcast(f, off, count, 0);
            expect("broadcast", count - 1, 42, f.get(off + count - 1));

            for (int i = 0; i < count * n; i++) {
                f.put(off + i, i / count == r ? 10 * r + 1 : -1);
            }
            mpi.allGather(f, off, count);
            for (int i = 0; i < count * n; i++) {
                expect("allGather", i, 10 * (i / count) + 1, f.get(off + i));
            }

            for (int i = 0; i < count * n; i++) {
                f.put(off + i, i);
            }
            mpi.reduceScatter(f, off, count, Mpi.Op.SUM);
            for (int i = r * count; i < (r + 1) * count; i++) {
                expect("reduceScatter block " + r, i, (float) n * i, f.get(off + i));
            }

            ByteBuffer b = ByteBuffer.allocateDirect(128);
            for (int i = 0; i < 128; i++) {
                b.put(i, (byte) (r == 1 % n ? i : 0));
            }
            mpi.broadcast(b, 0, 128, 1 % n);
            expect("broadcast bytes", 127, 127, b.get(127));

            DoubleBuffer d = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder()).asDoubleBuffer();
            d.put(0, 0.5 * r).put(1, 1);
            mpi.allReduce(d, 0, 2, Mpi.Op.SUM);
            expect("allReduce doubles", 1, n, (float) d.get(1));

            // a ring of point-to-point messages: even ranks send first, odd ranks receive first
            if (n > 1) {
                int next = (r + 1) % n;
                int prev = (r + n - 1) % n;
                FloatBuffer out = fill(floats(count), 0, count, r);
                FloatBuffer in = floats(count);
                if (r % 2 == 0) {
                    mpi.send(out, 0, count, next, 7);
                    expect("recv source", 0, prev, mpi.recv(in, 0, count, prev, 7));
                } else {
                    expect("recv source", 0, prev, mpi.recv(in, 0, count, -1, 7));
                    mpi.send(out, 0, count, next, 7);
                }
                expect("send/recv", count - 1, prev, in.get(count - 1));
                // any source, any tag: the sender and the tag come back
                if (r == 0) {
                    for (int i = 1; i < n; i++) {
                        Mpi.Received got = mpi.recvAny(in, 0, count, -1, -1);
                        expect("recvAny tag of rank " + got.source(), 0, 100 + got.source(), got.tag());
                        expect("recvAny payload", 0, got.source(), in.get(0));
                    }
                } else {
                    mpi.send(out, 0, count, 0, 100 + r);
                }
            }

            try {
                mpi.allReduce(f, f.capacity() - 1, 2, Mpi.Op.SUM);
                fail("allReduce past the buffer's end was not refused");
            } catch (IllegalArgumentException expected) {
                // refused before the native call, on every rank alike
            }
            mpi.barrier();
            System.out.println("mpi-self-check ok " + mpi.describe() + (mpi.threadMultiple() ? " thread-multiple" : "")
                    + " global-symbols=" + mpi.symbolsGlobal());
        }
    }

    private static FloatBuffer floats(int n) {
        return ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static FloatBuffer fill(FloatBuffer f, int off, int count, float v) {
        for (int i = 0; i < count; i++) {
            f.put(off + i, v);
        }
        return f;
    }

    private static void expect(String what, int index, float want, float got) {
        if (want != got) {
            fail(what + ": element " + index + " is " + got + ", expected " + want);
        }
    }

    private static void fail(String message) {
        System.err.println("mpi-self-check FAILED: " + message);
        System.exit(1);
    }
}
