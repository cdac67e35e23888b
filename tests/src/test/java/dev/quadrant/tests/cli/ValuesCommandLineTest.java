package dev.quadrant.tests.cli;

import static dev.quadrant.tests.cli.CommandLineTest.assertUserError;
import static dev.quadrant.tests.cli.CommandLineTest.run;
import static dev.quadrant.tests.cli.CommandLineTest.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.tests.CliRun;
import dev.quadrant.trainer.io.NamedTensor;
import dev.quadrant.trainer.io.SafeTensors;
import dev.quadrant.trainer.io.SafeTensorsFile;

/** Issue 13's value and reader reproductions (items 7, 9, 14, 15, 17-20), end to end through the command. */
class ValuesCommandLineTest {

    @TempDir
    Path dir;

    private static final String DATA = "synthetic:12x3x300";

    private Path savedModel() {
        Path m = dir.resolve("m.safetensors");
        if (!Files.exists(m)) {
            CliRun r = run(train("--save", m.toString()));
            assertEquals(0, r.code(), r.err());
        }
        return m;
    }

    private static String[] eval(Path model, String... more) {
        return Stream.concat(Stream.of("eval", "--data", DATA, "--load", model.toString(), "--threads", "1"),
                Stream.of(more)).toArray(String[]::new);
    }

    @Test
    void item7StepsThatOverflowTheEpochCountAreRefused() {
        CliRun r = run("train", "--data", "synthetic:4x2x40", "--model", "mlp:4", "--batch", "64", "--threads", "1",
                "--steps", "2147483648");
        assertUserError(r, "--steps 2147483648", "epochs");
        assertUserError(run(train("--steps", "9223372036854775807")), "--steps");
    }

    @Test
    void item9ThreadsAndReplicasAreBoundedByTheMachine() {
        assertUserError(run(train("--threads", "100000")), "--threads 100000", "per core");
        assertUserError(run(train("--devices", "cpu:100000")), "cpu:100000");
        assertUserError(run("eval", "--load", "x", "--threads", "100000"), "--threads 100000");
    }

