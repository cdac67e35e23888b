package dev.quadrant.tests.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.tests.CliRun;

/** The {@code quadrant} command end to end: exit codes, one-line errors for bad input, determinism of --save. */
class CommandLineTest {

    @TempDir
    Path dir;

    static CliRun run(String... args) {
        return CliRun.run(args);
    }

    private static final String[] SMALL = {"--data", "synthetic:12x3x300", "--model", "mlp:8", "--epochs", "1",
        "--batch", "32", "--threads", "1", "--devices", "cpu:1"};

    static String[] train(String... more) {
        return Stream.concat(Stream.of("train"), Stream.concat(Arrays.stream(SMALL), Arrays.stream(more))).toArray(String[]::new);
    }

    /** A user error: status 2, one line on stderr naming {@code mustName}, no stack trace. */
    static void assertUserError(CliRun r, String... mustName) {
        assertEquals(2, r.code(), "exit code; stderr: " + r.err());
        String[] lines = r.err().strip().split("\n");
        assertTrue(lines.length <= 3, "a short message, got:\n" + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose:\n" + r.err());
        for (String s : mustName) {
            assertTrue(r.err().contains(s), "message should name '" + s + "':\n" + r.err());
        }
    }

    @Test
    void trainsSmallSyntheticAndWritesMetrics() throws IOException {
        Path metrics = dir.resolve("m.jsonl");
        CliRun r = run(train("--metrics", metrics.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("test_accuracy"), r.out());
        String line = Files.readAllLines(metrics).get(0);
        for (String key : new String[] {"\"epoch\"", "\"step\"", "\"train_loss\"", "\"test_loss\"", "\"test_accuracy\"",
            "\"samples_per_second\"", "\"seconds\""}) {
            assertTrue(line.contains(key), key + " in " + line);
        }
    }

    @Test
    void saveTwiceGivesIdenticalBytesAndLoadEvaluates() throws IOException {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        assertEquals(0, run(train("--save", a.toString())).code());
        assertEquals(0, run(train("--save", b.toString())).code());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "same command, same seed: same bytes");
        CliRun e = run("eval", "--data", "synthetic:12x3x300", "--model", "mlp:8", "--load", a.toString(), "--threads", "1");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("test_accuracy"), e.out());
    }

    /** The README's eval commands: {@code --load} alone, a file or a checkpoint; the result is training's own. */
    @Test
    void evalNeedsOnlyTheFileOrCheckpoint() throws IOException {
        Path save = dir.resolve("m.safetensors");
        Path ck = dir.resolve("ck");
        CliRun t = run(train("--data", "synthetic:12x3x300", "--seed", "7", "--save", save.toString(),
                "--checkpoint-dir", ck.toString()));
        assertEquals(0, t.code(), t.err());
        String accuracy = t.out().replaceAll("(?s).*test accuracy ([0-9.]+).*", "$1");
        Path step = Files.list(ck).filter(p -> p.getFileName().toString().startsWith("step-")).findFirst().orElseThrow();
        for (Path load : new Path[] {save, ck, step, step.resolve("model.safetensors")}) {
            CliRun e = run("eval", "--load", load.toString(), "--threads", "1");
            assertEquals(0, e.code(), load + ": " + e.err());
            assertTrue(e.out().contains("synthetic-12x3-seed7"), "the recorded data and seed: " + e.out());
            assertTrue(e.out().contains("test_accuracy " + accuracy), load + ": " + e.out() + " vs " + t.out());
        }
        // a flag that is given wins over the record: another seed is another synthetic data set
        CliRun other = run("eval", "--load", save.toString(), "--seed", "8", "--threads", "1");
        assertEquals(0, other.code(), other.err());
        assertTrue(other.out().contains("seed8"), other.out());
    }

    @Test
    void unknownOptionSaysWhatIsAllowed() {
        CliRun r = run("train", "--epochz", "3");
        assertUserError(r, "--epochz");
        assertTrue(r.err().contains("--epochs") || r.err().contains("--help"), r.err());
    }

