package dev.quadrant.device.group;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.device.cpu.CpuBackend;

/** {@link Communicators#forGroup} on host backends, and its refusal of mixed groups. */
class CommunicatorsTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @Test
    void hostBackendsGetSharedMemoryRanksThatSpeakTensors() throws Exception {
        try (Backend a = new CpuBackend(1); Backend b = new CpuBackend(1)) {
            List<Backend> group = List.of(a, b);
            List<TensorCommunicator> ranks = Communicators.forGroup(group, DEADLINE, 8);
            assertEquals(2, ranks.size());
            assertEquals("host shared memory, 2 ranks", ranks.get(0).describe());
            List<float[]> got = new ArrayList<>();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                got.add(new float[6]);
                threads.add(new Thread(() -> {
                    Backend be = group.get(rank);
                    try (Tensor t = be.allocate(DType.FLOAT32, 6)) {
                        be.upload(new float[] {rank + 1, rank + 1, rank + 1, rank + 1, rank + 1, rank + 1}, 0, t);
                        assertEquals(rank, ranks.get(rank).rank());
                        ranks.get(rank).allReduce(t.slice(2, 3), ReduceOp.SUM);   // an offset into the buffer
                        be.download(t, got.get(rank), 0);
                    } catch (Throwable e) {
                        failed.set(e);
                        ranks.forEach(c -> c.abort(e));
                    }
                }, "replica-" + r));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join(60_000);
            }
            ranks.forEach(TensorCommunicator::close);
            if (failed.get() != null) {
                throw new AssertionError(failed.get());
            }
            assertArrayEquals(new float[] {1, 1, 3, 3, 3, 1}, got.get(0));
            assertArrayEquals(new float[] {2, 2, 3, 3, 3, 2}, got.get(1));
        }
    }

    @Test
    void aGroupOfCpuAndGpuBackendsIsAUserError() {
        try (Backend cpu = new CpuBackend(1)) {
            Backend gpu = (Backend) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Backend.class},
                    (p, m, args) -> {
                        if (m.getName().equals("device")) {
                            return Device.cuda(0);
                        }
                        throw new UnsupportedOperationException(m.getName());
                    });
            UserInputException e = assertThrows(UserInputException.class,
                    () -> Communicators.forGroup(List.of(cpu, gpu), DEADLINE, 8));
            assertTrue(e.getMessage().contains("CPU and GPU replicas cannot be mixed") && e.getMessage().contains("cuda:0"),
                    e.getMessage());
        }
    }

    @Test
    void aGpuDeviceWhoseBackendIsNotCudaIsNamed() {
        Backend fake = (Backend) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Backend.class},
                (p, m, args) -> switch (m.getName()) {
                    case "device" -> Device.cuda(1);
                    case "describe" -> "a stand-in";
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Communicators.forGroup(List.of(fake), DEADLINE, 8));
        assertTrue(e.getMessage().contains("replica 0 is on cuda:1") && e.getMessage().contains("a stand-in"),
                e.getMessage());
    }
}
