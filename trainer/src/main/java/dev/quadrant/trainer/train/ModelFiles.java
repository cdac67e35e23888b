package dev.quadrant.trainer.train;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.io.Messages;
import dev.quadrant.trainer.io.NamedTensor;
import dev.quadrant.trainer.io.SafeTensors;
import dev.quadrant.trainer.io.SafeTensorsFile;
import dev.quadrant.trainer.nn.ParamLayout;

/**
 * Model parameters as a safetensors file: one F32 tensor per layout entry, named and shaped as in the layout
 * ({@code layers.0.weight [256, 784]}, ...), in layout order, so numpy and PyTorch's safetensors read it. Written
 * atomically; the same parameters always give the same bytes.
 */
public final class ModelFiles {
    private ModelFiles() {}

    /** Writes {@code flat} (the whole parameter buffer) under the names of {@code layout}. */
    public static void save(Path file, ParamLayout layout, float[] flat, Map<String, String> metadata) {
        List<NamedTensor> tensors = new ArrayList<>();
        for (ParamLayout.Entry e : layout.entries()) {
            int from = Math.toIntExact(e.offset());
            tensors.add(NamedTensor.ofFloats(e.name(), Arrays.copyOfRange(flat, from, from + Math.toIntExact(e.size())), e.shape()));
        }
        try {
            SafeTensors.write(file, tensors, metadata);
        } catch (IOException e) {
            throw new UserInputException("cannot write --save file " + file + ": " + e, e);
        }
    }

    /** Reads a parameter file whole; a missing or unreadable file is a user error naming it. */
    public static SafeTensorsFile read(Path file) {
        dev.quadrant.trainer.io.InputFiles.requireRegular("--load", file); // a FIFO would block forever
        try {
            return SafeTensors.read(file);
        } catch (NoSuchFileException e) {
            throw new UserInputException(file + ": no such file");
        } catch (IOException e) {
            throw new UserInputException(file + ": cannot read: " + e, e);
        }
    }

    /** The metadata a {@link #save}d file records (model spec, activation, schema, vocabulary); empty if none. */
    public static Map<String, String> metadata(Path file) {
        return read(file).metadata();
    }

    /** The vocabulary a file records, or null. */
    public static dev.quadrant.trainer.data.Vocabulary vocabulary(Path file, Map<String, String> metadata) {
        String v = metadata.get("vocabulary");
        if (v == null) {
            return null;
        }
        try {
            return dev.quadrant.trainer.data.Vocabulary.parse(v);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(file + ": metadata field 'vocabulary': " + e.getMessage());
        }
    }

    /** A text model must meet the vocabulary it was trained with: the ids would mean other characters otherwise. */
    public static void checkVocabulary(Path file, Map<String, String> metadata, dev.quadrant.trainer.data.DataSplit data) {
        var saved = vocabulary(file, metadata);
        if (saved != null && data.vocabulary() != null && !saved.equals(data.vocabulary())) {
            throw new UserInputException(file + ": the model was trained on a vocabulary of " + saved.size()
                    + " characters, the data has another one of " + data.vocabulary().size() + " characters; "
                    + "evaluate it on the text it was trained on");
        }
    }

    /**
     * Checks that the input field a file recorded ({@code recorded}, its text as in the metadata or manifest; null
     * when it records none) describes the data's {@code data}: the same field, or its flat form written before images
     * kept their shape ({@link dev.quadrant.trainer.data.Field#recordedFor}).
     *
     * @param where names the file in the message, e.g. {@code model.safetensors} or {@code --resume runs/ck/step-000100}
     * @throws UserInputException naming the file, the field, what was recorded and what the data has
     */
    public static void checkInput(String where, String recorded, dev.quadrant.trainer.data.Field data) {
        if (recorded == null) {
            return;
        }
        dev.quadrant.trainer.data.Field f;
        try {
            f = dev.quadrant.trainer.data.Field.parse(recorded);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(where + ": the recorded input field cannot be read: " + e.getMessage());
        }
        if (!f.recordedFor(data)) {
            throw new UserInputException(where + ": input field '" + f.name() + "' was recorded as " + f
                    + ", but the data has " + data + "; use the data the model was trained on");
        }
    }

