package dev.quadrant.tests.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.quadrant.device.UserInputException;
import dev.quadrant.tests.CliRun;
import dev.quadrant.tests.TestData;
import dev.quadrant.trainer.checkpoint.CheckpointStore;
import dev.quadrant.trainer.io.SafeTensors;
import dev.quadrant.trainer.io.SafeTensorsFile;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Training;

/**
 * Runs on image data ({@code x F32[8, 8, 1]}): resume is exact with {@code --augment} on, augmentation does not
 * depend on the number of replicas and never touches evaluation, and checkpoints and saved models written before
 * images kept their shape (recording {@code x F32[64]}) still resume and evaluate, while a real mismatch is refused.
 */
class ImageRunsTest {

    @TempDir
    Path dir;

    TrainOptions options(String augment, String devices) throws IOException {
        TrainOptions o = new TrainOptions();
        Path data = dir.resolve("img");
        if (!Files.isDirectory(data)) {
            TestData.writeIdx(data, 240, 8, 8);
        }
        o.data = "idx:" + data;
        o.model = "mlp:16";
        o.batch = 32;
        o.optimizer = "adam";
        o.lr = 0.01f;
        o.seed = 5;
        o.threads = 1;
        o.devices = devices;
        o.epochs = 2;
        o.augment = augment;
        return o;
    }

    @ParameterizedTest(name = "--augment {0} on {1}")
    @CsvSource(delimiter = '|', value = {"crop:2,flip | cpu:1", "crop:2,flip | cpu:2", "flip | cpu:1"})
    void oneEpochThenResumeEqualsTwoEpochsStraight(String augment, String devices) throws IOException {
        TrainOptions straight = options(augment, devices);
        straight.save = dir.resolve("straight.safetensors");
        Training.run(straight, List.of());

        TrainOptions first = options(augment, devices);
        first.epochs = 1;
        first.checkpointDir = dir.resolve("ck");
        Training.run(first, List.of());
        Path ck = CheckpointStore.list(first.checkpointDir).get(0);
        String manifest = Files.readString(ck.resolve("manifest.json"));
        assertTrue(manifest.contains("\"augment\" : \"" + augment + "\""), "the manifest records --augment:\n" + manifest);
        assertTrue(manifest.contains("x F32[8, 8, 1]"), manifest);

        TrainOptions second = options(augment, devices);
        second.resume = dir.resolve("ck");
        second.save = dir.resolve("resumed.safetensors");
        TrainResult r = Training.run(second, List.of());
        assertEquals(1, r.epochs().size(), "only the second epoch runs");
        Parameters.assertIdentical(straight.save, second.save, "--augment " + augment + " on " + devices);
    }

    /**
     * A ResNet with BatchNorm (synchronised statistics on 2 replicas): resume is byte-identical, the running statistics
     * included, and they did move (a resumed run that lost them would start its second epoch from the initial ones).
     */
    @ParameterizedTest(name = "resnet with BatchNorm on {0} {1}")
    @CsvSource({"cpu:1, allreduce", "cpu:2, allreduce", "cpu:2, ps"})
    void aResNetResumesExactlyWithItsRunningStatistics(String devices, String strategy) throws IOException {
        TrainOptions straight = options("crop:1,flip", devices);
        straight.model = "resnet:widths=3-4,blocks=1";
        straight.strategy = strategy;
        straight.save = dir.resolve("straight.safetensors");
        Training.run(straight, List.of());
        TrainOptions first = options("crop:1,flip", devices);
        first.model = straight.model;
        first.strategy = strategy;
        first.epochs = 1;
        first.checkpointDir = dir.resolve("ck");
        Training.run(first, List.of());
        TrainOptions second = options("crop:1,flip", devices);
        second.model = straight.model;
        second.strategy = strategy;
        second.resume = dir.resolve("ck");
        second.save = dir.resolve("resumed.safetensors");
        Training.run(second, List.of());
        Parameters.assertIdentical(straight.save, second.save, "resnet on " + devices + " " + strategy);
        float[] var = dev.quadrant.trainer.io.SafeTensors.read(straight.save).tensor("bn1.running_var").floats();
        assertTrue(var[0] != 1f && var[1] != 1f, "running_var moved from its initial 1: " + java.util.Arrays.toString(var));
    }

    @Test
    void resumingWithAnotherAugmentationIsRefused() throws IOException {
        TrainOptions first = options("crop:2", "cpu:1");
        first.epochs = 1;
        first.checkpointDir = dir.resolve("ck");
        Training.run(first, List.of());
        TrainOptions second = options("flip", "cpu:1");
        second.resume = dir.resolve("ck");
        UserInputException e = assertThrows(UserInputException.class, () -> Training.run(second, List.of()));
        assertTrue(e.getMessage().contains("--augment crop:2") && e.getMessage().contains("--augment flip"),
                e.getMessage());
    }

