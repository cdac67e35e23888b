package dev.quadrant.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.io.SafeTensors;
import dev.quadrant.trainer.io.SafeTensorsFile;
import dev.quadrant.trainer.nn.ParamLayout;

/** Writing, pruning, validating and finding checkpoints on disk. */
class CheckpointStoreTest {
    static final ParamLayout LAYOUT = new ParamLayout.Builder()
            .add("layers.0.weight", true, 3, 2).add("layers.0.bias", false, 3).build();

    @TempDir
    Path root;

    static float[] values(int n, float base) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = base + i * 0.5f - (i % 3 == 0 ? Float.MIN_VALUE : 0f);
        }
        return v;
    }

    static CheckpointManifest manifest(long step) {
        CheckpointManifest s = Manifests.sample();
        long perEpoch = 63;
        CheckpointManifest.Progress p = new CheckpointManifest.Progress(step, (int) (step / perEpoch),
                (int) (step % perEpoch), perEpoch, step, 0);
        return new CheckpointManifest(CheckpointManifest.VERSION, p, new CheckpointManifest.Model("mlp:0", "relu", 0f, CheckpointManifest.Model.v1Input(2), CheckpointManifest.Model.v1Target(3), null, 9), s.run(),
                s.config(), Map.of());
    }

    Path write(CheckpointWriter w, long step) {
        Map<String, float[]> state = new LinkedHashMap<>();
        state.put("adam.m", values(9, step + 0.25f));
        state.put("adam.v", values(9, step + 0.75f));
        return w.write(manifest(step), LAYOUT, values(9, step), state);
    }

    @Test
    void writtenCheckpointLoadsBackBitForBit() throws IOException {
        CheckpointWriter w = new CheckpointWriter(root, 3);
        Path dir = write(w, 70);
        assertEquals(root.resolve("step-000070"), dir);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("manifest.json", "manifest.sha256", "model.safetensors", "optimizer.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        Checkpoint c = CheckpointStore.resolve(root);
        assertEquals(dir, c.dir());
        assertEquals(70, c.manifest().progress().step());
        assertEquals(Files.size(dir.resolve("model.safetensors")), c.manifest().files().get("model.safetensors").bytes());
        assertEquals(CheckpointStore.sha256(dir.resolve("optimizer.safetensors")),
                c.manifest().files().get("optimizer.safetensors").sha256());
        assertArrayEquals(values(9, 70), c.parameters(LAYOUT));
        Map<String, float[]> state = c.optimizerState(LAYOUT, List.of("adam.m", "adam.v"));
        assertArrayEquals(values(9, 70.25f), state.get("adam.m"));
        assertArrayEquals(values(9, 70.75f), state.get("adam.v"));
        assertEquals(70, c.optimizerSteps());
        // model.safetensors is a plain parameter file, as --save writes it (names and shapes of the layout)
        SafeTensorsFile model = SafeTensors.read(dir.resolve("model.safetensors"));
        assertArrayEquals(new int[] {3, 2}, model.tensor("layers.0.weight").shape());
        SafeTensorsFile opt = SafeTensors.read(dir.resolve("optimizer.safetensors"));
        assertEquals("adam", opt.metadata().get("optimizer"));
        assertEquals("70", opt.metadata().get("steps"));
        assertArrayEquals(new int[] {3}, opt.tensor("adam.v/layers.0.bias").shape());
    }

    @Test
    void keepsTheNewestK() {
        CheckpointWriter w = new CheckpointWriter(root, 2);
        for (long s : new long[] {10, 20, 30, 40, 50}) {
            write(w, s);
        }
        assertEquals(List.of(root.resolve("step-000050"), root.resolve("step-000040")), CheckpointStore.list(root));
    }

    @Test
    void tamperedNewestIsPassedOverForTheOneBefore() throws IOException {
        CheckpointWriter w = new CheckpointWriter(root, 3);
        write(w, 10);
        Path newest = write(w, 20);
        Path model = newest.resolve("model.safetensors");
        byte[] b = Files.readAllBytes(model);
        b[b.length - 1] ^= 1;
        Files.write(model, b);
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> CheckpointStore.load(newest));
        assertTrue(e.getMessage().contains("model.safetensors: sha256 is "), e.getMessage());
        assertEquals(root.resolve("step-000010"), CheckpointStore.resolve(root).dir());
        // naming the tampered checkpoint itself is an error, not a silent fallback
        assertThrows(CheckpointFormatException.class, () -> CheckpointStore.resolve(newest));
    }

    @Test
    void checkpointWithoutCompleteManifestDoesNotCount() throws IOException {
        CheckpointWriter w = new CheckpointWriter(root, 3);
        write(w, 10);
        Path newer = write(w, 20);
        byte[] m = Files.readAllBytes(newer.resolve("manifest.json"));
        Files.write(newer.resolve("manifest.json"), java.util.Arrays.copyOf(m, m.length / 2)); // torn
        assertEquals(root.resolve("step-000010"), CheckpointStore.resolve(root).dir());
        Files.delete(newer.resolve("manifest.json"));
        assertEquals(root.resolve("step-000010"), CheckpointStore.resolve(root).dir());
    }

    @Test
    void noValidCheckpointSaysWhyForEach() throws IOException {
        Files.createDirectories(root.resolve("step-000005"));
        Files.writeString(root.resolve("step-000005/manifest.json"), "{");
        Files.createDirectories(root.resolve("step-000003"));
        UserInputException e = assertThrows(UserInputException.class, () -> CheckpointStore.resolve(root));
        assertTrue(e.getMessage().startsWith("--resume " + root + ": no valid checkpoint among 2: "), e.getMessage());
        assertTrue(e.getMessage().contains("step-000005/manifest.json: saw invalid JSON"), e.getMessage());
        assertTrue(e.getMessage().contains("step-000003/manifest.json: no such file"), e.getMessage());
        e = assertThrows(UserInputException.class, () -> CheckpointStore.resolve(root.resolve("nothing")));
        assertTrue(e.getMessage().contains("no such directory"), e.getMessage());
        Path empty = Files.createDirectories(root.resolve("empty"));
        e = assertThrows(UserInputException.class, () -> CheckpointStore.resolve(empty));
        assertTrue(e.getMessage().contains("no checkpoint in it"), e.getMessage());
    }

    @Test
    void leftoversOfACrashedWriteNeverCountAndAreRemoved() throws IOException {
        CheckpointWriter w = new CheckpointWriter(root, 3);
        write(w, 10);
        Path tmp = Files.createDirectories(root.resolve(".step-000020.tmp-1f2e"));
        Files.writeString(tmp.resolve("model.safetensors"), "half");
        Path deleting = Files.createDirectories(root.resolve(".deleting-step-000001-ab12"));
        Path mine = Files.createDirectories(root.resolve(".my-notes")); // not ours: left alone
        assertEquals(List.of(root.resolve("step-000010")), CheckpointStore.list(root));
        w.close();
        new CheckpointWriter(root, 3).close();
        assertFalse(Files.exists(tmp));
        assertFalse(Files.exists(deleting));
        assertTrue(Files.exists(mine));
    }

    @Test
    void rewritingAStepReplacesItAndSupersedeSetsNewerOnesAside() throws IOException {
        CheckpointWriter w = new CheckpointWriter(root, 5);
        write(w, 10);
        write(w, 20);
        write(w, 30);
        w.supersedeAfter(10);
        assertEquals(List.of(root.resolve("step-000010")), CheckpointStore.list(root));
        assertTrue(Files.isDirectory(root.resolve("step-000020.superseded")));
        write(w, 10);
        assertEquals(10, CheckpointStore.resolve(root).manifest().progress().step());
        try (Stream<Path> s = Files.list(root)) {
            assertEquals(3, s.filter(p -> !p.getFileName().toString().equals(CheckpointLock.FILE)).count(),
                    "step-000010 and the two superseded ones, nothing else (and the lock)");
        }
    }

    @Test
    void stateForAnotherOptimizerOrModelIsRefusedByName() {
        CheckpointWriter w = new CheckpointWriter(root, 3);
        write(w, 10);
        Checkpoint c = CheckpointStore.resolve(root);
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
                () -> c.optimizerState(LAYOUT, List.of("momentum")));
        assertTrue(e.getMessage().contains("no tensor 'momentum/layers.0.weight'"), e.getMessage());
        ParamLayout other = new ParamLayout.Builder().add("layers.0.weight", true, 4, 2).add("layers.0.bias", false, 4).build();
        e = assertThrows(CheckpointFormatException.class, () -> c.parameters(other));
        assertTrue(e.getMessage().contains("'layers.0.weight' is F32 [3, 2], expected F32 [4, 2]"), e.getMessage());
        ParamLayout bigger = new ParamLayout.Builder().add("layers.0.weight", true, 3, 2).add("layers.0.bias", false, 3)
                .add("layers.1.weight", true, 2, 3).build();
        e = assertThrows(CheckpointFormatException.class, () -> c.parameters(bigger));
        assertTrue(e.getMessage().contains("no tensor 'layers.1.weight'"), e.getMessage());
    }
}
