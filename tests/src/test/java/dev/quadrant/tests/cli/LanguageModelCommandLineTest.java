package dev.quadrant.tests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.tests.CliRun;

/**
 * Language models from the command line: {@code --data text:FILE} with {@code --model gpt:...}, {@code sample} and
 * {@code eval}; and every bad input of that path as one clear line with exit status 2.
 */
class LanguageModelCommandLineTest {
    static final String GPT = "gpt:layers=1,heads=2,dim=16,ctx=8";

    @TempDir
    Path dir;

    /** A small text with Shakespeare's layout, long enough for windows of 8 in both parts. */
    Path text() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sb.append(i % 2 == 0 ? "ROMEO:\nBut soft, what light.\n\n" : "JULIET:\nAy me, the east.\n\n");
        }
        return write("play.txt", sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    CliRun train(Path data, String model, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--data", "text:" + data, "--model", model,
                "--steps", "30", "--batch", "4", "--threads", "1", "--devices", "cpu:1", "--optimizer", "adamw",
                "--lr", "3e-3", "--seed", "7"));
        args.addAll(List.of(more));
        return CliRun.run(args.toArray(String[]::new));
    }

    @Test
    void emptyTextIsOneLine() throws IOException {
        Path p = write("empty.txt", new byte[0]);
        CommandLineTest.assertUserError(train(p, GPT), "empty.txt", "empty");
    }

    @Test
    void binaryFileIsOneLine() throws IOException {
        Path p = write("data.bin", new byte[] {'a', 'b', 0, 1, 2, 3});
        CommandLineTest.assertUserError(train(p, GPT), "data.bin", "binary", "tokens:FILE");
    }

    @Test
    void latin1IsNotUtf8() throws IOException {
        byte[] b = "caf\u00e9 au lait, encore et encore et encore".getBytes(StandardCharsets.ISO_8859_1);
        Path p = write("latin1.txt", b);
        CommandLineTest.assertUserError(train(p, GPT), "latin1.txt", "not UTF-8", "offset 3");
    }

    @Test
    void ctxLargerThanTheDataIsOneLine() throws IOException {
        Path p = write("short.txt", "to be or not to be".getBytes(StandardCharsets.UTF_8));
        CommandLineTest.assertUserError(train(p, "gpt:layers=1,heads=2,dim=16,ctx=64"), "short.txt", "ctx=64",
                "smaller ctx");
    }

    @Test
    void headsMustDivideDim() throws IOException {
        CommandLineTest.assertUserError(train(text(), "gpt:layers=1,heads=3,dim=16,ctx=8"), "heads=3",
                "does not divide dim=16");
    }

    @Test
    void aSpecTypoListsTheValidKeys() throws IOException {
        CommandLineTest.assertUserError(train(text(), "gpt:layer=1,heads=2,dim=16,ctx=8"), "unknown key 'layer'",
                "valid keys: layers, heads, dim, ctx, dropout, tie");
        CommandLineTest.assertUserError(train(text(), "gpt:layers=1,heads=2,dim=16"), "missing ctx");
        CommandLineTest.assertUserError(train(text(), "gtp:layers=1"), "--model", "gpt:layers=L");
    }

    @Test
    void textNeedsStepsNotEpochs() throws IOException {
        CliRun r = CliRun.run("train", "--data", "text:" + text(), "--model", GPT, "--threads", "1");
        CommandLineTest.assertUserError(r, "--steps");
    }

    @Test
    void anMlpCannotReadTokens() throws IOException {
        CommandLineTest.assertUserError(train(text(), "mlp:32"), "holds a sequence", "needs a sequence model", "--model gpt:");
    }

    @Test
    void trainsSamplesAndEvaluatesATextModel() throws IOException {
        Path model = dir.resolve("gpt.safetensors");
        Path metrics = dir.resolve("lm.jsonl");
        CliRun r = train(text(), GPT, "--save", model.toString(), "--metrics", metrics.toString(), "--eval-every",
                "10", "--eval-batches", "2");
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(metrics);
        assertEquals(3, lines.size(), "evaluations at steps 10, 20, 30: " + lines);
        for (String key : new String[] {"\"step\"", "\"train_loss\"", "\"val_loss\"", "\"val_bpc\"",
            "\"tokens_per_second\""}) {
            assertTrue(lines.get(2).contains(key), key + " in " + lines.get(2));
        }
        assertTrue(!lines.get(2).contains("\"epoch\""), "no epochs in a step-based run: " + lines.get(2));

        CliRun a = CliRun.run("sample", "--load", model.toString(), "--prompt", "ROMEO:", "--tokens", "40",
                "--seed", "3", "--threads", "1");
        assertEquals(0, a.code(), a.err());
        assertTrue(a.out().startsWith("ROMEO:"), a.out());
        String text = a.out().substring(0, a.out().length() - System.lineSeparator().length());
        assertEquals("ROMEO:".length() + 40, text.codePointCount(0, text.length()), "prompt + 40 characters: " + text);
        CliRun b = CliRun.run("sample", "--load", model.toString(), "--prompt", "ROMEO:", "--tokens", "40",
                "--seed", "3", "--threads", "1");
        assertEquals(a.out(), b.out(), "the same seed gives the same text");
        CliRun c = CliRun.run("sample", "--load", model.toString(), "--prompt", "ROMEO:", "--tokens", "40",
                "--seed", "4", "--threads", "1");
        assertNotEquals(a.out(), c.out(), "another seed, other text");

        CommandLineTest.assertUserError(CliRun.run("sample", "--load", model.toString(), "--prompt", "ROMEO: Zounds!",
                "--tokens", "5"), "--prompt", "'Z'", "not in the model's vocabulary");

        CliRun e = CliRun.run("eval", "--data", "text:" + text(), "--load", model.toString(), "--threads", "1",
                "--batch", "4", "--eval-batches", "2");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("val_loss") && e.out().contains("val_bpc"), e.out());
    }
}
