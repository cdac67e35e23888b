package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Training;

/** What a user of the trainer library does: set options, add a listener, train, read the result and the files. */
class TrainFromJavaTest {

    @TempDir
    Path dir;

    @Test
    void trainsWithTheTrainerAlone() throws Exception {
        TrainOptions o = new TrainOptions();
        o.data = "synthetic:32x4x2000";
        o.model = "mlp:64";
        o.epochs = 3;
        o.batch = 64;
        o.devices = "cpu:2";          // two replicas, all-reduce
        o.threads = 2;
        o.metrics = dir.resolve("runs/metrics.jsonl");
        o.save = dir.resolve("runs/model.safetensors");
        List<Integer> epochs = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        TrainListener listener = new TrainListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
                epochs.add(m.epoch());
                losses.add(m.testLoss());
            }
        };
        TrainResult r = Training.run(o, List.of(listener));
        assertEquals(List.of(1, 2, 3), epochs, "the listener saw every epoch");
        assertTrue(losses.get(2) < losses.get(0), "the test loss falls: " + losses);
        assertTrue(r.last().testAccuracy() > 0.5, "accuracy " + r.last().testAccuracy() + " (chance: 0.25)");
        assertEquals(3, Files.readAllLines(o.metrics).size(), "one metrics line per epoch");
        assertTrue(Files.size(o.save) > 0);
    }

    @Test
    void theCommandLinesDependenciesAreNotOnTheClassPath() {
        for (String cls : new String[] {"picocli.CommandLine", "org.slf4j.simple.SimpleLogger",
                "me.tongfei.progressbar.ProgressBar", "org.knowm.xchart.XYChart", "dev.quadrant.trainer.cli.Main"}) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(cls), cls + " must not come with the trainer");
        }
    }
}
