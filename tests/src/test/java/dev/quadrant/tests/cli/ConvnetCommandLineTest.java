package dev.quadrant.tests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.tests.CliRun;
import dev.quadrant.tests.TestData;

/**
 * Convnets from the command line on MNIST images ({@code x F32[28, 28, 1]}): a ResNet with BatchNorm trains, saves,
 * and {@code quadrant eval} of the saved file reproduces the test accuracy the run printed (running statistics
 * included); a model whose layers do not fit the images (a kernel larger than its input, a stride of 0, an image
 * model on flat features) is one clear line and exit status 2, with no output file touched.
 */
class ConvnetCommandLineTest {
    static final String MNIST = "idx:" + TestData.dataset("mnist");

    @TempDir
    Path dir;

    static CliRun train(String model, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--data", MNIST, "--model", model, "--steps", "12",
                "--batch", "32", "--threads", "2", "--devices", "cpu:2", "--optimizer", "adam", "--lr", "2e-3",
                "--seed", "4"));
        args.addAll(List.of(more));
        return CliRun.run(args.toArray(String[]::new));
    }

    private static String accuracy(String out) {
        Matcher m = Pattern.compile("test_accuracy[ =:\"]+([0-9.]+)").matcher(out);
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        assertTrue(last != null, "a test accuracy in:\n" + out);
        return last;
    }

    @Test
    void aSavedResNetEvaluatesToTheAccuracyTrainingPrinted() throws IOException {
        Path model = dir.resolve("resnet.safetensors");
        CliRun r = train("resnet:widths=4-8,blocks=1", "--save", model.toString());
        assertEquals(0, r.code(), r.err());
        CliRun e = CliRun.run("eval", "--data", MNIST, "--load", model.toString(), "--threads", "1");
        assertEquals(0, e.code(), e.err());
        assertEquals(accuracy(r.out()), accuracy(e.out()), "train printed:\n" + r.out() + "\neval printed:\n" + e.out());
        assertTrue(Files.size(model) > 0);
    }

    @Test
    void layersThatDoNotFitTheImagesAreOneClearLine() {
        Path out = dir.resolve("never.safetensors");
        CommandLineTest.assertUserError(train("stack:conv4k29", "--save", out.toString()), "Conv2d 29x29",
                "[28, 28, 1]");
        CommandLineTest.assertUserError(train("stack:conv4k3s0", "--save", out.toString()), "conv4k3s0", "stride");
        CommandLineTest.assertUserError(train("stack:conv4k3,max0", "--save", out.toString()), "max0", "kernel");
        CommandLineTest.assertUserError(CliRun.run("train", "--data", "synthetic:12x3x300", "--model", "resnet",
                "--steps", "2", "--save", out.toString()), "resnet takes images [H, W, C]", "[12]");
        assertFalse(Files.exists(out), "no output is written for a model that cannot be built");
    }
}
