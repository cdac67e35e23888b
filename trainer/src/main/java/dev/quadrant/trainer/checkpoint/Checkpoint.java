package dev.quadrant.trainer.checkpoint;

import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import dev.quadrant.trainer.io.NamedTensor;
import dev.quadrant.trainer.io.SafeTensorsFile;
import dev.quadrant.trainer.nn.ParamLayout;

/**
 * A checkpoint read from disk whose files matched their checksums ({@link CheckpointStore#load}): the manifest and the
 * content of {@code model.safetensors} and {@code optimizer.safetensors}. The tensors are laid out into the flat
 * buffers of a model being built with {@link #parameters} and {@link #optimizerState}, which check every name and
 * shape. Immutable.
 *
 * <pre>{@code
 * Checkpoint c = CheckpointStore.resolve(Path.of("runs/ck"));
 * replica.setParameters(c.parameters(replica.model().layout()));
 * replica.optimizer().uploadState(c.optimizerState(layout, replica.optimizer().state().keySet()));
 * replica.optimizer().setSteps(c.optimizerSteps());
 * }</pre>
 */
public final class Checkpoint {
    /** Separates a state buffer's name from the parameter's in {@code optimizer.safetensors}: {@code adam.m/layers.0.weight}. */
    public static final String STATE_SEPARATOR = "/";

    private final Path dir;
    private final CheckpointManifest manifest;
    private final SafeTensorsFile model;
    private final SafeTensorsFile optimizer;

    Checkpoint(Path dir, CheckpointManifest manifest, SafeTensorsFile model, SafeTensorsFile optimizer) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.manifest = Objects.requireNonNull(manifest, "manifest");
        this.model = Objects.requireNonNull(model, "model");
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    }

    /** The checkpoint's directory ({@code .../step-000123}). */
    public Path dir() { return dir; }

    public CheckpointManifest manifest() { return manifest; }

    /** The flat parameter buffer for {@code layout}; a {@link CheckpointFormatException} if a tensor is missing or has another shape. */
    public float[] parameters(ParamLayout layout) {
        checkNoExtra(model, "", layout, 1);
        float[] values = StateTensors.join(model, "", layout); // names and shapes first: the more specific message
        if (manifest.model().parameters() != layout.totalSize()) {
            throw new CheckpointFormatException(dir.resolve(CheckpointStore.MANIFEST) + ": model.parameters is "
                    + manifest.model().parameters() + ", but " + manifest.model().spec() + " has "
                    + layout.totalSize() + " parameters; the manifest does not describe this model (damaged or edited?)");
        }
        return values;
    }

    /**
     * The optimizer's state buffers {@code names} (e.g. {@code adam.m}, {@code adam.v}) for {@code layout}, as
     * {@link dev.quadrant.trainer.optim.Optimizer#uploadState} takes them.
     */
    public Map<String, float[]> optimizerState(ParamLayout layout, Collection<String> names) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String name : names) {
            out.put(name, StateTensors.join(optimizer, name + STATE_SEPARATOR, layout));
        }
        if (optimizer.tensors().size() != names.size() * layout.entries().size()) {
            throw new CheckpointFormatException(optimizer.source() + ": " + optimizer.tensors().size()
                    + " tensors, expected " + names.size() * layout.entries().size() + " (state " + names + " for "
                    + layout.entries().size() + " parameters); was it written for another --optimizer?");
        }
        return out;
    }

    /** The optimizer's update count ({@code progress.optimizer_steps}). */
    public int optimizerSteps() {
        return Math.toIntExact(manifest.progress().optimizerSteps());
    }

    private static void checkNoExtra(SafeTensorsFile file, String prefix, ParamLayout layout, int copies) {
        if (file.tensors().size() != copies * layout.entries().size()) {
            for (NamedTensor t : file.tensors()) {
                boolean known = layout.entries().stream().anyMatch(e -> (prefix + e.name()).equals(t.name()));
                if (!known) {
                    throw new CheckpointFormatException(file.source() + ": tensor '" + t.name() + "' is not a "
                            + "parameter of this model (" + layout.entries().stream().map(ParamLayout.Entry::name)
                            .toList() + "); was the checkpoint written for another --model?");
                }
            }
        }
    }

    @Override
    public String toString() {
        return dir + " (step " + manifest.progress().step() + ")";
    }
}
