package dev.quadrant.tests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.tests.CliRun;

/** {@code quadrant lab} from the command line, on a tiny language model (token data: FLOPs per token count). */
class LabCommandLineTest {
    @TempDir
    Path dir;

    @Test
    void labOnATinyGptWritesTheReport() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            sb.append(i % 2 == 0 ? "ROMEO:\nBut soft, what light.\n\n" : "JULIET:\nAy me, the east.\n\n");
        }
        Path text = dir.resolve("play.txt");
        Files.writeString(text, sb.toString(), StandardCharsets.UTF_8);
        Path out = dir.resolve("lab");
        CliRun r = CliRun.run("lab", "--model", "gpt:layers=1,heads=2,dim=16,ctx=8", "--data", "text:" + text,
                "--batch", "4", "--devices", "cpu:1,2", "--threads", "2", "--steps", "4", "--warmup", "2", "--reps",
                "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String row : List.of("| single | 1 |", "| allreduce | 2 |", "| ps | 2 |", "| hogwild | 2 |",
                "| gossip | 2 |")) {
            assertTrue(r.out().contains(row), "no row '" + row + "' in:\n" + r.out());
        }
        assertTrue(r.out().contains("report in " + out), r.out());
        assertTrue(Files.readString(out.resolve("summary.md")).contains("gpt:layers=1,heads=2,dim=16,ctx=8"));
        assertTrue(Files.size(out.resolve("paleo.png")) > 1000);
    }

    @Test
    void missingProfileIsOneLine() {
        CliRun r = CliRun.run("lab", "--profile", dir.resolve("nope.yaml").toString(), "--out",
                dir.resolve("x").toString());
        CommandLineTest.assertUserError(r, "--profile", "nope.yaml", "cannot read");
        assertTrue(!Files.exists(dir.resolve("x")));
    }
}
