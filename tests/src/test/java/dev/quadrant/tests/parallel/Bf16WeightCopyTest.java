package dev.quadrant.tests.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;

/**
 * The bf16 weight copy changes no bit: on a backend whose GEMMs round their operands to bf16 (here the CPU backend
 * behind a wrapper that rounds every FLOAT32 operand, as a GPU at {@code --precision bf16} does), a run whose layers
 * pass the copy, refreshed once per step, ends with the parameters of a run that rounds the fp32 weights on every
 * call: for an MLP and a GPT (linear layers and the tied LM head), one replica, all-reduce with gradient
 * accumulation, and the parameter server, whose broadcast rewrites the workers' weights each step. And the copies are
 * really used: with them no gemm operand is FLOAT32 (weights come from the copy; a layer's input, kept for its weight
 * gradient, and its output gradient, read by both backward GEMMs, are cast once into bf16 activation buffers).
 */
class Bf16WeightCopyTest {

    /** A CPU backend whose gemm rounds FLOAT32 operands to bf16 first; {@code copy}: what gemmRoundsToBf16 says. */
    static Backend rounding(Backend inner, boolean copy, AtomicLong operandCasts) {
        InvocationHandler h = (proxy, method, args) -> {
            switch (method.getName()) {
                case "gemmRoundsToBf16":
                    return copy;
                case "gemm": {
                    Tensor a = (Tensor) args[3];
                    Tensor b = (Tensor) args[4];
                    try (Tensor a16 = rounded(inner, a, operandCasts); Tensor b16 = rounded(inner, b, operandCasts)) {
                        inner.gemm((boolean) args[0], (boolean) args[1], (float) args[2], a16 == null ? a : a16,
                                b16 == null ? b : b16, (float) args[5], (Tensor) args[6]);
                    }
                    return null;
                }
                default:
                    try {
                        return method.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
            }
        };
        return (Backend) Proxy.newProxyInstance(Bf16WeightCopyTest.class.getClassLoader(),
                new Class<?>[] {Backend.class}, h);
    }

    private static Tensor rounded(Backend inner, Tensor t, AtomicLong casts) {
        if (t.dtype() != DType.FLOAT32) {
            return null;
        }
        casts.incrementAndGet();
        Tensor r = inner.allocate(DType.BF16, t.shape());
        inner.castToBf16(t, r);
        return r;
    }

    record Run(float[] params, long operandCasts, long steps) {}

    /** A small run of {@code model} (an MLP on synthetic data, or a GPT on Tiny Shakespeare), batch 8. */
    static TrainOptions small(String model) {
        TrainOptions o = new TrainOptions();
        if (model.startsWith("gpt")) {
            o.data = GptEquivalenceTest.TEXT;
            o.optimizer = "adamw";
            o.lr = 1e-3f;
        } else {
            o.data = "synthetic:20x4x300";
            o.optimizer = "momentum";
            o.lr = 0.05f;
        }
        o.model = model;
        o.batch = 8;
        return o;
    }

    static Run train(String model, String strategy, int replicas, int accum, boolean copy) {
        TrainOptions o = small(model);
        o.gradAccum = accum;
        o.steps = 12;
        o.seed = 3;
        o.threads = replicas;
        o.devices = "cpu:" + replicas;
        o.strategy = strategy;
        Training.Setup s = Training.setup(o);
        DataSplit data = Training.loadData(o);
        AtomicLong casts = new AtomicLong();
        Training.BackendFactory f = (d, threads, p) -> rounding(Training.BackendFactory.DEFAULT.create(d, threads, p),
                copy, casts);
        try (StepRunner runner = Training.buildRunner(o, s, data, f)) {
            for (Replica r : runner.replicas()) {
                assertEquals(copy, r.parameters().hasCopy(), "a copy exactly where GEMMs round to bf16");
            }
            new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.gradAccum, o.lr, s.schedule(), o.seed, 0, 0))
                    .fit(data, runner, List.of());
            return new Run(runner.replicas().get(0).getParameters(), casts.get(), o.steps);
        }
    }

    @ParameterizedTest(name = "{0}, {1} x{2}, {3} micro-batches")
    @CsvSource({"mlp:16-12, allreduce, 1, 1", "mlp:16-12, allreduce, 2, 2", "mlp:16-12, ps, 2, 1",
        "'gpt:layers=1,heads=2,dim=16,ctx=8', allreduce, 1, 2", "'gpt:layers=1,heads=2,dim=16,ctx=8', ps, 2, 1"})
    void sameBitsWithTheCopy(String model, String strategy, int replicas, int accum) {
        Run perCall = train(model, strategy, replicas, accum, false);
        Run copied = train(model, strategy, replicas, accum, true);
        assertArrayEquals(perCall.params(), copied.params(), "the bf16 weight copy changed the parameters");
        assertEquals(0, copied.operandCasts(), "every gemm operand arrives in bf16 (weights from the copy, inputs and "
                + "output gradients cast once by the layer), none cast per call; without: " + perCall.operandCasts());
        assertTrue(perCall.operandCasts() > 0);
    }
}
