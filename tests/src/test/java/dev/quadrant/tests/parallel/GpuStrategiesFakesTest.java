package dev.quadrant.tests.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.Device;
import dev.quadrant.device.cuda.CudaBacked;
import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.device.cuda.Precision;
import dev.quadrant.kernels.HostKernels;
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
import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;

/**
 * The four strategies on GPU replicas, run on the stub CUDA libraries (two fake GPUs whose memory is host memory,
 * cuBLAS and NCCL stubs that compute, every kernel as {@link HostKernels}): the same trainer code paths as on a GPU
 * host (CUDA communicators, peer copies, stream events, step clocks), checked by their numbers. {@code cuda:0x2},
 * {@code cuda:0x4}, {@code cuda:0x2,1x2} and {@code cuda:0,1} with {@code allreduce} and {@code ps} end with the
 * parameters of one replica on {@code cuda:0} with the same global batch (1e-5 of the largest parameter, as the CPU
 * test); {@code hogwild} and {@code gossip} train on every layout; a replica that throws stops the run.
 * Run with {@code -Pfakes -Dquadrant.fakes=DIR}; the {@code gpu} suite runs the same checks on real GPUs.
 */
@Tag("fakes")
class GpuStrategiesFakesTest {

    @BeforeAll
    static void needFakes() {
        String dir = System.getProperty("quadrant.fakes");
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "lib", "libcuda.so.1")),
                "stub libraries not built (native-bindings/src/test/fakes/setup-fakes.sh)");
    }

    static Backend hostKernelBackend(Device d, int threads, Precision p) {
        return d.isCpu() ? Training.BackendFactory.DEFAULT.create(d, threads, p)
                : CudaBackend.open(d, p, dev -> HostKernels.INSTANCE);
    }

    static TrainOptions options(String devices, String strategy) {
        TrainOptions o = new TrainOptions();
        o.data = "synthetic:20x4x700";
        o.model = "mlp:16-12";
        o.batch = 30;
        o.steps = 50;
        o.optimizer = "momentum";
        o.lr = 0.05f;
        o.seed = 11;
        o.devices = devices;
        o.strategy = strategy;
        return o;
    }

    /** Trains and returns every replica's parameters plus the run's metrics. */
    static float[][] train(TrainOptions o, List<EpochMetrics> metrics) {
        Training.Setup s = Training.setup(o);
        DataSplit data = Training.loadData(o);
        try (StepRunner runner = Training.buildRunner(o, s, data, GpuStrategiesFakesTest::hostKernelBackend)) {
            TrainResult r = new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.lr, s.schedule(), o.seed))
                    .fit(data, runner, List.of(new TrainListener() {
                        @Override
                        public void onEpoch(EpochMetrics m) {
                            metrics.add(m);
                        }
                    }));
            assertNotNull(r);
            runner.consolidate();
            float[][] all = new float[runner.replicas().size()][];
            for (int i = 0; i < all.length; i++) {
                all[i] = runner.replicas().get(i).getParameters();
            }
            return all;
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({"allreduce,cuda:0x2", "allreduce,cuda:0x4", "allreduce,'cuda:0x2,1x2'", "allreduce,'cuda:0,1'",
        "ps,cuda:0x4", "ps,'cuda:0x2,1x2'", "ps,'cuda:1,0'"})
    void syncStrategiesMatchOneReplicaOnCuda0(String strategy, String devices) {
        float[] one = train(options("cuda:0", "allreduce"), new ArrayList<>())[0];
        List<EpochMetrics> metrics = new ArrayList<>();
        float[][] many = train(options(devices, strategy), metrics);
        for (int r = 1; r < many.length; r++) {
            assertTrue(java.util.Arrays.equals(many[0], many[r]), strategy + " on " + devices + ": replica " + r
                    + " differs from replica 0 by " + StrategyEquivalenceTest.maxDiff(many[0], many[r]));
        }
        double scale = StrategyEquivalenceTest.maxAbs(one);
        int worst = StrategyEquivalenceTest.worst(one, many[0]);
        double diff = Math.abs(one[worst] - many[0][worst]);
        assertTrue(diff <= 1e-5 * scale, strategy + " on " + devices + ": worst index " + worst + ": cuda:0 "
                + one[worst] + ", " + devices + " " + many[0][worst] + ", |diff| " + diff + " > tolerance " + 1e-5 * scale);
        EpochMetrics last = metrics.get(metrics.size() - 1);
        assertEquals(many.length, last.replicas());
        assertTrue(last.computeMs() > 0 && last.commExposedMs() > 0 && last.dataWaitMs() >= 0, last.toMap().toString());
        System.out.println(strategy + " " + devices + ": " + last.toMap());
    }

    @org.junit.jupiter.api.Test
    void oneFakeGpuReplicaMatchesTheCpuBackend() {
        // HostKernels + the stub cuBLAS against OpenBLAS and the CPU loops: the stubs' results are worth comparing
        TrainOptions gpu = options("cuda:0", "allreduce");
        TrainOptions cpu = options("cpu:1", "allreduce");
        cpu.threads = 1;
        float[] g = train(gpu, new ArrayList<>())[0];
        float[] c = train(cpu, new ArrayList<>())[0];
        double scale = StrategyEquivalenceTest.maxAbs(c);
        int worst = StrategyEquivalenceTest.worst(c, g);
        double diff = Math.abs(c[worst] - g[worst]);
        assertTrue(diff <= 1e-5 * scale, "worst index " + worst + ": cpu " + c[worst] + ", fake cuda:0 " + g[worst]
                + ", |diff| " + diff + " > tolerance " + 1e-5 * scale);
    }

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({"hogwild,cuda:0x4", "hogwild,'cuda:0x2,1x2'", "gossip,cuda:0x4", "gossip,'cuda:0x2,1x2'",
        "gossip,'cuda:0,1'"})
    void asyncStrategiesTrainOnEveryLayout(String strategy, String devices) {
        TrainOptions o = options(devices, strategy);
        o.steps = 120;
        o.lr = 0.02f;   // at 0.05 over 60 steps Hogwild on 4 stub replicas ended anywhere in 0.35-0.8 (chance 0.25)
        List<EpochMetrics> metrics = new ArrayList<>();
        float[][] all = train(o, metrics);
        for (int r = 1; r < all.length; r++) {
            assertTrue(java.util.Arrays.equals(all[0], all[r]), "consolidate gives every replica the same parameters");
        }
        EpochMetrics last = metrics.get(metrics.size() - 1);
        System.out.println(strategy + " " + devices + ": " + last.toMap());
        assertTrue(last.testAccuracy() > 0.5, strategy + " on " + devices + " reached only " + last.testAccuracy()
                + " (4 classes: chance is 0.25)");
        assertTrue(((Number) last.extra().get("staleness_max")).doubleValue() >= 0);
    }

    /** A CUDA backend that throws on its {@code failAt}-th gemm; it stays {@link CudaBacked} for the communicators. */
    static Backend faulty(CudaBackend inner, long failAt, RuntimeException boom) {
        AtomicLong gemms = new AtomicLong();
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().equals("cudaBackend")) {
                return inner;
            }
            if (method.getName().equals("gemm") && gemms.incrementAndGet() == failAt) {
                throw boom;
            }
            try {
                return method.invoke(inner, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class, CudaBacked.class}, h);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"allreduce", "ps", "hogwild", "gossip"})
    void aFailingGpuReplicaStopsTheRunWithItsException(String strategy) {
        DataSplit data = SyntheticData.generate(16, 3, 600, 100, 5);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            RuntimeException boom = new RuntimeException("injected failure on replica 2");
            List<Replica> replicas = new ArrayList<>();
            int[] devices = {0, 0, 1, 1};
            for (int r = 0; r < devices.length; r++) {
                CudaBackend be = CudaBackend.open(Device.cuda(devices[r]), Precision.FP32, dev -> HostKernels.INSTANCE);
                replicas.add(new Replica(r, r == 2 ? faulty(be, 20, boom) : be, ModelSpec.parse("mlp:8-8"),
                        dev.quadrant.tests.TestData.schema(16, 3), dev.quadrant.trainer.objective.Classification.INSTANCE,
                        Activation.RELU, 0f, 32, OptimizerConfig.of(OptimizerKind.SGD, 0.05f, 0f)));
            }
            replicas.get(0).setParameters(replicas.get(0).model().initialValues(1, Initializer.HE));
            Throwable caught = null;
            try (StepRunner runner = Strategies.create(strategy, replicas, 0f, Duration.ofSeconds(20))) {
                new Trainer(new Trainer.Plan(0, 40, 32, 0.05f, LrSchedule.constant(), 1)).fit(data, runner, List.of());
            } catch (Throwable t) {
                caught = t;
            }
            if (caught == null) {
                fail(strategy + ": no exception reached the caller");
            }
            Throwable root = caught;
            while (root != boom && root.getCause() != null) {
                root = root.getCause();
            }
            assertSame(boom, root, strategy + ": the injected exception must be the cause; got " + caught);
            assertTrue(caught.getMessage().contains("replica 2"), caught.getMessage());
            FaultInjectionTest.assertNoReplicaThreads(strategy);
        });
    }
}
