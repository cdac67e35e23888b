package dev.quadrant.tests.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.trainer.checkpoint.CheckpointStore;
import dev.quadrant.tests.CliRun;

/**
 * The command line around checkpoints, configuration files, plots and failures: what works end to end, and that
 * every error a user can cause is one line with exit status 2.
 */
class CheckpointCommandLineTest {

    @TempDir
    Path dir;

    static CliRun run(String... args) {
        return CliRun.run(args);
    }

    static final String[] SMALL = {"--data", "synthetic:12x3x300", "--model", "mlp:8", "--batch", "32",
        "--threads", "1", "--devices", "cpu:1"};

    static String[] train(String... more) {
        return Stream.concat(Stream.of("train"), Stream.concat(Arrays.stream(SMALL), Arrays.stream(more)))
                .toArray(String[]::new);
    }

    static void assertUserError(CliRun r, String... mustName) {
        assertEquals(2, r.code(), "exit code; stdout: " + r.out() + "\nstderr: " + r.err());
        String msg = r.err().strip();
        assertFalse(msg.contains("\tat "), "no stack trace without --verbose:\n" + r.err());
        assertTrue(msg.split("\n").length <= 2, "one line (plus a hint at most):\n" + r.err());
        for (String s : mustName) {
            assertTrue(msg.contains(s), "message should name '" + s + "':\n" + r.err());
        }
    }

    @Test
    void resumeContinuesWithTheCheckpointsOptionsAndAppendsMetrics() throws IOException {
        Path ck = dir.resolve("ck");
        Path metrics = dir.resolve("m.jsonl");
        CliRun first = run(train("--epochs", "1", "--checkpoint-dir", ck.toString(), "--metrics", metrics.toString()));
        assertEquals(0, first.code(), first.err());
        // only --resume and the new length: data, model, batch and checkpoint dir come from the checkpoint; outputs
        // never do (issue 13 item 3): the run names --metrics again, and is told so when it does not
        CliRun hint = CliRun.runWithLog("train", "--resume", ck.toString(), "--epochs", "2", "--checkpoint-dir",
                dir.resolve("elsewhere").toString());
        assertEquals(0, hint.code(), hint.err());
        assertTrue(hint.err().contains("the checkpoint's run wrote --metrics " + metrics + "; this run writes it only "
                + "if told"), hint.err());
        assertEquals(1, Files.readAllLines(metrics).size(), "not written without --metrics");
        CliRun second = run("train", "--resume", ck.toString(), "--epochs", "2", "--metrics", metrics.toString());
        assertEquals(0, second.code(), second.err());
        assertTrue(second.out().contains("epoch 2/2"), second.out());
        assertFalse(second.out().contains("epoch 1/2"), second.out());
        assertEquals(2, Files.readAllLines(metrics).size(), "the resumed run appends its epoch");
        assertEquals(List.of(ck.resolve("step-000020"), ck.resolve("step-000010")), CheckpointStore.list(ck));
        CliRun third = run("train", "--resume", ck.toString(), "--epochs", "2");
        assertEquals(0, third.code(), third.err());
        assertTrue(third.out().contains("nothing to train"), third.out());
    }