    /**
     * Checks the options a saved model is used with against what the file records: the model spec (in canonical form)
     * and the activation. A differing activation would evaluate or fine-tune silently with the wrong function; a
     * differing spec names the file's. A file that records neither (written by another tool) passes.
     *
     * @param model the canonical spec of the model being built ({@code ModelSpec.describeSpec()})
     * @throws UserInputException naming the file, the field, both values and the fix
     */
    public static void checkRecorded(Path file, Map<String, String> metadata, String model,
                                     dev.quadrant.device.Activation activation) {
        String m = metadata.get("model");
        if (m != null && !m.equals(model)) {
            throw new UserInputException(file + ": the file records model " + Messages.quote(m) + ", but --model is "
                    + Messages.quote(model) + "; drop --model to use the file's, or load a file saved with this model");
        }
        String a = metadata.get("activation");
        if (a != null && !recordedActivation(file, a).equals(activation)) {
            throw new UserInputException(file + ": the file records activation " + Messages.quote(a)
                    + ", but --activation is " + activation.name().toLowerCase(java.util.Locale.ROOT) + "; the weights were trained with "
                    + Messages.quote(a) + ": drop --activation (or pass --activation " + Messages.escape(a) + ")");
        }
    }

    private static dev.quadrant.device.Activation recordedActivation(Path file, String a) {
        try {
            return dev.quadrant.device.Activation.parse(a);
        } catch (RuntimeException e) {
            throw new UserInputException(file + ": metadata field 'activation' is " + Messages.quote(a)
                    + ", not an activation this version knows (relu, gelu, tanh)");
        }
    }

    /**
     * Reads a parameter file for {@code layout}: every entry must be present as a float tensor of the same shape, and
     * nothing else may be there. Errors name the file, the tensor and both shapes.
     */
    public static float[] load(Path file, ParamLayout layout) {
        return load(file, read(file), layout);
    }

    /** As {@link #load(Path, ParamLayout)} for a file already read ({@code file} names it in messages). */
    public static float[] load(Path file, SafeTensorsFile f, ParamLayout layout) {
        float[] flat = new float[Math.toIntExact(layout.totalSize())];
        List<String> expected = layout.entries().stream().map(ParamLayout.Entry::name).toList();
        for (NamedTensor t : f.tensors()) {
            if (!expected.contains(t.name())) {
                throw new UserInputException(file + ": tensor '" + t.name() + "' is not a parameter of this model "
                        + "(expected " + expected + "); was it saved with another --model?");
            }
        }
        for (ParamLayout.Entry e : layout.entries()) {
            NamedTensor t = f.tensors().stream().filter(x -> x.name().equals(e.name())).findFirst().orElseThrow(() ->
                    new UserInputException(file + ": tensor '" + e.name() + "' " + Arrays.toString(e.shape())
                            + " is missing; the file has " + f.tensors().stream().map(NamedTensor::name).toList()));
            if (!Arrays.equals(t.shape(), e.shape())) {
                throw new UserInputException(file + ": tensor '" + e.name() + "' has shape " + Arrays.toString(t.shape())
                        + ", the model expects " + Arrays.toString(e.shape()) + "; was it saved with another --model or data set?");
            }
            if (!t.isFloat()) {
                throw new UserInputException(file + ": tensor '" + e.name() + "' has dtype " + t.dtype()
                        + ", expected F32 (or BF16)");
            }
            t.requireFinite(file.toString());
            System.arraycopy(t.floats(), 0, flat, Math.toIntExact(e.offset()), Math.toIntExact(e.size()));
        }
        return flat;
    }
}
