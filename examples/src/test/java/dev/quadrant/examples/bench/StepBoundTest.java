package dev.quadrant.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.trainer.cli.TrainArgs;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;
import org.junit.jupiter.api.Test;

/** The physical bound prices what a step really does: its GEMMs (count, FLOPs) and the bytes of the rest. */
class StepBoundTest {
    @Test
    void anMlpStepHasItsEightGemmsAndTheOptimizerTraffic() throws Exception {
        int batch = 32;
        TrainOptions o = TrainArgs.parse(List.of("--data", "synthetic:20x4x256", "--model", "mlp:16-8", "--batch",
                Integer.toString(batch), "--optimizer", "momentum", "--lr", "0.01", "--steps", "3", "--threads", "1",
                "--devices", "cpu:1"));
        Training.Setup s = Training.setup(o);
        DataSplit data = Training.loadData(o, s);
        StepBound bound = new StepBound(2);
        assertThrows(IllegalStateException.class, () -> bound.price(Training.BackendFactory.DEFAULT, 1,
                s.precision(), 1e10, 1), "nothing recorded yet");
        try (StepRunner runner = bound.marking(Training.buildRunner(o, s, data,
                bound.wrap(Training.BackendFactory.DEFAULT)))) {
            new Trainer(Training.plan(o, s, data)).fit(data, runner, List.of());
        }
        StepBound.Price p = bound.price(Training.BackendFactory.DEFAULT, 1, s.precision(), 1e10, 2);
        // 20 -> 16 -> 8 -> 4: three forward GEMMs, three weight gradients, two input gradients (none into the data)
        assertEquals(8, p.gemms());
        double macs = 20 * 16 + 16 * 8 + 8 * 4;
        assertEquals(2.0 * batch * (3 * macs - 20 * 16), p.gemmFlops(), 1e-6);
        assertTrue(p.gemmSeconds() > 0, "the replay took time");
        long params = 20 * 16 + 16 + 16 * 8 + 8 + 8 * 4 + 4;
        // the momentum update alone touches parameters, gradients and velocity once each
        assertTrue(p.otherBytes() >= 3 * 4 * params, p.otherBytes() + " bytes for " + params + " parameters");
        assertEquals(p.gemmSeconds() + p.otherBytes() / 1e10, p.boundSeconds(), 1e-12);
        // the breakdown times steps 2 and 3 (from the recorded one on): 8 GEMMs a step, the bytes of the recorded one
        java.util.Map<String, StepBound.Share> by = new java.util.HashMap<>();
        for (StepBound.Share sh : bound.breakdown()) {
            by.put(sh.method(), sh);
        }
        assertEquals(8.0, by.get("gemm").callsPerStep(), 1e-9, "GEMM calls per timed step");
        assertTrue(by.get("gemm").secondsPerStep() > 0, "the GEMMs took time");
        assertTrue(by.get("sgdUpdate").bytesPerStep() >= 3 * 4 * params, "the update's bytes");
        assertTrue(by.keySet().stream().noneMatch(m -> m.equals("allocate") || m.equals("device")),
                "calls that move no data are not timed: " + by.keySet());
        List<StepBound.Share> sorted = bound.breakdown();
        for (int i = 1; i < sorted.size(); i++) {
            assertTrue(sorted.get(i - 1).secondsPerStep() >= sorted.get(i).secondsPerStep(), "most expensive first");
        }
    }

    @Test
    void aConvolutionIsPricedAsItsIm2colGemmsWithoutTheColumnMatrix() {
        java.util.List<StepBound.Gemm> gemms = new java.util.ArrayList<>();
        try (Backend be = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 1);
             Tensor x = be.allocate(DType.FLOAT32, 2, 6, 6, 3);              // 2 images 6x6x3, 3x3 kernel, no padding
             Tensor weight = be.allocate(DType.FLOAT32, 4, 27);
             Tensor bias = be.allocate(DType.FLOAT32, 4);
             Tensor col = be.allocate(DType.FLOAT32, 32, 27);
             Tensor y = be.allocate(DType.FLOAT32, 32, 4);
             Tensor dcol = be.allocate(DType.FLOAT32, 32, 27);
             Tensor dWeight = be.allocate(DType.FLOAT32, 4, 27);
             Tensor dx = be.allocate(DType.FLOAT32, 2, 6, 6, 3)) {
            dev.quadrant.device.Window2d w = dev.quadrant.device.Window2d.square(3, 1, 0);
            long fwd = StepBound.convolution("conv2dForward", new Object[] {x, w, weight, bias, col, y}, gemms);
            assertEquals(4L * (216 + 108 + 4 + 128), fwd, "x, weight, bias and y; not col");
            assertEquals(1, gemms.size());
            assertEquals(2.0 * 32 * 4 * 27, gemms.get(0).flops());
            long bwd = StepBound.convolution("conv2dBackward",
                    new Object[] {x, y, w, weight, col, dcol, dWeight, null, dx}, gemms);
            assertEquals(4L * (216 + 128 + 108 + 108 + 216), bwd, "x, dy, weight, dWeight and dx; not col or dcol");
            assertEquals(3, gemms.size(), "the weight and the input gradients");
            assertEquals(2.0 * 4 * 27 * 32, gemms.get(1).flops());
            assertEquals(2.0 * 32 * 27 * 4, gemms.get(2).flops());
            StepBound.convolution("conv2dBackward", new Object[] {x, y, w, weight, col, dcol, dWeight, null, null},
                    gemms);
            assertEquals(4, gemms.size(), "no input gradient: one GEMM");
            assertEquals(1, gemms.get(0).calls(), "32 rows of 27 taps fit one chunk");
        }
        // LeNet's conv1 at batch 128: 100352 rows of 25 taps replay as 39 calls of 2621 rows (64 Ki floats of col)
        StepBound.Gemm fwd = new StepBound.Gemm(false, false, true, 1f, new int[] {100352, 25}, new int[] {6, 25}, 0f,
                new int[] {100352, 6}, 2621);
        assertEquals(39, fwd.calls());
        assertEquals(java.util.List.of(2621, 25, 2621, 6), java.util.List.of(fwd.chunked().a()[0],
                fwd.chunked().a()[1], fwd.chunked().c()[0], fwd.chunked().c()[1]));
        StepBound.Gemm dw = new StepBound.Gemm(false, true, false, 1f, new int[] {100352, 6}, new int[] {100352, 25},
                1f, new int[] {6, 25}, 2621);
        assertEquals(39, dw.calls());
        assertEquals(2621, dw.chunked().a()[0], "the weight gradient is cut along its common dimension");
        assertEquals(2621, dw.chunked().b()[0]);
        assertEquals(6 * 25, dw.chunked().c()[0] * dw.chunked().c()[1], "and keeps its C");
    }

    @Test
    void bytesCountEachTensorOnceAndTransfersTwice() {
        assertEquals(0, StepBound.bytes("synchronize", null));
        try (Backend be = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 1);
             Tensor a = be.allocate(DType.FLOAT32, 10, 3);
             Tensor b = be.allocate(DType.INT32, 7)) {
            assertEquals(120, StepBound.bytes("copy", new Object[] {a, a}), "the same tensor twice is read once");
            assertEquals(120 + 28, StepBound.bytes("mul", new Object[] {a, b, 2f}));
            assertEquals(2 * 120, StepBound.bytes("upload", new Object[] {new float[30], 0, a}), "host side too");
        }
    }
}