    @Test
    void item14BatchLargerThanTheDataTrains() {
        CliRun r = run("train", "--data", "synthetic:784x10x600", "--batch", "1000000", "--epochs", "1",
                "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertEquals(0, run(train("--batch", "2000000000")).code());
    }

    @Test
    void item15EvalHasTrainsGuards() {
        Path m = savedModel();
        assertUserError(run("eval", "--data", "csv:/dev/zero", "--load", m.toString(), "--threads", "1"),
                "/dev/zero", "not a regular file");
        assertUserError(run(eval(m, "--model", "mlp:1048576-1048576-1048576")), "parameters", "smaller model");
    }

    @Test
    void item17EveryNumericOptionIsChecked() {
        assertUserError(run(train("--momentum", "NaN")), "--momentum NaN");
        assertUserError(run(train("--momentum", "-5")), "--momentum -5");
        assertUserError(run(train("--clip-norm", "NaN")), "--clip-norm NaN");
        assertUserError(run(train("--steps", "-3")), "--steps -3");
        assertUserError(run(train("--lr", "Infinity")), "--lr Infinity");
        assertUserError(run(train("--dropout", "1")), "--dropout 1");
        Path m = savedModel();
        assertUserError(run(eval(m, "--batch", "0")), "--batch 0");
        assertUserError(run(eval(m, "--eval-batches", "-1")), "--eval-batches -1");
        assertUserError(run(eval(m, "--devices", "cpu:garbage")), "cpu:garbage");
        assertUserError(run("sample", "--load", m.toString(), "--temperature", "NaN", "--threads", "1"),
                "--temperature NaN");
        assertUserError(run("sample", "--load", m.toString(), "--threads", "-1"), "--threads -1");
    }

    @Test
    void item18SavedMetadataMustMatchTheOptions() {
        Path m = savedModel();
        assertUserError(run(eval(m, "--activation", "tanh")), "activation", "relu", "tanh");
        assertUserError(run(train("--load", m.toString(), "--activation", "gelu")), "activation", "gelu");
        assertUserError(run(eval(m, "--model", "mlp:9")), "layers.0.weight", "--model"); // shapes differ: named
        assertUserError(run(eval(m, "--model", "mlp:8-")), "mlp:8-");
    }

    @Test
    void item18NonFiniteWeightsAreRefusedNamingTheTensor() throws IOException {
        SafeTensorsFile f = SafeTensors.read(savedModel());
        List<NamedTensor> bad = new ArrayList<>();
        for (NamedTensor t : f.tensors()) {
            float[] v = t.floats().clone();
            if (bad.isEmpty()) {
                v[3] = Float.NaN;
            }
            bad.add(NamedTensor.ofFloats(t.name(), v, t.shape()));
        }
        Path nan = dir.resolve("nan.safetensors");
        SafeTensors.write(nan, bad, f.metadata());
        String first = f.tensors().get(0).name();
        assertUserError(run(eval(nan)), first, "NaN", "element 3");
        assertUserError(run(train("--load", nan.toString())), first, "NaN");
    }

    @Test
    void item19MessagesShowTheValueAndEscapeControlCharacters() {
        CliRun r = run(train("--model", "mlp:-4"));
        assertUserError(r, "mlp:-4", "negative");
        CliRun c = run(train("--data", "csv:" + dir.resolve("x\u001b[2J\u0007.csv")));
        assertEquals(2, c.code(), c.err());
        assertFalse(c.err().contains("\u001b") || c.err().contains("\u0007"), "raw control characters: " + c.err());
        assertTrue(c.err().contains("\\u001b"), c.err());
        Path cfg = dir.resolve("c.yaml");
        CliRun k = run(write(cfg, "\"ep\\eochs\": 3\n"));
        assertEquals(2, k.code(), k.err());
        assertFalse(k.err().contains("\u001b"), "raw ESC from a config key: " + k.err());
    }

    private String[] write(Path cfg, String yaml) {
        try {
            Files.writeString(cfg, yaml);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return train("--config", cfg.toString());
    }

    @Test
    void item20YamlConfigsAreStrict() {
        Path cfg = dir.resolve("c.yaml");
        assertUserError(run(write(cfg, "epochs: 010\n")), "010", "decimal");
        assertUserError(run(write(cfg, "epochs: 1\n---\nepochs: 5\n")), "second YAML document");
        assertUserError(run(write(cfg, "batch: &b 16\ngrad-accum: *b\n")), "anchor");
        assertUserError(run(write(cfg, "epochs: 0x10\n")), "0x10");
        assertUserError(run(write(cfg, "steps: 1_000\n")), "1_000");
        assertUserError(run(write(cfg, "epochs: !!int 3\n")), "tag");
        assertUserError(run(write(cfg, "optimizer: \"010\"\n")), "010"); // quoted: text, then not an optimizer
        CliRun ok = run(write(cfg, "epochs: 1\nlr: 1e-3\nschedule: step:1:0.5\n"));
        assertEquals(0, ok.code(), ok.err());
    }

    private Path checkpoint() {
        Path ck = dir.resolve("ck");
        CliRun r = run(train("--checkpoint-dir", ck.toString()));
        assertEquals(0, r.code(), r.err());
        try (Stream<Path> s = Files.list(ck)) {
            return s.filter(p -> p.getFileName().toString().startsWith("step-")).findFirst().orElseThrow();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void item20ManifestUnknownConfigKeyAndParameterCountAreRefused() throws IOException {
        Path step = checkpoint();
        Path manifest = step.resolve("manifest.json");
        String original = Files.readString(manifest);
        Files.writeString(manifest, original.replace("\"config\" : {", "\"config\" : {\n    \"fancy-new-option\" : 3,")
                .replace("\"config\": {", "\"config\": {\"fancy-new-option\": 3, "));
        assertTrue(Files.readString(manifest).contains("fancy-new-option"), "the edit applied");
        resign(manifest); // as an attacker or a careless edit could: the strict reader must still refuse it
        assertUserError(run("train", "--resume", step.toString(), "--epochs", "2"), "fancy-new-option");
        Files.writeString(manifest, original.replaceFirst("\"parameters\"\\s*:\\s*[0-9]+", "\"parameters\" : 12345"));
        assertTrue(Files.readString(manifest).contains("12345"), "the edit applied");
        resign(manifest);
        assertUserError(run("train", "--resume", step.toString(), "--epochs", "2"), "12345", "parameters");
    }

    /** Rewrites {@code manifest.sha256} beside an edited manifest, so that the checksum passes and the content is judged. */
    private static void resign(Path manifest) throws IOException {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(manifest));
            Files.writeString(manifest.resolveSibling("manifest.sha256"),
                    java.util.HexFormat.of().formatHex(d) + "  manifest.json\n");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
