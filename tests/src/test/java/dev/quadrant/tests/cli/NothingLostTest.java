package dev.quadrant.tests.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.tests.CliRun;
import dev.quadrant.trainer.checkpoint.CheckpointLock;
import dev.quadrant.trainer.checkpoint.CheckpointStore;
import dev.quadrant.trainer.io.MetricsReader;

/**
 * Issue 13, the files part: a failing command never destroys a file (items 1-6, 11, 12, "must show" 3). Each test
 * reproduces one report of the issue through the command line.
 */
class NothingLostTest {
    @TempDir
    Path dir;

    static final String[] SMALL = {"--data", "synthetic:12x3x300", "--model", "mlp:8", "--batch", "32",
        "--threads", "1", "--devices", "cpu:1"};

    static String[] train(String... more) {
        return Stream.concat(Stream.of("train"), Stream.concat(Arrays.stream(SMALL), Arrays.stream(more)))
                .toArray(String[]::new);
    }

    static void assertRefused(CliRun r, String... mustName) {
        assertEquals(2, r.code(), "exit code; stdout: " + r.out() + "\nstderr: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace:\n" + r.err());
        assertFalse(r.out().contains("epoch 1/"), "refused before training:\n" + r.out());
        for (String s : mustName) {
            assertTrue(r.err().contains(s), "message should name '" + s + "':\n" + r.err());
        }
    }