    @Test
    void badOptionValuesNameTheOption() {
        assertUserError(run(train("--optimizer", "rmsprop")), "--optimizer", "rmsprop");
        assertUserError(run(train("--data", "parquet:x")), "--data");
        assertUserError(run(train("--model", "cnn:3")), "--model");
        assertUserError(run(train("--devices", "tpu:1")), "--devices");
        assertUserError(run(train("--devices", "cuda:0")), "--devices");
        assertUserError(run(train("--batch", "0")), "--batch");
        assertUserError(run("train", "--epochs", "three"), "--epochs", "three");
    }

    @Test
    void gpuLayoutsWithoutAGpuAreAClearUserError() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                dev.quadrant.bindings.cuda.CudaProbe.get().usable(), "CUDA is usable here: these layouts would run");
        for (String devices : new String[] {"cuda:0x4", "cuda:0x2,1x2", "cuda:0,1", "cuda:all"}) {
            for (String strategy : new String[] {"allreduce", "ps", "hogwild", "gossip"}) {
                CliRun r = run(train("--devices", devices, "--strategy", strategy));
                assertUserError(r, "--devices " + devices, "CUDA is not usable here");
            }
        }
    }

    @Test
    void metricsHaveTheStepBreakdown() throws IOException {
        Path metrics = dir.resolve("m.jsonl");
        CliRun r = run(train("--metrics", metrics.toString(), "--devices", "cpu:2", "--threads", "2"));
        assertEquals(0, r.code(), r.err());
        com.fasterxml.jackson.databind.JsonNode m = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Files.readAllLines(metrics).get(0));
        for (String key : new String[] {"compute_ms", "comm_exposed_ms", "data_wait_ms"}) {
            assertTrue(m.has(key) && m.get(key).asDouble() >= 0, key + " in " + m);
        }
        assertTrue(m.get("compute_ms").asDouble() > 0, "compute time is measured: " + m);
    }

    @Test
    void loadWithWrongShapesNamesFileTensorAndShapes() {
        Path a = dir.resolve("a.safetensors");
        assertEquals(0, run(train("--save", a.toString())).code());
        CliRun r = run(train("--model", "mlp:9", "--load", a.toString()));
        assertUserError(r, a.toString(), "layers.0.weight", "[8, 12]", "[9, 12]");
    }

    @Test
    void missingLoadFileIsAUserError() {
        assertUserError(run(train("--load", dir.resolve("nope.safetensors").toString())), "nope.safetensors");
    }

    @Test
    void truncatedIdxFileNamesTheFile() throws IOException {
        Path d = Files.createDirectories(dir.resolve("idx"));
        writeIdx(d, 20, 3, 3);
        Path images = d.resolve("train-images-idx3-ubyte");
        byte[] all = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(all, all.length - 5));
        assertUserError(run("train", "--data", "idx:" + d, "--model", "mlp:4", "--threads", "1"), "train-images-idx3-ubyte");
    }

    @Test
    void corruptIdxMagicNamesTheField() throws IOException {
        Path d = Files.createDirectories(dir.resolve("idx2"));
        writeIdx(d, 20, 3, 3);
        Path labels = d.resolve("t10k-labels-idx1-ubyte");
        byte[] all = Files.readAllBytes(labels);
        all[3] = 7;
        Files.write(labels, all);
        assertUserError(run("train", "--data", "idx:" + d, "--model", "mlp:4", "--threads", "1"), "t10k-labels-idx1-ubyte");
    }

    @Test
    void csvWithWrongColumnCountOrNonNumber() throws IOException {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "1,2,0\n3,4,1\n5,6\n");
        assertUserError(run("train", "--data", "csv:" + csv, "--model", "mlp:4", "--threads", "1"), "bad.csv", "3");
        Files.writeString(csv, "1,2,0\n3,x4,1\n5,6,0\n");
        assertUserError(run("train", "--data", "csv:" + csv, "--model", "mlp:4", "--threads", "1"), "bad.csv", "x4");
    }

    @Test
    void lenetTrainsOnMnistImagesWithAugmentation() throws IOException {
        Path mnist = dev.quadrant.tests.TestData.dataset("mnist");
        Path saved = dir.resolve("lenet.safetensors");
        CliRun r = run("train", "--data", "idx:" + mnist, "--model", "lenet", "--augment", "crop:2,flip", "--steps", "3",
                "--batch", "16", "--threads", "2", "--devices", "cpu:1", "--save", saved.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("test accuracy"), r.out());
        java.util.Map<String, String> meta = dev.quadrant.trainer.io.SafeTensors.read(saved).metadata();
        assertEquals("x F32[28, 28, 1]", meta.get("input"), "images keep their shape: " + meta);
        assertEquals("784", meta.get("features"), "the element count, as before: " + meta);
    }

    /** A refused run leaves no --metrics, --save or --checkpoint-dir behind. */
    private void assertRefusedWithoutOutput(String expectedLine, String... args) {
        Path metrics = dir.resolve("refused.jsonl");
        Path save = dir.resolve("refused.safetensors");
        Path ck = dir.resolve("refused-ck");
        String[] all = Stream.concat(Arrays.stream(args), Stream.of("--metrics", metrics.toString(), "--save",
                save.toString(), "--checkpoint-dir", ck.toString(), "--threads", "1", "--devices", "cpu:1"))
                .toArray(String[]::new);
        CliRun r = run(all);
        assertUserError(r);
        assertEquals("quadrant: error: " + expectedLine, r.err().strip(), "one line");
        for (Path p : new Path[] {metrics, save, ck}) {
            assertFalse(Files.exists(p), p + " was written by a refused run");
        }
    }

    @Test
    void outputsInMissingDirectoriesAreCreatedAfterTheChecksAndNotOnBadInput() throws IOException {
        Path runs = dir.resolve("runs");
        String[] outputs = {"--metrics", runs.resolve("m/mnist.jsonl").toString(), "--save",
            runs.resolve("s/x.safetensors").toString(), "--checkpoint-dir", runs.resolve("ck/a").toString()};
        CliRun bad = run(Stream.concat(Arrays.stream(train("--model", "lenet")), Arrays.stream(outputs))
                .toArray(String[]::new));
        assertUserError(bad, "--model lenet");
        assertFalse(Files.exists(runs), "a refused run creates no directory: " + runs);

        CliRun r = run(Stream.concat(Arrays.stream(train()), Arrays.stream(outputs)).toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(runs.resolve("m/mnist.jsonl")) > 0);
        assertTrue(Files.size(runs.resolve("s/x.safetensors")) > 0);
        assertFalse(dev.quadrant.trainer.checkpoint.CheckpointStore.list(runs.resolve("ck/a")).isEmpty());
    }

    @Test
    void logEveryPrintsProgressLinesWithoutATerminal() {
        CliRun r = run(train("--log-every", "3"));
        assertEquals(0, r.code(), r.err());
        java.util.List<String> lines = r.out().lines().filter(l -> l.startsWith("step ")).toList();
        assertEquals(3, lines.size(), "steps 3, 6 and 9 of 10:\n" + r.out());
        assertTrue(lines.get(0).startsWith("step 3/10") && lines.get(2).startsWith("step 9/10"), r.out());
        CliRun quiet = run(train());
        assertFalse(quiet.out().lines().anyMatch(l -> l.startsWith("step ")), "by default every 30 s:\n" + quiet.out());
        assertUserError(run(train("--log-every", "-1")), "--log-every -1", "out of range");
    }

    @Test
    void imageOptionsOnFlatDataAreOneLineWithoutOutputFiles() throws IOException {
        Path csv = dir.resolve("flat.csv");
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            rows.append(i % 5).append(',').append(i % 7).append(',').append(i % 3).append(',').append(i % 2).append(',')
                    .append(i % 3).append('\n');
        }
        Files.writeString(csv, rows);
        assertRefusedWithoutOutput("--model lenet takes images [H, W, C]; the data's input is x FLOAT32[4] (use "
                + "--model mlp:... for flat features)", "train", "--data", "csv:" + csv, "--model", "lenet");
        assertRefusedWithoutOutput("--augment crop:4 augments images, F32[H, W, C]; the data's input is x F32[4] (use "
                + "image data, e.g. --data idx:DIR, or drop --augment)",
                "train", "--data", "csv:" + csv, "--model", "mlp:8", "--augment", "crop:4");
        assertRefusedWithoutOutput("--augment crop:4,flip augments images, F32[H, W, C]; the data's input is x F32[12] "
                + "(use image data, e.g. --data idx:DIR, or drop --augment)",
                "train", "--data", "synthetic:12x3x300", "--model", "mlp:8", "--augment", "crop:4,flip");
        assertRefusedWithoutOutput("--augment 'rotate:9': expected none, or crop:P and/or flip separated by a comma, "
                + "e.g. crop:4,flip ('rotate:9' is not crop:P or flip, or is given twice)",
                "train", "--data", "csv:" + csv, "--model", "mlp:8", "--augment", "rotate:9");
    }

    @Test
    void smallIdxImagesTrainWithTheMlpAndLenetRefusesTooSmallImages() throws IOException {
        Path d = Files.createDirectories(dir.resolve("idx-small"));
        writeIdx(d, 40, 6, 6);
        CliRun mlp = run("train", "--data", "idx:" + d, "--model", "mlp:4", "--augment", "crop:1,flip", "--epochs", "1",
                "--threads", "1", "--devices", "cpu:1");
        assertEquals(0, mlp.code(), mlp.err());
        CliRun lenet = run("train", "--data", "idx:" + d, "--model", "lenet", "--epochs", "1", "--threads", "1",
                "--devices", "cpu:1");
        assertUserError(lenet, "--model lenet", "at least 12 x 12", "x FLOAT32[6, 6, 1]");
    }

    @Test
    void verboseShowsTheStackTrace() {
        CliRun r = run(train("--optimizer", "rmsprop", "--verbose"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void devicesExitsZeroAndSaysWhyThereIsNoGpu() {
        CliRun r = run("devices");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("cpu"), r.out());
        assertTrue(r.out().toLowerCase().contains("cuda"), r.out());
    }

    @Test
    void helpOnEveryCommand() {
        for (String c : new String[] {"train", "eval", "devices", "plot", "selftest"}) {
            CliRun r = run(c, "--help");
            assertEquals(0, r.code(), c);
            assertTrue(r.out().contains("Usage"), r.out());
        }
    }

    /** Writes the four IDX files (raw) with n train and n/2 test images of rows x cols and labels 0..2. */
    static void writeIdx(Path d, int n, int rows, int cols) throws IOException {
        writeSet(d, "train", n, rows, cols);
        writeSet(d, "t10k", Math.max(1, n / 2), rows, cols);
    }

    private static void writeSet(Path d, String prefix, int n, int rows, int cols) throws IOException {
        java.nio.ByteBuffer img = java.nio.ByteBuffer.allocate(16 + n * rows * cols);
        img.putInt(2051).putInt(n).putInt(rows).putInt(cols);
        java.nio.ByteBuffer lab = java.nio.ByteBuffer.allocate(8 + n);
        lab.putInt(2049).putInt(n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < rows * cols; j++) {
                img.put((byte) ((i * 31 + j * 7) & 0xff));
            }
            lab.put((byte) (i % 3));
        }
        Files.write(d.resolve(prefix + "-images-idx3-ubyte"), img.array());
        Files.write(d.resolve(prefix + "-labels-idx1-ubyte"), lab.array());
    }
}
