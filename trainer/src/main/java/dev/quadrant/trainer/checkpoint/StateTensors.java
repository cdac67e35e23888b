package dev.quadrant.trainer.checkpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.quadrant.trainer.io.NamedTensor;
import dev.quadrant.trainer.io.SafeTensorsFile;
import dev.quadrant.trainer.nn.ParamLayout;

/**
 * A flat buffer with a parameter layout, as one named tensor per layout entry ({@code PREFIX + entry name}, the
 * entry's shape) and back. Stateless.
 */
final class StateTensors {
    private StateTensors() {}

    /** One tensor per entry of {@code layout}, holding copies of the entry's slice of {@code flat}. */
    static List<NamedTensor> split(String prefix, ParamLayout layout, float[] flat) {
        if (flat.length != layout.totalSize()) {
            throw new IllegalArgumentException("flat buffer has " + flat.length + " values, the layout "
                    + layout.totalSize());
        }
        List<NamedTensor> out = new ArrayList<>();
        for (ParamLayout.Entry e : layout.entries()) {
            int from = Math.toIntExact(e.offset());
            out.add(NamedTensor.ofFloats(prefix + e.name(),
                    Arrays.copyOfRange(flat, from, from + Math.toIntExact(e.size())), e.shape()));
        }
        return out;
    }

    /**
     * The flat buffer held by the tensors {@code PREFIX + entry name} of {@code file}: each must be there, a float
     * tensor, with the entry's shape.
     *
     * @throws CheckpointFormatException naming {@code file}, the tensor and both shapes
     */
    static float[] join(SafeTensorsFile file, String prefix, ParamLayout layout) {
        float[] flat = new float[Math.toIntExact(layout.totalSize())];
        for (ParamLayout.Entry e : layout.entries()) {
            String name = prefix + e.name();
            NamedTensor t = file.tensors().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow(() ->
                    new CheckpointFormatException(file.source() + ": no tensor '" + name + "' "
                            + Arrays.toString(e.shape()) + "; the file has " + names(file)
                            + " (was the checkpoint written for another --model or data set?)"));
            if (!Arrays.equals(t.shape(), e.shape()) || !t.isFloat()) {
                throw new CheckpointFormatException(file.source() + ": tensor '" + name + "' is "
                        + t.dtype().safetensorsName() + " " + Arrays.toString(t.shape()) + ", expected F32 "
                        + Arrays.toString(e.shape()) + " (was the checkpoint written for another --model or data set?)");
            }
            t.requireFinite(file.source());
            System.arraycopy(t.floats(), 0, flat, Math.toIntExact(e.offset()), Math.toIntExact(e.size()));
        }
        return flat;
    }

    private static String names(SafeTensorsFile file) {
        List<String> names = file.tensors().stream().map(NamedTensor::name).toList();
        return names.size() <= 8 ? names.toString()
                : names.subList(0, 8).toString().replace("]", ", ... (" + names.size() + " in all)]");
    }
}
