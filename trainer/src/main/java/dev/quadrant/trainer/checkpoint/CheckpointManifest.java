package dev.quadrant.trainer.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The {@code manifest.json} of a checkpoint, format version {@value #VERSION}: what the run had reached, what it
 * trains, how, with which options, and the size and SHA-256 of each data file. It is written last, so a checkpoint
 * whose manifest is missing or incomplete does not count.
 *
 * <pre>
 * {
 *   "format" : "quadrant-checkpoint",
 *   "version" : 2,
 *   "progress" : { "step" : 938, "epoch" : 2, "batch_in_epoch" : 0, "steps_per_epoch" : 469,
 *                  "optimizer_steps" : 938, "skipped_steps" : 0 },
 *   "model" : { "spec" : "mlp:256", "activation" : "relu", "dropout" : 0.0, "input" : "x F32[28, 28, 1]",
 *               "target" : "label I32[] of 10", "vocabulary" : null, "parameters" : 203530 },
 *   "run" : { "optimizer" : "adam", "batch" : 128, "seed" : 1, "data" : "idx:data/mnist", "train_samples" : 60000,
 *             "strategy" : "allreduce", "replicas" : 2, "devices" : "cpu:2" },
 *   "config" : { "data" : "idx:data/mnist", "model" : "mlp:256", "epochs" : 3, ... },
 *   "files" : { "model.safetensors" : { "bytes" : 814248, "sha256" : "9b41..." },
 *               "optimizer.safetensors" : { "bytes" : 1628464, "sha256" : "3f2a..." } }
 * }
 * </pre>
 *
 * <ul>
 *   <li>{@code progress}: training continues at optimizer step {@code step} (that many steps are done), in epoch
 *       {@code epoch} (from 0) at batch {@code batch_in_epoch} of that epoch's order; {@code optimizer_steps} is the
 *       optimizer's update count (Adam's bias correction depends on it; it differs from {@code step} when updates
 *       were skipped, or under Hogwild, where each replica's push is an update).</li>
 *   <li>{@code model} and {@code run}: what a resumed run must match (model, activation, dropout, data shape,
 *       optimizer kind, batch and seed); {@code strategy}, {@code replicas} and {@code devices} are informational: a
 *       checkpoint resumes on any number of replicas and any device kind.</li>
 *   <li>{@code config}: every option of {@code quadrant train} as it was (the same keys as {@code --config} files,
 *       except that {@code resume} and {@code load} are null); a command-line resume uses it as defaults.</li>
 *   <li>No random-generator state is stored because none exists: the data order of epoch {@code e} is
 *       {@code EpochOrder.permutation(seed, e, n)} and the dropout masks of step {@code s} derive from
 *       {@code seed * 1000003 + s}, so {@code seed}, {@code epoch} and {@code step} determine them (as do the
 *       random text windows of step {@code s}).</li>
 *   <li>Version 2 (this one) records the data schema and a text model's vocabulary; version 1 checkpoints (flat
 *       features and classes) still load.</li>
 * </ul>
 *
 * <p>Immutable; {@link #toJson()} is deterministic. Read with {@link ManifestReader}.
 */
public record CheckpointManifest(int version, Progress progress, Model model, Run run, Map<String, Object> config,
                                 Map<String, FileEntry> files) {
    /** The {@code format} field. */
    public static final String FORMAT = "quadrant-checkpoint";
    /** The version this build writes and reads. */
    public static final int VERSION = 2;
    /** The data files of a checkpoint, in the order they are written. */
    public static final List<String> FILES = List.of(CheckpointStore.MODEL, CheckpointStore.OPTIMIZER);

    /** Where the run stands. */
    public record Progress(long step, int epoch, int batchInEpoch, long stepsPerEpoch, long optimizerSteps,
                           long skippedSteps) {}

    /**
     * The model: {@code --model} (canonical form), activation, dropout, the data schema it was built for (its input
     * and target fields as {@link dev.quadrant.trainer.data.Field#toString()} writes them, e.g.
     * {@code x F32[28, 28, 1]} and {@code label I32[] of 10}), the vocabulary of a text model (its characters in id order; null otherwise)
     * and the parameter count. Version 1 manifests held {@code features} and {@code classes} instead: they read as
     * {@link #v1Input} and {@link #v1Target}.
     */
    public record Model(String spec, String activation, float dropout, String input, String target, String vocabulary,
                        long parameters) {
        public Model {
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(activation, "activation");
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(target, "target");
        }

        /** The input field of a version 1 checkpoint's classifier. */
        public static String v1Input(int features) {
            return dev.quadrant.trainer.data.Field.floats("x", features).toString();
        }

        /** The target field of a version 1 checkpoint's classifier. */
        public static String v1Target(int classes) {
            return dev.quadrant.trainer.data.Field.ints("label", classes).toString();
        }
    }

    /** How it was trained. */
    public record Run(String optimizer, int batch, long seed, String data, int trainSamples, String strategy,
                      int replicas, String devices) {
        public Run {
            Objects.requireNonNull(optimizer, "optimizer");
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(strategy, "strategy");
            Objects.requireNonNull(devices, "devices");
        }
    }

    /** One data file: its size in bytes and its SHA-256 (64 lowercase hex digits). */
    public record FileEntry(long bytes, String sha256) {
        public FileEntry {
            Objects.requireNonNull(sha256, "sha256");
        }
    }

    /**
     * @param config option name to value: {@link String}, {@link Long}, {@link Double}, {@link Boolean} or null
     *     ({@link Integer} and {@link Float} values are widened, floats through their shortest decimal form so that
     *     {@code 0.001f} stays {@code 0.001}; a NaN or infinity becomes its string, which JSON can hold)
     */
    public CheckpointManifest {
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(run, "run");
        Map<String, Object> c = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : config.entrySet()) {
            c.put(e.getKey(), normalize(e.getKey(), e.getValue()));
        }
        config = Collections.unmodifiableMap(c);
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    private static Object normalize(String key, Object v) {
        if (v == null || v instanceof String || v instanceof Long || v instanceof Boolean) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float) {
            v = Double.parseDouble(v.toString());
        }
        if (v instanceof Double) {
            return Double.isFinite((Double) v) ? v : v.toString(); // JSON has no NaN: "NaN" converts back
        }
        throw new IllegalArgumentException("config value of " + key + " is a " + v.getClass().getSimpleName()
                + "; expected a string, number, boolean or null");
    }

    /** The same manifest with {@code files} replaced. */
    public CheckpointManifest withFiles(Map<String, FileEntry> newFiles) {
        return new CheckpointManifest(version, progress, model, run, config, newFiles);
    }

    /** The JSON text, UTF-8, pretty-printed, keys in a fixed order, ending in a newline. */
    public byte[] toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", FORMAT);
        root.put("version", version);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("step", progress.step());
        p.put("epoch", progress.epoch());
        p.put("batch_in_epoch", progress.batchInEpoch());
        p.put("steps_per_epoch", progress.stepsPerEpoch());
        p.put("optimizer_steps", progress.optimizerSteps());
        p.put("skipped_steps", progress.skippedSteps());
        root.put("progress", p);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("spec", model.spec());
        m.put("activation", model.activation());
        m.put("dropout", model.dropout());
        m.put("input", model.input());
        m.put("target", model.target());
        m.put("vocabulary", model.vocabulary());
        m.put("parameters", model.parameters());
        root.put("model", m);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("optimizer", run.optimizer());
        r.put("batch", run.batch());
        r.put("seed", run.seed());
        r.put("data", run.data());
        r.put("train_samples", run.trainSamples());
        r.put("strategy", run.strategy());
        r.put("replicas", run.replicas());
        r.put("devices", run.devices());
        root.put("run", r);
        root.put("config", config);
        Map<String, Object> f = new LinkedHashMap<>();
        for (Map.Entry<String, FileEntry> e : files.entrySet()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("bytes", e.getValue().bytes());
            one.put("sha256", e.getValue().sha256());
            f.put(e.getKey(), one);
        }
        root.put("files", f);
        try {
            String text = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
            return (text + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings and numbers always serializes", e);
        }
    }
}
