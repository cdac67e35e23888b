package dev.quadrant.tests.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.trainer.data.ArraySamples;
import dev.quadrant.trainer.data.Field;
import dev.quadrant.trainer.data.Samples;
import dev.quadrant.trainer.infer.SavedModel;
import dev.quadrant.trainer.nn.ActivationRef;
import dev.quadrant.trainer.nn.Backward;
import dev.quadrant.trainer.nn.Bind;
import dev.quadrant.trainer.nn.Declare;
import dev.quadrant.trainer.nn.ForwardContext;
import dev.quadrant.trainer.nn.Linear;
import dev.quadrant.trainer.nn.Model;
import dev.quadrant.trainer.nn.ModelFactory;
import dev.quadrant.trainer.nn.Act;
import dev.quadrant.trainer.nn.Module;
import dev.quadrant.trainer.nn.ParamRef;
import dev.quadrant.trainer.nn.Sequential;
import dev.quadrant.trainer.objective.Classification;
import dev.quadrant.trainer.optim.OptimizerKind;
import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.Fit;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.Trained;

/**
 * The README's Java API example, verbatim: a module of one's own, one's own data, a strategy over two CPU replicas,
 * callbacks with early stopping, predict, save and load.
 */
class JavaApiExampleTest {

    // README: begin custom module
    /** y = x + shift, a learned shift per feature: a module with its own forward and backward. */
    static final class Shift implements Module {
        private ParamRef shift;
        private ActivationRef out;
        private Backend be;
        private Tensor s;
        private Tensor ds;
        private Tensor y;

        @Override
        public int[] declare(Declare d, int[] in) {
            shift = d.param("shift", false, in[0]);        // [features], no weight decay
            out = d.saved("y", DType.FLOAT32, in);         // [rows, features]
            return in;
        }

        @Override
        public void bind(Bind b) {
            be = b.backend();
            s = b.value(shift);
            ds = b.gradient(shift);
            y = b.tensor(out);
        }

        @Override
        public Tensor forward(Tensor x, ForwardContext ctx) {
            Tensor yb = y.rows(0, x.dim(0));
            be.copy(x, yb);
            be.addBias(yb, s);
            return yb;
        }

        @Override
        public Tensor backward(Tensor dy, Backward ctx) {
            be.columnSums(dy, 1f, ds);                      // accumulate: d shift += column sums of dy
            return ctx.needInputGradient() ? dy : null;     // dx = dy
        }

        @Override
        public String describe() { return "Shift"; }
    }
    // README: end custom module

    /** Two interleaved spirals: a problem a linear model cannot solve. */
    static Samples spirals(int n, long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        float[] x = new float[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % 2;
            double t = rng.nextDouble() * 3 * Math.PI;
            double r = t / (3 * Math.PI);
            x[2 * i] = (float) (r * Math.cos(t + c * Math.PI) + 0.02 * rng.nextGaussian());
            x[2 * i + 1] = (float) (r * Math.sin(t + c * Math.PI) + 0.02 * rng.nextGaussian());
            y[i] = c;
        }
        return ArraySamples.of("spirals", Field.floats("xy", 2), Field.ints("label", 2), x, y);
    }

    @TempDir
    Path dir;

    @Test
    void theReadmeExampleRuns() {
        Samples train = spirals(2000, 1);
        Samples test = spirals(500, 2);
        // README: begin training
        ModelFactory mine = in -> new Model(new Sequential(List.of(
                new Shift(), new Linear(64), new Act(Activation.TANH), new Linear(64), new Act(Activation.TANH),
                new Linear(in.outputs()))), in.inputShape(), in.inputDtype());
        List<EpochMetrics> seen = new ArrayList<>();
        Trained t = Fit.builder()
                .model(mine)
                .data(train, test)
                .objective(Classification.INSTANCE)
                .optimizer(OptimizerKind.ADAM, 1e-2f)
                .devices("cpu:2").strategy(Fit.Strategy.ALLREDUCE)
                .batch(64).epochs(60).threads(2)
                .listener(new TrainListener() {
                    @Override public void onEpoch(EpochMetrics m) { seen.add(m); }
                    @Override public boolean stopRequested() {               // early stopping
                        return seen.get(seen.size() - 1).testAccuracy() >= 0.97;
                    }
                })
                .build().run();
        Path file = dir.resolve("spirals.safetensors");
        t.save(file);
        float[] point = {0.5f, 0.1f};
        int[] predicted;
        try (SavedModel m = t.predictor(1)) {
            predicted = m.classify(point, 1);
        }
        // README: end training
        EpochMetrics last = seen.get(seen.size() - 1);
        assertTrue(last.testAccuracy() >= 0.97, "the model learns the spirals: " + last);
        assertTrue(seen.size() < 60, "early stopping ended the run after " + seen.size() + " epochs");
        assertEquals(seen.size(), t.result().epochs().size());
        assertTrue(Files.exists(file));
        float[] logits;
        try (SavedModel m = t.predictor(1)) {
            logits = m.predict(point, 1);
        }
        assertEquals(logits[0] > logits[1] ? 0 : 1, predicted[0], "classify is the argmax of predict");
        assertTrue(t.structure().layout().entries().get(0).name().equals("layers.0.shift"),
                "the custom module's parameter is named in the layout: " + t.structure().layout().entries());
    }

    /** A GPT from Java: spec object, text data, a strategy, then text from the trained model, the same for a seed. */
    @Test
    void aGptFromJavaGenerates() throws java.io.IOException {
        Path text = dir.resolve("play.txt");
        Files.writeString(text, "ROMEO:\nBut soft, what light through yonder window breaks.\n\n".repeat(30));
        Trained t = Fit.builder()
                .model(new dev.quadrant.trainer.nn.GptSpec(1, 2, 16, 16, 0f, true))
                .data(dev.quadrant.trainer.data.TextData.read(text, 16))
                .optimizer(OptimizerKind.ADAMW, 3e-3f)
                .devices("cpu:2").strategy(Fit.Strategy.PS)
                .batch(8).steps(60).threads(2)
                .build().run();
        String a = t.generate("ROMEO:", 30, 0.8, 5, 11);
        assertTrue(a.startsWith("ROMEO:") && a.codePointCount(0, a.length()) == 36, a);
        assertEquals(a, t.generate("ROMEO:", 30, 0.8, 5, 11), "the same seed gives the same text");
        assertTrue(t.result().last().valLoss() < Math.log(t.vocabulary().size()), "it learned something: "
                + t.result().last());
    }
}
