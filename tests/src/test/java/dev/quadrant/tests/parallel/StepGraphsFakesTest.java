package dev.quadrant.tests.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.kernels.HostKernels;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;

/**
 * {@code --cuda-graphs} on stub GPUs (the {@code -Pfakes} libraries, kernels as {@link HostKernels}, where a graph is
 * its recorded ops replayed in order): runs with graphs end with the parameters of runs without, bit for bit, for one
 * replica, all-reduce on one and on two GPUs (communicator boundaries), the parameter server, gradient accumulation,
 * a GPT with dropout, AdamW and a cosine schedule (arguments that change every step), and epochs whose last batch is
 * partial; and graphs did replay (a graph that ran nothing would leave the parameters behind).
 */
@Tag("fakes")
class StepGraphsFakesTest {

    @BeforeAll
    static void needFakes() {
        String dir = System.getProperty("quadrant.fakes");
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "lib", "libcuda.so.1")),
                "stub libraries not built (native-bindings/src/test/fakes/setup-fakes.sh)");
    }

    record Run(float[] params, long graphLaunches, String report) {}

    static Run train(String model, String devices, String strategy, int accum, String graphs) {
        TrainOptions o = new TrainOptions();
        if (model.startsWith("gpt")) {
            o.data = GptEquivalenceTest.TEXT;
            o.optimizer = "adamw";
            o.lr = 1e-3f;
            o.schedule = "cosine:3:1e-4";
        } else {
            o.data = "synthetic:20x4x100";   // 100 rows, batch 24 x accum: the last batch of an epoch is partial
            o.optimizer = "momentum";
            o.lr = 0.05f;
        }
        o.model = model;
        o.batch = 12;
        o.gradAccum = accum;
        o.steps = 14;
        o.seed = 4;
        o.clipNorm = 1f;
        o.devices = devices;
        o.strategy = strategy;
        o.cudaGraphs = graphs;
        Training.Setup s = Training.setup(o);
        DataSplit data = Training.loadData(o);
        Training.BackendFactory f = (d, threads, p) -> CudaBackend.open(d, p, dev -> HostKernels.INSTANCE);
        try (StepRunner runner = Training.buildRunner(o, s, data, f)) {
            new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.gradAccum, o.lr, s.schedule(), o.seed, 0, 0))
                    .fit(data, runner, List.of());
            long launches = 0;
            for (Replica r : runner.replicas()) {
                launches += CudaBackend.of(r.backend()).graphLaunches();
            }
            return new Run(runner.replicas().get(0).getParameters(), launches,
                    runner.replicas().get(0).backend().stepGraphReport());
        }
    }

    @ParameterizedTest(name = "{0} on {1}, {2}, {3} micro-batches")
    @CsvSource({"mlp:16-12, cuda:0, allreduce, 1", "mlp:16-12, cuda:0, allreduce, 2",
        "mlp:16-12, 'cuda:0,1', allreduce, 1", "mlp:16-12, cuda:0x2, ps, 2",
        "'gpt:layers=1,heads=2,dim=16,ctx=8,dropout=0.1', cuda:0, allreduce, 2"})
    void graphsGiveTheBitsOfEagerLaunches(String model, String devices, String strategy, int accum) {
        Run eager = train(model, devices, strategy, accum, "off");
        Run graphs = train(model, devices, strategy, accum, "on");
        assertArrayEquals(eager.params(), graphs.params(), "CUDA graphs changed the parameters: " + graphs.report());
        assertEquals(0, eager.graphLaunches());
        assertTrue(graphs.graphLaunches() > 5, "graphs replayed: " + graphs.report());
        System.out.println(model + " " + devices + " " + strategy + ": " + graphs.report());
    }

    /** The GPU host's check ({@code GpuChecks graphs}) passes on the stubs: its code runs before a GPU sees it. */
    @org.junit.jupiter.api.Test
    void theGpuHostCheckPassesOnTheStubs() {
        Training.BackendFactory f = (d, threads, p) -> CudaBackend.open(d, p, dev -> HostKernels.INSTANCE);
        for (dev.quadrant.examples.gpu.Check c : dev.quadrant.examples.gpu.StepGraphsCheck.all(f, 2)) {
            System.out.println(c);
            assertTrue(c.passed(), c.toString());
        }
    }
}
