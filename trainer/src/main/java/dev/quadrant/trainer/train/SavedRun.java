package dev.quadrant.trainer.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.checkpoint.Checkpoint;
import dev.quadrant.trainer.checkpoint.CheckpointStore;

/**
 * What a trained model records about the run that made it, so that {@code quadrant eval} and {@code quadrant sample}
 * need only {@code --load}: a {@code --save} file's metadata, or a checkpoint's manifest. {@link #open} accepts a
 * {@code --save} file, a checkpoint's {@code model.safetensors}, a checkpoint directory ({@code runs/ck/step-000200})
 * or a directory of checkpoints (the newest valid one). {@link #settings} holds the options the file records, under
 * the option names of {@link TrainConfig}: {@code model}, {@code activation}, {@code data}, and for CSV data the
 * split options; each is absent when not recorded (files written before a key was recorded).
 *
 * <pre>{@code
 * SavedRun run = SavedRun.open(Path.of("runs/mnist"));   // the newest checkpoint of the run
 * String data = run.settings().get("data");                // "idx:../shared/datasets/mnist"
 * }</pre>
 *
 * <p>Immutable.
 */
public record SavedRun(Path modelFile, String source, Map<String, String> settings) {
    /** The options a model file or checkpoint may record, by key. */
    static final List<String> RECORDED = List.of("model", "activation", "data", "csv-label-column",
            "csv-test-fraction", "seed");

    public SavedRun {
        settings = Map.copyOf(settings);
    }

    /**
     * Opens what {@code --load} names (see the class comment).
     *
     * @throws UserInputException if there is no such file, or a checkpoint is not valid
     */
    public static SavedRun open(Path load) {
        Path dir = Files.isDirectory(load) ? load
                : load.getFileName() != null && load.getFileName().toString().equals(CheckpointStore.MODEL)
                        && load.getParent() != null && Files.isRegularFile(load.resolveSibling("manifest.json"))
                ? load.getParent() : null;
        if (dir != null) {
            Checkpoint c = CheckpointStore.resolve(dir);
            Map<String, String> s = new LinkedHashMap<>();
            for (String key : RECORDED) {
                Object v = c.manifest().config() == null ? null : c.manifest().config().get(key);
                if (v != null) {
                    s.put(key, v.toString());
                }
            }
            s.putIfAbsent("model", c.manifest().model().spec());
            s.putIfAbsent("activation", c.manifest().model().activation());
            return new SavedRun(c.dir().resolve(CheckpointStore.MODEL), "checkpoint " + c.dir(), s);
        }
        Map<String, String> meta = ModelFiles.metadata(load);
        Map<String, String> s = new LinkedHashMap<>();
        for (String key : RECORDED) {
            if (meta.containsKey(key)) {
                s.put(key, meta.get(key));
            }
        }
        return new SavedRun(load, load.toString(), s);
    }

    /**
     * The value of option {@code key} for this model: {@code given} (from the command line) when not null, else the
     * recorded one, else {@code fallback}; null only if all three are.
     */
    public String choose(String key, String given, String fallback) {
        if (given != null) {
            return given;
        }
        String v = settings.get(key);
        return v != null ? v : fallback;
    }

    /** The recorded {@code data}, or a clear error that names the file and says to give {@code --data}. */
    public String requireData(String given) {
        String d = choose("data", given, null);
        if (d == null) {
            throw new UserInputException(source + " records no data set (written before model files recorded it): "
                    + "give --data SPEC, the data it was trained on");
        }
        return d;
    }
}
