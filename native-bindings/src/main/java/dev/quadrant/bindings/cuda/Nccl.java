package dev.quadrant.bindings.cuda;

import static org.bytedeco.cuda.global.nccl.*;

import java.util.Arrays;

import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Checked NCCL: unique ids, communicator creation, groups, the four collectives, asynchronous errors and abort.
 * Functions used exist since NCCL 2.14; {@link Comm#lastError()} is looked up first.
 *
 * <p>The static functions are thread-safe; a {@link Comm} belongs to one rank and is used by one thread at a time,
 * except {@link Comm#abort()}, which may be called from any thread to unblock a hung collective.
 *
 * <pre>{@code
 * byte[] id = Nccl.uniqueId();                   // rank 0 makes it, every rank gets a copy
 * Cuda.setDevice(rank);
 * try (Nccl.Comm c = Nccl.Comm.initRank(nRanks, id, rank)) {
 *     c.allReduce(buf, buf, n, Nccl.DataType.FLOAT32, Nccl.Op.SUM, stream);
 * }
 * }</pre>
 */
public final class Nccl {
    private Nccl() {}

    /** Size of an NCCL unique id in bytes. */
    public static final int UNIQUE_ID_BYTES = 128;

    /** Element types. */
    public enum DataType {
        FLOAT32(ncclFloat32, 4), BF16(ncclBfloat16, 2), INT32(ncclInt32, 4);

        final int code;
        final int bytes;

        DataType(int code, int bytes) {
            this.code = code;
            this.bytes = bytes;
        }

        /** Size of one element in bytes. */
        public int bytes() { return bytes; }
    }

    /** Reduction operators. */
    public enum Op {
        SUM(ncclSum), MAX(ncclMax), AVG(ncclAvg);

        final int code;

        Op(int code) {
            this.code = code;
        }
    }

    /** Throws a {@link CudaException} unless {@code result} is {@code ncclSuccess}. */
    public static void check(int result, String call, int device, String detail) {
        if (result != ncclSuccess) {
            String msg = ncclGetErrorString(result).getString();
            if (detail != null && !detail.isBlank()) {
                msg = msg + "; " + detail.strip();
            }
            throw new CudaException("NCCL", call, result, name(result), msg, device, hint(result));
        }
    }

    private static String name(int r) {
        switch (r) {
            case ncclUnhandledCudaError: return "ncclUnhandledCudaError";
            case ncclSystemError: return "ncclSystemError";
            case ncclInternalError: return "ncclInternalError";
            case ncclInvalidArgument: return "ncclInvalidArgument";
            case ncclInvalidUsage: return "ncclInvalidUsage";
            case ncclRemoteError: return "ncclRemoteError";
            case ncclInProgress: return "ncclInProgress";
            default: return "ncclResult " + r;
        }
    }

    private static String hint(int r) {
        switch (r) {
            case ncclInvalidUsage:
                return "a usage error (e.g. two ranks on one GPU, or mismatched calls across ranks); run with "
                        + "NCCL_DEBUG=WARN for details";
            case ncclSystemError:
            case ncclRemoteError:
                return "a rank or the connection between ranks failed; run with NCCL_DEBUG=INFO for details";
            case ncclUnhandledCudaError:
                return "a CUDA call inside NCCL failed; the CUDA context may be broken: restart the process";
            default:
                return "run with NCCL_DEBUG=WARN for details";
        }
    }

    /** The NCCL library version, e.g. {@code 22903} for 2.29.3. */
    public static int version() {
        int[] v = {0};
        check(ncclGetVersion(v), "ncclGetVersion", CudaException.NO_DEVICE, null);
        return v[0];
    }

    /** {@code 22903 -> "2.29.3"}. */
    public static String versionString(int code) {
        return code / 10000 + "." + (code / 100) % 100 + "." + code % 100;
    }

    /** A new unique id, to be given to every rank of one communicator. */
    public static byte[] uniqueId() {
        try (ncclUniqueId id = new ncclUniqueId()) {
            check(ncclGetUniqueId(id), "ncclGetUniqueId", CudaException.NO_DEVICE, null);
            byte[] b = new byte[UNIQUE_ID_BYTES];
            id.internal().get(b);
            return b;
        }
    }

    /** Starts a group: collectives until {@link #groupEnd()} are launched together (mandatory when one thread drives several ranks). */
    public static void groupStart() {
        check(ncclGroupStart(), "ncclGroupStart", CudaException.NO_DEVICE, null);
    }

    /** Ends a group and launches its collectives. */
    public static void groupEnd() {
        check(ncclGroupEnd(), "ncclGroupEnd", CudaException.NO_DEVICE, null);
    }

    /** One rank's communicator. */
    public static final class Comm implements AutoCloseable {
        private ncclComm handle;
        private final int rank;
        private final int ranks;
        private final int device;

        private Comm(ncclComm handle, int rank, int ranks, int device) {
            this.handle = handle;
            this.rank = rank;
            this.ranks = ranks;
            this.device = device;
        }

        /**
         * Joins communicator {@code id} as {@code rank} of {@code nRanks} on the calling thread's current device; blocks
         * until every rank has joined (each rank calls this from its own thread, or all inside one group).
         */
        public static Comm initRank(int nRanks, byte[] id, int rank) {
            if (id.length != UNIQUE_ID_BYTES) {
                throw new IllegalArgumentException("NCCL unique id must be " + UNIQUE_ID_BYTES + " bytes, got " + id.length);
            }
            int device = Cuda.getDevice();
            ncclComm c = new ncclComm();
            try (ncclUniqueId uid = new ncclUniqueId()) {
                uid.internal().put(id);
                check(ncclCommInitRank(c, nRanks, uid, rank),
                        "ncclCommInitRank(rank " + rank + " of " + nRanks + ")", device, null);
            }
            return new Comm(c, rank, nRanks, device);
        }

        /** One communicator per device in {@code devices}, all created by the calling thread. */
        public static Comm[] initAll(int[] devices) {
            Comm[] out = new Comm[devices.length];
            try (PointerPointer<ncclComm> comms = new PointerPointer<>(devices.length)) {
                check(ncclCommInitAll(comms, devices.length, devices.clone()),
                        "ncclCommInitAll(" + Arrays.toString(devices) + ")", CudaException.NO_DEVICE, null);
                for (int i = 0; i < devices.length; i++) {
                    out[i] = new Comm(comms.get(ncclComm.class, i), i, devices.length, devices[i]);
                }
            }
            return out;
        }

        private ncclComm h() {
            if (handle == null) {
                throw new IllegalStateException("NCCL communicator of rank " + rank + " is closed");
            }
            return handle;
        }

        public int rank() { return rank; }

        public int ranks() { return ranks; }

        public int device() { return device; }

        private void checkCall(int r, String call) {
            if (r != ncclSuccess) {
                check(r, call + " on rank " + rank + " of " + ranks, device, lastError());
            }
        }

        /** {@code recv = op over ranks of send}, {@code count} elements; in place when the addresses are equal. */
        public void allReduce(long send, long recv, long count, DataType type, Op op, CudaStream stream) {
            checkCall(ncclAllReduce(DevPtr.bytes(send, 0), DevPtr.bytes(recv, 0), count, type.code, op.code, h(),
                    stream.handle()), "ncclAllReduce(" + count + " " + type + ")");
        }

        /** Rank {@code r} receives block {@code r} ({@code recvCount} elements) of the reduction of {@code send}. */
        public void reduceScatter(long send, long recv, long recvCount, DataType type, Op op, CudaStream stream) {
            checkCall(ncclReduceScatter(DevPtr.bytes(send, 0), DevPtr.bytes(recv, 0), recvCount, type.code, op.code, h(),
                    stream.handle()), "ncclReduceScatter(" + recvCount + " " + type + ")");
        }

        /** {@code recv} = the {@code sendCount}-element blocks of every rank, in rank order. */
        public void allGather(long send, long recv, long sendCount, DataType type, CudaStream stream) {
            checkCall(ncclAllGather(DevPtr.bytes(send, 0), DevPtr.bytes(recv, 0), sendCount, type.code, h(),
                    stream.handle()), "ncclAllGather(" + sendCount + " " + type + ")");
        }

        /** {@code recv} of rank {@code root} = op over ranks of {@code send} (all-to-one); other ranks' {@code recv} is unused. */
        public void reduce(long send, long recv, long count, DataType type, Op op, int root, CudaStream stream) {
            checkCall(ncclReduce(DevPtr.bytes(send, 0), DevPtr.bytes(recv, 0), count, type.code, op.code, root, h(),
                    stream.handle()), "ncclReduce(" + count + " " + type + ", root " + root + ")");
        }

        /** Copies {@code root}'s {@code send} into every rank's {@code recv}. */
        public void broadcast(long send, long recv, long count, DataType type, int root, CudaStream stream) {
            checkCall(ncclBroadcast(DevPtr.bytes(send, 0), DevPtr.bytes(recv, 0), count, type.code, root, h(),
                    stream.handle()), "ncclBroadcast(" + count + " " + type + ", root " + root + ")");
        }

        /** The communicator's asynchronous error status ({@code 0} when healthy, {@code 7} while in progress). */
        public int asyncError() {
            int[] s = {0};
            check(ncclCommGetAsyncError(h(), s), "ncclCommGetAsyncError", device, null);
            return s[0];
        }

        /** Throws if the communicator has recorded an asynchronous error. */
        public void checkAsyncError() {
            int s = asyncError();
            if (s != ncclSuccess && s != ncclInProgress) {
                check(s, "asynchronous error on rank " + rank + " of " + ranks, device, lastError());
            }
        }

        /** NCCL's last error message for this communicator, or "" (not all NCCL versions have it). */
        public String lastError() {
            if (handle == null || !Cuda.hasSymbol("ncclGetLastError")) {
                return "";
            }
            BytePointer p = ncclGetLastError(handle);
            return p == null || p.isNull() ? "" : p.getString();
        }

        /** Aborts: pending collectives on every rank fail instead of hanging; the communicator is then gone. */
        public synchronized void abort() {
            if (handle != null) {
                ncclComm c = handle;
                handle = null;
                check(ncclCommAbort(c), "ncclCommAbort", device, null);
            }
        }

        /** Finalises (flushes pending work) and destroys the communicator. Idempotent. */
        @Override
        public synchronized void close() {
            if (handle != null) {
                ncclComm c = handle;
                handle = null;
                check(ncclCommFinalize(c), "ncclCommFinalize", device, null);
                check(ncclCommDestroy(c), "ncclCommDestroy", device, null);
            }
        }
    }
}
