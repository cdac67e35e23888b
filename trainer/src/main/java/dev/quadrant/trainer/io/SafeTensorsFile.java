package dev.quadrant.trainer.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The content of a safetensors file: its tensors in the order their data lies in the file, and its
 * {@code __metadata__} strings.
 *
 * <pre>{@code
 * SafeTensorsFile f = SafeTensors.read(Path.of("ckpt.safetensors"));
 * float[] w = f.tensor("fc1.weight").floats();
 * String step = f.metadata().get("step");
 * }</pre>
 *
 * <p>Immutable (the tensors' arrays are shared, see {@link NamedTensor}).
 *
 * @param source the file it was read from, for messages
 * @param tensors the tensors, ordered by their data offsets
 * @param metadata the {@code __metadata__} map in file order, empty if the file has none
 */
public record SafeTensorsFile(String source, List<NamedTensor> tensors, Map<String, String> metadata) {
    public SafeTensorsFile {
        Objects.requireNonNull(source, "source");
        tensors = List.copyOf(tensors);
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** The tensor named {@code name}; a {@link SafeTensorsFormatException} naming the file if there is none. */
    public NamedTensor tensor(String name) {
        for (NamedTensor t : tensors) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        List<String> names = new ArrayList<>();
        for (NamedTensor t : tensors) {
            names.add(t.name());
        }
        String listed = names.size() <= 20 ? String.join(", ", names)
                : names.stream().limit(20).collect(Collectors.joining(", ")) + ", ... (" + names.size() + " in all)";
        throw new SafeTensorsFormatException("safetensors file " + source + ": no tensor named "
                + Messages.quote(name) + " (it has: " + (names.isEmpty() ? "none" : listed) + ")");
    }
}