    /** Every regular file under {@code root} (links not followed) and its bytes; links and FIFOs by their kind. */
    static Map<String, byte[]> snapshot(Path root) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                String key = root.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    out.put(key, ("link -> " + Files.readSymbolicLink(p)).getBytes(StandardCharsets.UTF_8));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    out.put(key, Files.readAllBytes(p));
                } else {
                    out.put(key, (Files.isDirectory(p) ? "dir" : "special").getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    static void mkfifo(Path at) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("mkfifo", at.toString()).inheritIO().start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0);
    }

    /** Item 1: --metrics is not touched by a run refused for another option, and never overwrites an input. */
    @Test
    void metricsAreCheckedWithEverythingElseAndNeverOverwriteAnInput() throws IOException {
        Path old = Files.writeString(dir.resolve("old.jsonl"), "{\"epoch\":1,\"step\":10}\n");
        assertRefused(CliRun.run(train("--metrics", old.toString(), "--model", "mlp:abc")), "--model");
        assertEquals("{\"epoch\":1,\"step\":10}\n", Files.readString(old));
        Path model = dir.resolve("m.safetensors");
        assertEquals(0, CliRun.run(train("--epochs", "1", "--save", model.toString())).code());
        byte[] saved = Files.readAllBytes(model);
        assertRefused(CliRun.run(train("--load", model.toString(), "--metrics", model.toString())),
                "--metrics " + model + " is the input of --load");
        assertArrayEquals(saved, Files.readAllBytes(model));
        Path csv = Files.writeString(dir.resolve("d.csv"), "1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,1,0\n2,3,1\n4,5,0\n6,7,1\n");
        assertRefused(CliRun.run("train", "--data", "csv:" + csv, "--model", "mlp:4", "--threads", "1", "--devices",
                "cpu:1", "--metrics", csv.toString()), "is the input of --data");
        assertTrue(Files.readString(csv).startsWith("1,2,0\n"));
        // a fresh run does not replace an earlier run's records unless told to
        assertRefused(CliRun.run(train("--epochs", "1", "--metrics", old.toString())), "already holds",
                "--overwrite-metrics");
        assertEquals("{\"epoch\":1,\"step\":10}\n", Files.readString(old));
        assertEquals(0, CliRun.run(train("--epochs", "1", "--metrics", old.toString(), "--overwrite-metrics")).code());
        assertEquals(1, Files.readAllLines(old).size());
        assertFalse(Files.readString(old).contains("\"step\":10}"), "replaced, as asked");
    }

    /** Item 2: --save onto a link or a device node is refused; plot --out too. */
    @Test
    void outputsOntoLinksAndDevicesAreRefused() throws IOException {
        Path target = Files.writeString(dir.resolve("precious.txt"), "keep me");
        Path link = Files.createSymbolicLink(dir.resolve("link.safetensors"), target);
        assertRefused(CliRun.run(train("--epochs", "1", "--save", link.toString())), "--save", "symbolic link");
        assertRefused(CliRun.run(train("--epochs", "1", "--save", "/dev/null")), "--save /dev/null", "character device");
        Path metrics = dir.resolve("m.jsonl");
        assertEquals(0, CliRun.run(train("--epochs", "1", "--metrics", metrics.toString())).code());
        assertRefused(CliRun.run("plot", "--metrics", metrics.toString(), "--out", link.toString()), "symbolic link");
        assertRefused(CliRun.run("plot", "--metrics", metrics.toString(), "--out", metrics.toString()),
                "is the input of plot: --metrics");
        assertEquals("keep me", Files.readString(target));
        assertTrue(Files.isSymbolicLink(link));
        assertTrue(Files.readString(metrics).startsWith("{"));
    }

    /** Item 3: a checkpoint's recorded outputs are not obeyed on --resume, even with a valid manifest checksum. */
    @Test
    void aResumedRunNeverWritesWhereTheCheckpointSays() throws Exception {
        Path ck = dir.resolve("ck");
        assertEquals(0, CliRun.run(train("--epochs", "1", "--checkpoint-dir", ck.toString())).code());
        Path victim = Files.writeString(dir.resolve("victim.txt"), "someone's file");
        Path step = CheckpointStore.list(ck).get(0);
        Path manifest = step.resolve(CheckpointStore.MANIFEST);
        String forged = Files.readString(manifest)
                .replace("\"save\" : null", "\"save\" : \"" + victim + "\"")
                .replace("\"metrics\" : null", "\"metrics\" : \"" + victim + "\"");
        assertTrue(forged.contains(victim.toString()), "the forged manifest names the victim");
        Files.writeString(manifest, forged);
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(forged.getBytes(StandardCharsets.UTF_8)));
        Files.writeString(step.resolve(CheckpointStore.MANIFEST_SHA256), sha + "  manifest.json\n");
        CliRun r = CliRun.runWithLog("train", "--resume", ck.toString(), "--epochs", "2");
        assertEquals(0, r.code(), r.err());
        assertEquals("someone's file", Files.readString(victim));
        assertTrue(r.err().contains("the checkpoint's run wrote --save " + victim), r.err());
    }

    /** Item 4: a second run on a locked --checkpoint-dir is refused, naming the holder, and changes nothing. */
    @Test
    void aSecondRunOnOneCheckpointDirectoryIsRefused() throws IOException {
        Path ck = Files.createDirectories(dir.resolve("ck"));
        Path leftover = Files.createDirectories(ck.resolve(".step-000020.tmp-1f2e")); // the holder's write in progress
        try (CheckpointLock held = CheckpointLock.acquire(ck)) {
            assertRefused(CliRun.run(train("--epochs", "1", "--checkpoint-dir", ck.toString())),
                    "--checkpoint-dir " + ck + " is in use by another run (pid " + ProcessHandle.current().pid());
            assertTrue(Files.isDirectory(leftover), "the holder's checkpoint in progress is not cleaned up");
        }
        assertEquals(0, CliRun.run(train("--epochs", "1", "--checkpoint-dir", ck.toString())).code());
        assertFalse(Files.exists(leftover), "once free, the next run cleans up");
    }

    /** Item 5: a --save that cannot be written is found before training, not after. */
    @Test
    void badSavePathsAreFoundAtStart() throws IOException {
        Path file = Files.writeString(dir.resolve("f"), "x");
        assertRefused(CliRun.run(train("--epochs", "50", "--save", file.resolve("m.safetensors").toString())),
                "--save", "is not a directory");
        assertRefused(CliRun.run(train("--epochs", "50", "--save", dir.toString())), "--save", "is a directory");
        assertRefused(CliRun.run(train("--epochs", "50", "--save", dir.resolve("x".repeat(250)).toString())),
                "--save", "the file name is 250 bytes");
        assertRefused(CliRun.run(train("--epochs", "50", "--checkpoint-dir", file.toString())),
                "--checkpoint-dir", "is not a directory");
    }

    /** Item 6: resuming after a crash cuts the metrics back to the checkpoint: no glued line, no epoch twice. */
    @Test
    void resumeRepairsTheMetricsFile() throws IOException {
        Path ck = dir.resolve("ck");
        Path metrics = dir.resolve("m.jsonl");
        assertEquals(0, CliRun.run(train("--epochs", "2", "--checkpoint-dir", ck.toString(), "--metrics",
                metrics.toString())).code());
        // the crash: epoch 2's checkpoint is lost, its record stays, and a third record was cut off mid-line
        Path second = CheckpointStore.list(ck).get(0);
        Files.move(second, ck.resolve(".lost"));
        Files.writeString(metrics, "{\"epoch\":3,\"st", java.nio.file.StandardOpenOption.APPEND);
        CliRun r = CliRun.runWithLog("train", "--resume", ck.toString(), "--epochs", "2", "--metrics",
                metrics.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("--metrics " + metrics + ": resuming at step 10: kept 1 record"), r.err());
        List<Map<String, Object>> rows = MetricsReader.read(metrics);
        assertEquals(List.of(1L, 2L), rows.stream().map(m -> m.get("epoch")).toList());
    }

    /** Items 11 and 12: a FIFO or a device as an input is refused at once instead of blocking or exhausting memory. */
    @Test
    void pipesAndDevicesAsInputsAreRefusedAtOnce() throws Exception {
        Path fifo = dir.resolve("model.safetensors");
        mkfifo(fifo);
        CliRun load = CompletableFuture.supplyAsync(() -> CliRun.run(train("--load", fifo.toString())))
                .get(60, TimeUnit.SECONDS);
        assertRefused(load, "--load " + fifo, "FIFO");
        CliRun eval = CompletableFuture.supplyAsync(() -> CliRun.run("eval", "--load", fifo.toString()))
                .get(60, TimeUnit.SECONDS);
        assertRefused(eval, "FIFO");
        assertRefused(CliRun.run(train("--config", "/dev/zero")), "--config /dev/zero", "character device");
        assertRefused(CliRun.run("train", "--data", "csv:/dev/zero", "--threads", "1"), "--data /dev/zero", "character device");
        assertRefused(CliRun.run("train", "--data", "text:" + fifo, "--model", "gpt:layers=1,heads=1,dim=8,ctx=4",
                "--steps", "1", "--threads", "1"), "FIFO");
    }

    /**
     * Must show 3: snapshot a directory (every file's bytes), run commands that fail at different points against it,
     * and find every pre-existing file byte-identical.
     */
    @Test
    void failingCommandsLeaveEveryPreexistingFileByteIdentical() throws Exception {
        Path ck = dir.resolve("ck");
        Path model = dir.resolve("model.safetensors");
        Path metrics = dir.resolve("metrics.jsonl");
        assertEquals(0, CliRun.run(train("--epochs", "1", "--checkpoint-dir", ck.toString(), "--save",
                model.toString(), "--metrics", metrics.toString())).code());
        Path config = Files.writeString(dir.resolve("run.yaml"), "epochs: 2\nmodel: mlp:8\n");
        Path csv = Files.writeString(dir.resolve("d.csv"), "1,2,0\n3,4,1\n5,6,0\n7,8,1\n");
        Path target = Files.writeString(dir.resolve("target.txt"), "linked");
        Files.createSymbolicLink(dir.resolve("link.png"), target);
        Files.createDirectories(dir.resolve("ro"));
        mkfifo(dir.resolve("pipe"));
        Map<String, byte[]> before = snapshot(dir);

        String m = metrics.toString();
        String s = model.toString();
        List<String[]> failing = new ArrayList<>(List.of(
                train("--model", "mlp:abc", "--metrics", m, "--save", s),                           // bad model
                train("--data", "csv:" + dir.resolve("none.csv"), "--metrics", m, "--save", s),     // bad data
                train("--data", "idx:" + dir, "--metrics", m, "--overwrite-metrics", "--save", s),  // no IDX files
                train("--save", dir.resolve("ro").toString(), "--metrics", m, "--overwrite-metrics"), // bad save path
                train("--save", dir.resolve("link.png").toString()),                                 // a link
                train("--load", s, "--save", s.replace(".safetensors", ".x"), "--metrics", s),        // output == input
                train("--data", "csv:" + csv, "--metrics", csv.toString()),                          // output == data
                train("--config", config.toString(), "--save", config.toString()),                   // output == config
                train("--metrics", m),                                                               // would truncate
                train("--checkpoint-dir", ck.toString(), "--metrics", m, "--overwrite-metrics"),     // another run's
                train("--resume", ck.toString(), "--model", "mlp:9", "--metrics", m, "--save", s),   // misfit resume
                train("--resume", ck.toString(), "--metrics", s),                                    // append onto model
                train("--load", dir.resolve("pipe").toString(), "--metrics", m, "--overwrite-metrics"), // FIFO input
                train("--config", "/dev/zero", "--metrics", m, "--overwrite-metrics"),               // device input
                train("--steps", "-3", "--batch", "0", "--metrics", m, "--overwrite-metrics"),       // bad values
                train("--optimizer", "sgd", "--lr", "1e30", "--epochs", "1", "--metrics", dir.resolve("new.jsonl")
                        .toString(), "--save", dir.resolve("new.safetensors").toString()),           // diverges
                new String[] {"plot", "--metrics", m, "--out", dir.resolve("link.png").toString()},
                new String[] {"plot", "--metrics", m, "--out", m},
                new String[] {"plot", "--metrics", m, "--out", dir.resolve("x.png").toString(), "--width", "99999"},
                new String[] {"eval", "--load", dir.resolve("pipe").toString()},
                new String[] {"eval", "--load", s, "--data", "csv:" + csv}));
        try (CheckpointLock held = CheckpointLock.acquire(ck)) {                                      // locked dir
            CliRun r = CliRun.run("train", "--resume", ck.toString(), "--epochs", "3", "--metrics", m, "--save", s);
            assertEquals(2, r.code(), r.err());
        }
        int n = 1;
        for (String[] args : failing) {
            CliRun r = CompletableFuture.supplyAsync(() -> CliRun.run(args)).get(120, TimeUnit.SECONDS);
            assertTrue(r.code() != 0, "should fail: " + String.join(" ", args) + "\n" + r.out());
            n++;
        }
        Map<String, byte[]> after = snapshot(dir);
        for (Map.Entry<String, byte[]> e : before.entrySet()) {
            assertTrue(after.containsKey(e.getKey()), e.getKey() + " vanished");
            assertArrayEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " changed");
        }
        assertEquals(22, n, "commands tried");
    }
}
