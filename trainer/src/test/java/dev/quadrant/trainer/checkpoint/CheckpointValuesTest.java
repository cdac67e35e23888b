package dev.quadrant.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.nn.ParamLayout;

/**
 * Values in a checkpoint that checksums cannot catch (issue 13, items 18 and 20): a checkpoint written with
 * non-finite parameters or optimizer state (valid checksums: it was written that way), and a manifest whose parameter
 * count is not the model's.
 */
class CheckpointValuesTest {
    @TempDir
    Path root;

    private Checkpoint written(float[] params, float[] m, long parameters) {
        CheckpointManifest s = CheckpointStoreTest.manifest(70);
        CheckpointManifest manifest = new CheckpointManifest(s.version(), s.progress(),
                new CheckpointManifest.Model("mlp:0", "relu", 0f, CheckpointManifest.Model.v1Input(2),
                        CheckpointManifest.Model.v1Target(3), null, parameters), s.run(), s.config(), Map.of());
        Map<String, float[]> state = new LinkedHashMap<>();
        state.put("adam.m", m);
        state.put("adam.v", CheckpointStoreTest.values(9, 1));
        new CheckpointWriter(root, 3).write(manifest, CheckpointStoreTest.LAYOUT, params, state);
        return CheckpointStore.resolve(root);
    }

    @Test
    void nonFiniteParametersAreRefusedNamingTheTensor() {
        float[] p = CheckpointStoreTest.values(9, 0);
        p[7] = Float.POSITIVE_INFINITY;             // element 1 of layers.0.bias (offset 6)
        Checkpoint c = written(p, CheckpointStoreTest.values(9, 0), 9);
        UserInputException e = assertThrows(UserInputException.class, () -> c.parameters(CheckpointStoreTest.LAYOUT));
        assertTrue(e.getMessage().contains("\"layers.0.bias\"") && e.getMessage().contains("Infinity")
                && e.getMessage().contains("element 1"), e.getMessage());
    }

    @Test
    void nonFiniteOptimizerStateIsRefusedNamingTheTensor() {
        float[] m = CheckpointStoreTest.values(9, 0);
        m[0] = Float.NaN;
        Checkpoint c = written(CheckpointStoreTest.values(9, 0), m, 9);
        UserInputException e = assertThrows(UserInputException.class,
                () -> c.optimizerState(CheckpointStoreTest.LAYOUT, List.of("adam.m", "adam.v")));
        assertTrue(e.getMessage().contains("adam.m/layers.0.weight") && e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void aParameterCountThatIsNotTheModelsIsRefused() {
        Checkpoint c = written(CheckpointStoreTest.values(9, 0), CheckpointStoreTest.values(9, 0), 10);
        UserInputException e = assertThrows(UserInputException.class, () -> c.parameters(CheckpointStoreTest.LAYOUT));
        assertTrue(e.getMessage().contains("model.parameters is 10") && e.getMessage().contains("9 parameters"),
                e.getMessage());
        ParamLayout layout = CheckpointStoreTest.LAYOUT;
        assertTrue(layout.totalSize() == 9);
    }
}