    @Test
    void commandLineWinsOverConfigFileWhichWinsOverTheCheckpoint() throws IOException {
        Path ck = dir.resolve("ck");
        assertEquals(0, run(train("--epochs", "1", "--checkpoint-dir", ck.toString())).code());
        Path yaml = dir.resolve("more.yaml");
        Files.writeString(yaml, "epochs: 3\nlr: 0.005\n");
        CliRun printed = run("train", "--resume", ck.toString(), "--config", yaml.toString(), "--lr", "0.002",
                "--print-config");
        assertEquals(0, printed.code(), printed.err());
        assertTrue(printed.out().contains("epochs: 3"), "from the file: " + printed.out());
        assertTrue(printed.out().contains("lr: 0.002"), "from the command line: " + printed.out());
        assertTrue(printed.out().contains("model: mlp:8"), "from the checkpoint: " + printed.out());
        assertTrue(printed.out().contains("checkpoint-dir: " + ck.toAbsolutePath()), printed.out());
        CliRun r = run("train", "--resume", ck.toString(), "--config", yaml.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch 3/3"), r.out());
    }

    @Test
    void checkpointErrorsAreOneLineUserErrors() throws IOException {
        Path ck = dir.resolve("ck");
        assertEquals(0, run(train("--epochs", "1", "--checkpoint-dir", ck.toString())).code());

        assertUserError(run(train("--resume", dir.resolve("none").toString())), "--resume", "no such directory");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertUserError(run(train("--resume", empty.toString())), "no checkpoint in it");
        assertUserError(run(train("--resume", ck.toString(), "--model", "mlp:9")),
                "--model mlp:8", "--model mlp:9", "step-000010");
        assertUserError(run(train("--resume", ck.toString(), "--optimizer", "sgd")), "--optimizer adam");
        assertUserError(run(train("--resume", ck.toString(), "--data", "synthetic:12x3x600")), "300 training samples");
        assertUserError(run(train("--resume", ck.toString(), "--load", "x.safetensors")), "--resume and --load");
        assertUserError(run(train("--checkpoint-every", "5")), "--checkpoint-every 5 needs --checkpoint-dir");
        assertUserError(run(train("--checkpoint-dir", ck.toString(), "--checkpoint-every", "often")), "--checkpoint-every 'often'");
        assertUserError(run(train("--checkpoint-dir", ck.toString())), "already holds checkpoints", "--resume");
        assertUserError(run(train("--on-nan", "ignore")), "--on-nan 'ignore'");

        Path model = ck.resolve("step-000010/model.safetensors");
        byte[] b = Files.readAllBytes(model);
        b[b.length - 1] ^= 0x40;
        Files.write(model, b);
        assertUserError(run(train("--resume", ck.resolve("step-000010").toString())), "sha256", "model.safetensors");
        assertUserError(run(train("--resume", ck.toString())), "no valid checkpoint among 1", "sha256");
        Files.writeString(ck.resolve("step-000010/manifest.json"), "{\"format\": \"quadrant-checkpoint\", \"version\": 7}");
        assertUserError(run(train("--resume", ck.resolve("step-000010").toString())), "version", "newer Quadrant");
        CliRun verbose = run(train("--resume", ck.resolve("step-000010").toString(), "--verbose"));
        assertEquals(2, verbose.code());
        assertTrue(verbose.err().contains("\tat "), "--verbose shows the stack trace:\n" + verbose.err());
    }

    @Test
    void configFilesYamlAndJsonWithTheCommandLineWinning() throws IOException {
        Path yaml = dir.resolve("run.yaml");
        Files.writeString(yaml, "# a run\ndata: synthetic:12x3x300\nmodel: mlp:8\nbatch: 32\nepochs: 2\nthreads: 1\n"
                + "devices: cpu:1\nlr: 2e-3\ninit: null\n");
        CliRun r = run("train", "--config", yaml.toString(), "--epochs", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch 1/1"), "the command line wins: " + r.out());

        CliRun printed = run("train", "--config", yaml.toString(), "--print-config");
        assertEquals(0, printed.code(), printed.err());
        assertTrue(printed.out().contains("lr: 0.002"), printed.out());
        assertTrue(printed.out().contains("epochs: 2"), printed.out());
        Path again = dir.resolve("again.yaml");
        Files.writeString(again, printed.out());
        assertEquals(printed.out(), run("train", "--config", again.toString(), "--print-config").out(),
                "--print-config output loads back to the same configuration");

        CliRun json = run("train", "--config", yaml.toString(), "--print-config=json");
        assertEquals(0, json.code(), json.err());
        Path jsonFile = dir.resolve("run.json");
        Files.writeString(jsonFile, json.out());
        assertEquals(printed.out(), run("train", "--config", jsonFile.toString(), "--print-config").out());

        Files.writeString(yaml, "epochz: 3\n");
        assertUserError(run("train", "--config", yaml.toString()), yaml.toString(), "unknown key 'epochz'",
                "valid keys: data, csv-label-column", "epochs");
        Files.writeString(yaml, "epochs: three\n");
        assertUserError(run("train", "--config", yaml.toString()), yaml.toString(), "key 'epochs'", "three");
        Files.writeString(yaml, "model: [8, 8]\n");
        assertUserError(run("train", "--config", yaml.toString()), "key 'model'", "a single value");
        Files.writeString(yaml, "epochs: 1\nepochs: 2\n");
        assertUserError(run("train", "--config", yaml.toString()), "not valid YAML", "epochs");
        Files.writeString(yaml, "- a\n- b\n");
        assertUserError(run("train", "--config", yaml.toString()), "expected a mapping");
        assertUserError(run("train", "--config", dir.resolve("missing.yaml").toString()), "missing.yaml", "no such file");
        assertUserError(run("train", "--print-config=xml"), "--print-config 'xml'");
    }

    @Test
    void plotDrawsTwoRunsAndRefusesMissingOrCorruptFiles() throws IOException {
        Path a = dir.resolve("a.jsonl");
        Path b = dir.resolve("b.jsonl");
        assertEquals(0, run(train("--epochs", "2", "--metrics", a.toString())).code());
        assertEquals(0, run(train("--epochs", "2", "--devices", "cpu:2", "--strategy", "hogwild", "--metrics",
                b.toString())).code());
        Path png = dir.resolve("curves.png");
        CliRun r = run("plot", "--metrics", a.toString(), b.toString(), "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(1600, ImageIO.read(png.toFile()).getWidth());

        assertUserError(run("plot", "--metrics", dir.resolve("nope.jsonl").toString(), "--out", png.toString()),
                "nope.jsonl", "no such file");
        Files.writeString(b, "{\"epoch\": 1, \"train_loss\": \n");
        assertUserError(run("plot", "--metrics", a.toString(), b.toString(), "--out", png.toString()),
                "b.jsonl", "line 1");
        assertUserError(run("plot", "--metrics", a.toString()), "--out");
    }

    @Test
    void divergenceAbortsNamingStepAndLayerOrIsSkipped() throws IOException {
        CliRun r = run(train("--optimizer", "sgd", "--lr", "1e30", "--epochs", "1"));
        assertUserError(r, "step ", "the gradient of layers.", "is not finite", "--on-nan skip");
        Path metrics = dir.resolve("m.jsonl");
        CliRun skipped = run(train("--optimizer", "sgd", "--lr", "1e30", "--epochs", "1", "--on-nan", "skip",
                "--metrics", metrics.toString()));
        assertEquals(0, skipped.code(), skipped.err());
        String line = Files.readAllLines(metrics).get(0);
        assertTrue(line.matches(".*\"skipped_steps\":[1-9][0-9]*.*"), line);
    }

    /** Out of heap while building the replicas: exit 2 with the figures and what to reduce (a separate, small JVM). */
    @Test
    void outOfMemorySaysHowMuchAndWhatToReduce() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx48m", "-cp", System.getProperty("java.class.path"),
                "dev.quadrant.trainer.cli.Main", "train", "--data", "synthetic:64x4x200", "--model", "mlp:4096-4096",
                "--threads", "1", "--devices", "cpu:1"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("out of memory while building 1 replica of mlp:4096-4096"), out);
        assertTrue(out.contains("MiB asked for") && out.contains("MiB free"), out);
        assertTrue(out.contains("reduce --batch") && out.contains("QUADRANT_JAVA_OPTS=-Xmx"), out);
        assertFalse(out.contains("\tat "), out);
    }
}
