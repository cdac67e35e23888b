package dev.quadrant.tests.parallel;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.data.SyntheticData;
import dev.quadrant.trainer.nn.Initializer;
import dev.quadrant.trainer.nn.ModelSpec;
import dev.quadrant.trainer.optim.LrSchedule;
import dev.quadrant.trainer.optim.OptimizerConfig;
import dev.quadrant.trainer.optim.OptimizerKind;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.parallel.Strategies;
import dev.quadrant.trainer.train.Trainer;

/**
 * A replica that throws at a random step, 50 random runs over the four strategies and 2-4 replicas: the original
 * exception reaches the caller (as the cause), every replica stops within 5 s of the failure, and no replica or
 * communicator thread is left running. The whole test is bounded, so a hang fails it instead of hanging CI.
 */
class FaultInjectionTest {

    static final class Injected extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Injected(String m) {
            super(m);
        }
    }

    /** A backend that throws {@code boom} on its {@code failAt}-th gemm call, recording when. */
    static Backend faulty(Backend inner, long failAt, Injected boom, AtomicLong thrownAt) {
        AtomicLong gemms = new AtomicLong();
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().equals("gemm") && gemms.incrementAndGet() == failAt) {
                thrownAt.set(System.nanoTime());
                throw boom;
            }
            try {
                return method.invoke(inner, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, h);
    }

    @Test
    void fiftyRandomFailuresStopEveryReplicaWithTheOriginalException() {
        DataSplit data = SyntheticData.generate(16, 3, 600, 100, 5);
        assertTimeoutPreemptively(Duration.ofMinutes(4), () -> {
            Random rnd = new Random(2026);
            for (int run = 0; run < 50; run++) {
                String strategy = Strategies.NAMES.get(rnd.nextInt(Strategies.NAMES.size()));
                int n = 2 + rnd.nextInt(3);
                int victim = rnd.nextInt(n);
                long failAt = 1 + rnd.nextInt(120); // 3 GEMMs forward + 4 backward per step: fails within ~17 steps
                Injected boom = new Injected("injected failure in run " + run + " on replica " + victim);
                AtomicLong thrownAt = new AtomicLong();
                List<Replica> replicas = new ArrayList<>();
                for (int r = 0; r < n; r++) {
                    Backend be = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 1);
                    if (r == victim) {
                        be = faulty(be, failAt, boom, thrownAt);
                    }
                    replicas.add(new Replica(r, be, ModelSpec.parse("mlp:8-8"), dev.quadrant.tests.TestData.schema(16, 3), dev.quadrant.trainer.objective.Classification.INSTANCE, Activation.RELU, 0f, 32,
                            OptimizerConfig.of(OptimizerKind.SGD, 0.05f, 0f)));
                }
                replicas.get(0).setParameters(replicas.get(0).model().initialValues(1, Initializer.HE));
                Throwable caught = null;
                long caughtAt = 0;
                try (StepRunner runner = Strategies.create(strategy, replicas, 0f)) {
                    new Trainer(new Trainer.Plan(0, 40, 32, 0.05f, LrSchedule.constant(), 1)).fit(data, runner, List.of());
                } catch (Throwable t) {
                    caught = t;
                    caughtAt = System.nanoTime();
                }
                String what = "run " + run + ": " + strategy + " x" + n + ", replica " + victim + " fails at gemm " + failAt;
                if (caught == null) {
                    fail(what + ": no exception reached the caller");
                }
                Throwable root = caught;
                while (root != boom && root.getCause() != null) {
                    root = root.getCause();
                }
                assertSame(boom, root, what + ": the injected exception must be the cause; got " + caught);
                double seconds = (caughtAt - thrownAt.get()) / 1e9;
                assertTrue(seconds < 5, what + ": took " + seconds + " s to stop");
                assertNoReplicaThreads(what);
            }
        });
    }

    static void assertNoReplicaThreads(String what) throws InterruptedException {
        long until = System.nanoTime() + 2_000_000_000L;
        List<String> alive;
        do {
            alive = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                    .filter(name -> name.startsWith("replica-") || name.startsWith("comm-") || name.startsWith("quadrant-cpu")).toList();
            if (alive.isEmpty()) {
                return;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < until);
        fail(what + ": threads still running after the failure: " + alive);
    }
}