    /** Without dropout, 2 all-reduce replicas compute what 1 does up to float32 summation order, augmentation on. */
    @Test
    void augmentationDoesNotDependOnTheNumberOfReplicas() throws IOException {
        TrainOptions one = options("crop:2,flip", "cpu:1");
        one.save = dir.resolve("one.safetensors");
        Training.run(one, List.of());
        TrainOptions two = options("crop:2,flip", "cpu:2");
        two.save = dir.resolve("two.safetensors");
        Training.run(two, List.of());
        Parameters.assertClose(one.save, two.save, 1e-4, "1 and 2 replicas with --augment crop:2,flip");
        TrainOptions plain = options("none", "cpu:1");
        plain.save = dir.resolve("plain.safetensors");
        Training.run(plain, List.of());
        AssertionError differs = assertThrows(AssertionError.class,
                () -> Parameters.assertClose(one.save, plain.save, 1e-4, "augmented against plain"));
        assertFalse(differs.getMessage().isEmpty(), "augmentation changes the training");
    }

    /**
     * With SGD at a learning rate of 1e-30 the parameters never move (each update is far below half an ulp of the
     * weight it is added to; 0 is not an accepted rate), so the test metrics of an augmented run equal those of a
     * plain one exactly unless evaluation were augmented; the training losses differ, so augmentation was on.
     */
    @Test
    void evaluationIsNeverAugmented() throws IOException {
        TrainOptions plain = options("none", "cpu:1");
        plain.optimizer = "sgd";
        plain.lr = 1e-30f;
        TrainResult p = Training.run(plain, List.of());
        TrainOptions augmented = options("crop:3,flip", "cpu:1");
        augmented.optimizer = "sgd";
        augmented.lr = 1e-30f;
        TrainResult a = Training.run(augmented, List.of());
        for (int e = 0; e < 2; e++) {
            assertEquals(p.epochs().get(e).testLoss(), a.epochs().get(e).testLoss(), 0.0, "test loss, epoch " + (e + 1));
            assertEquals(p.epochs().get(e).testAccuracy(), a.epochs().get(e).testAccuracy(), 0.0, "test accuracy");
            assertNotEquals(p.epochs().get(e).trainLoss(), a.epochs().get(e).trainLoss(), "training loss, epoch "
                    + (e + 1) + ": the training images are augmented");
        }
    }

    /** The Java API: {@code Fit.Builder.augment} is {@code --augment}, with the same result, and refuses flat data. */
    @Test
    void fitAugmentsAsTheOptionDoes() throws IOException {
        TrainOptions o = options("crop:2,flip", "cpu:1");
        TrainResult viaOptions = Training.run(o, List.of());
        var data = dev.quadrant.trainer.data.IdxReader.read(dir.resolve("img"));
        var fit = dev.quadrant.trainer.train.Fit.builder()
                .model(new dev.quadrant.trainer.nn.MlpSpec(new int[] {16}))
                .data(data)
                .optimizer(dev.quadrant.trainer.optim.OptimizerKind.ADAM, 0.01f)
                .devices("cpu:1").batch(32).epochs(2).seed(5).threads(1)
                .augment(new dev.quadrant.trainer.data.Augmentation(2, true));
        TrainResult viaFit = fit.build().run().result();
        assertEquals(viaOptions.last().testLoss(), viaFit.last().testLoss(), 0.0, "the same run from Java");

        var flat = dev.quadrant.trainer.data.ArraySamples.of("flat", dev.quadrant.trainer.data.Field.floats("x", 4),
                dev.quadrant.trainer.data.Field.ints("label", 2), new float[8], new int[] {0, 1});
        var refused = dev.quadrant.trainer.train.Fit.builder()
                .model(new dev.quadrant.trainer.nn.MlpSpec(new int[] {4})).data(flat, flat)
                .devices("cpu:1").batch(2).epochs(1).threads(1)
                .augment(dev.quadrant.trainer.data.Augmentation.parse("flip")).build();
        UserInputException e = assertThrows(UserInputException.class, refused::run);
        assertTrue(e.getMessage().startsWith("--augment flip augments images"), e.getMessage());
    }

