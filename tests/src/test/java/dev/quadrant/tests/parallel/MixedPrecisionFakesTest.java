package dev.quadrant.tests.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.device.Backend;
import dev.quadrant.device.cuda.CudaBacked;
import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.kernels.HostKernels;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;

/**
 * On stub GPUs (the {@code -Pfakes} libraries, kernels as {@link HostKernels}, cuBLAS's bf16 GemmEx computing on the
 * host): at {@code --precision bf16} the replicas keep a bf16 copy of their weights and pass it to cuBLAS, and the run
 * ends with the parameters, bit for bit, of a run whose backend casts both operands on every call (the backend behind
 * a wrapper that denies {@code gemmRoundsToBf16}); and the inputs go through the copy stream into two alternating
 * device buffers, every load after the first one prefetched.
 */
@Tag("fakes")
class MixedPrecisionFakesTest {

    @BeforeAll
    static void needFakes() {
        String dir = System.getProperty("quadrant.fakes");
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "lib", "libcuda.so.1")),
                "stub libraries not built (native-bindings/src/test/fakes/setup-fakes.sh)");
    }

    /** {@code inner} with {@code gemmRoundsToBf16} false: no copy, both operands cast per call. Still CUDA-backed. */
    static Backend withoutCopy(CudaBackend inner) {
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().equals("cudaBackend")) {
                return inner;
            }
            if (method.getName().equals("gemmRoundsToBf16")) {
                return false;
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

    static float[] train(String model, String devices, String strategy, boolean copy, long[] loads) {
        TrainOptions o = Bf16WeightCopyTest.small(model);
        o.gradAccum = 2;
        o.steps = 10;
        o.seed = 9;
        o.devices = devices;
        o.strategy = strategy;
        o.precision = "bf16";
        Training.Setup s = Training.setup(o);
        DataSplit data = Training.loadData(o);
        Training.BackendFactory f = (d, threads, p) -> {
            CudaBackend be = CudaBackend.open(d, p, dev -> HostKernels.INSTANCE);
            return copy ? be : withoutCopy(be);
        };
        try (StepRunner runner = Training.buildRunner(o, s, data, f)) {
            for (Replica r : runner.replicas()) {
                assertEquals(copy, r.parameters().hasCopy());
            }
            new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.gradAccum, o.lr, s.schedule(), o.seed, 0, 0))
                    .fit(data, runner, List.of());
            for (Replica r : runner.replicas()) {
                loads[0] += r.loadCounts()[0];
                loads[1] += r.loadCounts()[1];
            }
            return runner.replicas().get(0).getParameters();
        }
    }

    @ParameterizedTest(name = "{0} on {1}, {2}")
    @CsvSource({"mlp:16-12, cuda:0, allreduce", "mlp:16-12, 'cuda:0,1', allreduce", "mlp:16-12, cuda:0x2, ps",
        "'gpt:layers=1,heads=2,dim=16,ctx=8', cuda:0, allreduce"})
    void theBf16CopyGivesTheBitsOfPerCallCasts(String model, String devices, String strategy) {
        long[] loads = new long[2];
        float[] perCall = train(model, devices, strategy, false, new long[2]);
        float[] copied = train(model, devices, strategy, true, loads);
        assertArrayEquals(perCall, copied, "the bf16 weight copy changed the parameters on " + devices);
        int replicas = devices.contains(",") || devices.contains("x2") ? 2 : 1;
        assertEquals(replicas, loads[1], "only the first step's rows are gathered without a prefetch");
        assertEquals(10L * 2 * replicas - replicas, loads[0], "every other load prefetched");
        assertTrue(perCall.length > 0);
    }
}
