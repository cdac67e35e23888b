package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.quadrant.device.DType;
import dev.quadrant.device.StreamEvent;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UploadQueue;

/**
 * {@link CudaUploadQueue} on the stub libraries: rows staged on another thread (a loader's) arrive in the tensor the
 * backend's thread uploads them into, floats and ints, through views at offsets; more stages than the pool has buffers
 * reuse the buffers whose copies ran; staged data cannot go to a tensor of another size or dtype, or twice. Run with
 * {@code -Pfakes -Dquadrant.fakes=DIR}.
 */
@Tag("fakes")
class CudaUploadQueueFakesTest extends FakesBackendTest {
    CudaUploadQueueFakesTest() {
        super(11L);
    }

    @Test
    void rowsStagedOnAnotherThreadArrive() throws Exception {
        ExecutorService loader = Executors.newSingleThreadExecutor();
        try (CudaBackend be = open(Precision.FP32); UploadQueue q = be.newUploadQueue();
             StreamEvent read = be.newEvent();
             Tensor big = be.allocate(DType.FLOAT32, 3, 40); Tensor ints = be.allocate(DType.INT32, 17)) {
            assertTrue(q.overlapsCompute());
            for (int round = 0; round < 3 * CudaUploadQueue.POOL; round++) {
                float[] x = randn(40);
                int[] y = new int[17];
                for (int i = 0; i < y.length; i++) {
                    y[i] = round * 100 + i;
                }
                Future<UploadQueue.Staged[]> f = loader.submit(() -> new UploadQueue.Staged[] {q.stage(x, 0, 40),
                    q.stage(y, 0, 17)});
                UploadQueue.Staged[] s = f.get();
                Tensor row = big.slice(40 * (round % 3), 40);
                q.waitFor(read);
                q.upload(s[0], row);
                q.upload(s[1], ints);
                q.handOver();
                read.record(be);
                float[] got = new float[40];
                be.download(row, got, 0);
                assertArrayEquals(x, got, "round " + round);
                int[] gotI = new int[17];
                be.download(ints, gotI, 0);
                assertArrayEquals(y, gotI, "round " + round);
            }
        } finally {
            loader.shutdownNow();
        }
    }

    @Test
    void stagedDataGoesOnceToATensorOfItsSizeAndType() {
        try (CudaBackend be = open(Precision.FP32); UploadQueue q = be.newUploadQueue();
             Tensor t = be.allocate(DType.FLOAT32, 8); Tensor i = be.allocate(DType.INT32, 8)) {
            UploadQueue.Staged s = q.stage(new float[8], 0, 8);
            assertThrows(IllegalArgumentException.class, () -> q.upload(s, t.slice(0, 4)));
            assertThrows(IllegalArgumentException.class, () -> q.upload(s, i));
            q.upload(s, t);
            assertThrows(IllegalArgumentException.class, () -> q.upload(s, t), "uploaded twice");
            List<UploadQueue.Staged> released = new ArrayList<>();
            for (int k = 0; k < 2 * CudaUploadQueue.POOL; k++) {   // released stages give their buffers back
                UploadQueue.Staged r = q.stage(new int[4], 0, 4);
                r.release();
                released.add(r);
            }
            assertEquals(2 * CudaUploadQueue.POOL, released.size());
        }
    }
}