    /**
     * The MLP flattens images, so training it on {@code x F32[8, 8, 1]} computes exactly what training it on the same
     * pixels as flat {@code x F32[64]} computes: the same parameter names, shapes, initial values and updates. This is
     * why checkpoints and models recording the flat field load as they are.
     */
    @Test
    void theMlpOnImagesEqualsTheMlpOnTheirFlatPixels() throws IOException {
        options("none", "cpu:1"); // writes the images
        var shaped = dev.quadrant.trainer.data.IdxReader.read(dir.resolve("img"));
        var flat = new dev.quadrant.trainer.data.DataSplit(flatten(shaped.train()), flatten(shaped.test()));
        assertEquals("x F32[64]", flat.schema().input().toString());
        float[][] params = new float[2][];
        int i = 0;
        for (var data : List.of(shaped, flat)) {
            params[i++] = dev.quadrant.trainer.train.Fit.builder()
                    .model(new dev.quadrant.trainer.nn.MlpSpec(new int[] {16})).data(data)
                    .optimizer(dev.quadrant.trainer.optim.OptimizerKind.ADAM, 0.01f)
                    .devices("cpu:1").batch(32).epochs(2).seed(5).threads(1).build().run().parameters();
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(params[1], params[0], "shaped against flat");
    }

    private static dev.quadrant.trainer.data.Dataset flatten(dev.quadrant.trainer.data.Samples s) {
        var d = (dev.quadrant.trainer.data.Dataset) s;
        return new dev.quadrant.trainer.data.Dataset(d.name(), d.features(), d.classes(), d.x(), d.y());
    }

    /** Rewrites the manifest's recorded input field, as a checkpoint written before images kept their shape reads. */
    private static void recordInput(Path ck, String input) throws IOException {
        Path manifest = ck.resolve("manifest.json");
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(manifest.toFile());
        ObjectNode model = (ObjectNode) root.get("model");
        model.put("input", input);
        ObjectNode config = (ObjectNode) root.get("config");
        config.remove("augment"); // nor did it know --augment
        Files.writeString(manifest, mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        Files.delete(ck.resolve(CheckpointStore.MANIFEST_SHA256)); // nor did it write the manifest's checksum
    }

    @Test
    void aCheckpointRecordingFlatImagesStillResumesExactly() throws IOException {
        TrainOptions straight = options("none", "cpu:1");
        straight.save = dir.resolve("straight.safetensors");
        Training.run(straight, List.of());
        TrainOptions first = options("none", "cpu:1");
        first.epochs = 1;
        first.checkpointDir = dir.resolve("ck");
        Training.run(first, List.of());
        Path ck = CheckpointStore.list(first.checkpointDir).get(0);
        recordInput(ck, "x F32[64]");

        TrainOptions second = options("none", "cpu:1");
        second.resume = ck;
        second.save = dir.resolve("resumed.safetensors");
        Training.run(second, List.of());
        Parameters.assertIdentical(straight.save, second.save, "resumed from a checkpoint recording x F32[64]");
    }

    @Test
    void aCheckpointRecordingAnotherInputIsRefusedNamingBoth() throws IOException {
        TrainOptions first = options("none", "cpu:1");
        first.epochs = 1;
        first.checkpointDir = dir.resolve("ck");
        Training.run(first, List.of());
        Path ck = CheckpointStore.list(first.checkpointDir).get(0);
        recordInput(ck, "x F32[63]");
        TrainOptions second = options("none", "cpu:1");
        second.resume = ck;
        UserInputException e = assertThrows(UserInputException.class, () -> Training.run(second, List.of()));
        assertEquals("--resume " + ck + ": input field 'x' was recorded as x F32[63], but the data has x F32[8, 8, 1]; "
                + "use the data the model was trained on", e.getMessage());
    }

    /** Writes a copy of {@code from} whose metadata records {@code input} as the input field. */
    private static Path withInput(Path from, Path to, String input) throws IOException {
        SafeTensorsFile f = SafeTensors.read(from);
        Map<String, String> meta = new LinkedHashMap<>(f.metadata());
        meta.put("input", input);
        SafeTensors.write(to, f.tensors(), meta);
        return to;
    }

    @Test
    void aSavedModelRecordingFlatImagesEvaluatesTheSame() throws IOException {
        TrainOptions o = options("crop:2,flip", "cpu:1");
        o.save = dir.resolve("model.safetensors");
        Training.run(o, List.of());
        assertEquals("x F32[8, 8, 1]", SafeTensors.read(o.save).metadata().get("input"));
        Path old = withInput(o.save, dir.resolve("old.safetensors"), "x F32[64]");

        CliRun now = CliRun.run("eval", "--data", o.data, "--load", o.save.toString(), "--devices", "cpu:1");
        CliRun before = CliRun.run("eval", "--data", o.data, "--load", old.toString(), "--devices", "cpu:1");
        assertEquals(0, now.code(), now.err());
        assertEquals(0, before.code(), before.err());
        assertEquals(metrics(now.out()), metrics(before.out()), "the same metrics from the file recording x F32[64]");

        Path wrong = withInput(o.save, dir.resolve("wrong.safetensors"), "x F32[65]");
        CliRun refused = CliRun.run("eval", "--data", o.data, "--load", wrong.toString(), "--devices", "cpu:1");
        assertEquals(2, refused.code(), refused.err());
        assertEquals("quadrant: error: " + wrong + ": input field 'x' was recorded as x F32[65], but the data has x F32[8, 8, 1]; use the "
                + "data the model was trained on", refused.err().strip());
    }

    /** The metrics of an eval line, without the file name and the time. */
    private static String metrics(String out) {
        String line = out.strip();
        return line.substring(line.indexOf(" on "), line.lastIndexOf(" ("));
    }
}
