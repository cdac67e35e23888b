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
 * The README's MNIST run, as a test: {@code --data idx:mnist --model mlp:256 --epochs 3 --batch 128 --optimizer adam
 * --lr 1e-3 --seed 1} on 2 threads reaches test accuracy >= 0.975.
 */
class MnistConvergenceTest {

    @Test
    void mlp256AdamReaches975In3Epochs() {
        TrainOptions o = new TrainOptions();
        o.data = "idx:" + TestData.dataset("mnist");
        o.model = "mlp:256";
        o.epochs = 3;
        o.batch = 128;
        o.optimizer = "adam";
        o.lr = 1e-3f;
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
        assertTrue(last.testAccuracy() >= 0.975, "test accuracy " + last.testAccuracy() + " < 0.975");
    }
}
