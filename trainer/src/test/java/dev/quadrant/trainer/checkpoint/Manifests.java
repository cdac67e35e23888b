package dev.quadrant.trainer.checkpoint;

import java.util.LinkedHashMap;
import java.util.Map;

/** Manifests for the tests. */
final class Manifests {
    private Manifests() {}

    /** A valid manifest with every field set. */
    static CheckpointManifest sample() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("data", "synthetic:16x4x2000");
        config.put("epochs", 2);
        config.put("lr", 0.001f);
        config.put("init", null);
        config.put("on-nan", "abort");
        config.put("flag", true);
        Map<String, CheckpointManifest.FileEntry> files = new LinkedHashMap<>();
        files.put(CheckpointStore.MODEL, new CheckpointManifest.FileEntry(1712, "ab".repeat(32)));
        files.put(CheckpointStore.OPTIMIZER, new CheckpointManifest.FileEntry(3464, "0123456789abcdef".repeat(4)));
        return new CheckpointManifest(CheckpointManifest.VERSION,
                new CheckpointManifest.Progress(70, 1, 7, 63, 70, 0),
                new CheckpointManifest.Model("mlp:16", "relu", 0.25f, CheckpointManifest.Model.v1Input(16), CheckpointManifest.Model.v1Target(4), null, 340),
                new CheckpointManifest.Run("adam", 32, 1, "synthetic:16x4x2000", 2000, "allreduce", 2, "cpu:2"),
                config, files);
    }
}
