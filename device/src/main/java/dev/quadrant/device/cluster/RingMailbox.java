package dev.quadrant.device.cluster;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;

import dev.quadrant.bindings.mpi.Mpi;

/**
 * Point-to-point hand-over between neighbouring processes of a ring (process {@code p} sends to {@code p + 1 mod N}
 * and receives from {@code p - 1 mod N}), for gossip across processes: a sender never waits for the receiver's
 * training, because a thread of the receiver ({@code mpi-mailbox}) always has a receive posted and adds what arrives
 * into an inbox, which the receiving replica takes when it is ready. Messages are vectors of a fixed length plus a
 * header (kind, the sender's step).
 *
 * <pre>{@code
 * try (RingMailbox box = processes.ringMailbox(paramCount)) {
 *     box.send(delta, step);                 // on the last replica of this process
 *     long from = box.take(into);            // on the first replica of the next process: -1 if nothing arrived
 *     box.flush(Duration.ofMinutes(5));      // every process, before an average: all sent deltas have arrived
 * }
 * }</pre>
 *
 * <p>Thread-safety: {@link #send} from one thread at a time, {@link #take} from any thread; needs MPI's
 * {@code MPI_THREAD_MULTIPLE} (the receive runs beside the process's collectives). Failure: an MPI error on the
 * receiving thread, or a flush that outlives its deadline, ends the job ({@code MPI_Abort}, naming this rank).
 */
public final class RingMailbox implements AutoCloseable {
    private static final int TAG = 1515;
    private static final int HEADER = 3;          // kind, step high 24 bits, step low 24 bits
    private static final float DATA = 1f;
    private static final float FLUSH = 2f;
    private static final float STOP = 3f;

    private final ProcessGroup group;
    private final Mpi mpi;
    private final int floats;
    private final int next;
    private final int prev;
    private final FloatBuffer sendBuf;            // [HEADER + floats], used under sendLock
    private final FloatBuffer recvBuf;            // [HEADER + floats], used by the mailbox thread only
    private final Object sendLock = new Object();
    private final float[] inbox;                  // guarded by this
    private boolean full;                         // guarded by this
    private long senderStep;                      // guarded by this
    private long flushesSeen;                     // guarded by this
    private long flushesSent;                     // guarded by sendLock
    private boolean stopped;                      // guarded by this
    private final Thread thread;

    RingMailbox(ProcessGroup group, Mpi mpi, int floats) {
        if (!mpi.threadMultiple()) {
            throw new IllegalStateException("gossip across processes receives on a thread of its own and needs "
                    + "MPI_THREAD_MULTIPLE, which this MPI did not grant (" + mpi.describe() + ")");
        }
        this.group = group;
        this.mpi = mpi;
        this.floats = floats;
        this.next = (mpi.rank() + 1) % mpi.size();
        this.prev = (mpi.rank() - 1 + mpi.size()) % mpi.size();
        this.sendBuf = direct(HEADER + floats);
        this.recvBuf = direct(HEADER + floats);
        this.inbox = new float[floats];
        this.thread = new Thread(this::loop, "mpi-mailbox");
        thread.setDaemon(true);
        thread.start();
    }

    private static FloatBuffer direct(int n) {
        return ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Sends {@code delta} (length {@link #floats}) to the next process, with the sender's {@code step}. */
    public void send(float[] delta, long step) {
        if (delta.length != floats) {
            throw new IllegalArgumentException("a ring message holds " + floats + " floats, got " + delta.length);
        }
        synchronized (sendLock) {
            sendBuf.put(HEADER, delta);
            post(DATA, step);
        }
    }

    /**
     * Copies what arrived since the last call (the sum of the messages) into {@code into} and empties the inbox;
     * returns the step of the newest message's sender, or -1 (and leaves {@code into} alone) when nothing arrived.
     */
    public synchronized long take(float[] into) {
        if (!full) {
            return -1;
        }
        System.arraycopy(inbox, 0, into, 0, floats);
        full = false;
        return senderStep;
    }

    /**
     * Returns once every message the previous process sent before its own call of {@code flush} has arrived here
     * (every process calls it at the same point); ends the job after {@code deadline}.
     */
    public void flush(Duration deadline) {
        long want;
        synchronized (sendLock) {
            post(FLUSH, 0);
            want = ++flushesSent;
        }
        long end = System.nanoTime() + deadline.toNanos();
        synchronized (this) {
            while (flushesSeen < want) {
                long left = end - System.nanoTime();
                if (left <= 0 || stopped) {
                    String m = "gossip: the flush from rank " + prev + " did not arrive within " + deadline.toSeconds()
                            + " s";
                    group.abortJob(m);
                    throw new IllegalStateException(m);
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    group.abortJob("gossip: interrupted while waiting for rank " + prev);
                    throw new IllegalStateException("interrupted", e);
                }
            }
        }
    }

    /** Ends the mailbox: tells the next process, waits for the previous one's end. */
    @Override
    public void close() {
        synchronized (sendLock) {
            post(STOP, 0);
        }
        try {
            thread.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The length of a message. */
    public int floats() { return floats; }

    private void post(float kind, long step) {
        sendBuf.put(0, kind);
        sendBuf.put(1, (float) (step >>> 24));
        sendBuf.put(2, (float) (step & 0xFFFFFF));
        mpi.send(sendBuf, 0, HEADER + floats, next, TAG);
    }

    private void loop() {
        try {
            while (true) {
                mpi.recv(recvBuf, 0, HEADER + floats, prev, TAG);
                float kind = recvBuf.get(0);
                synchronized (this) {
                    if (kind == DATA) {
                        // an undelivered earlier message is added to: the receiver takes the sum of what was sent
                        for (int i = 0; i < floats; i++) {
                            inbox[i] = full ? inbox[i] + recvBuf.get(HEADER + i) : recvBuf.get(HEADER + i);
                        }
                        full = true;
                        senderStep = ((long) recvBuf.get(1) << 24) | (long) recvBuf.get(2);
                    } else if (kind == FLUSH) {
                        flushesSeen++;
                        notifyAll();
                    } else {
                        stopped = true;
                        notifyAll();
                        return;
                    }
                }
            }
        } catch (RuntimeException e) {
            group.abortJob("gossip: receiving from rank " + prev + " failed: " + e.getMessage());
        }
    }
}
