package dev.quadrant.trainer.cli;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.train.TrainConfig;
import dev.quadrant.trainer.train.TrainOptions;
import picocli.CommandLine;

/**
 * A {@code --config} file of {@code quadrant train}: a YAML (or, for a {@code .json} name, JSON) mapping from option
 * names without the dashes to values, as {@code --print-config} prints it:
 *
 * <pre>
 * data: idx:data/mnist
 * model: mlp:256
 * epochs: 3
 * lr: 0.001
 * checkpoint-dir: runs/mnist
 * init: null          # null (or a missing key) means the option's default
 * </pre>
 *
 * Every value must be a scalar that the option accepts; an unknown key, a list or mapping value, a duplicate key, or
 * a value the option rejects is an error naming the file and the key (and, for an unknown key, listing the valid
 * ones). A YAML file is one document with no anchors, aliases or tags, and numbers in plain decimal
 * ({@link StrictYaml}). Stateless.
 */
final class ConfigFile {
    /** Config files larger than this are refused before reading. */
    static final long MAX_BYTES = 1 << 20;

    private ConfigFile() {}

    /**
     * Reads {@code file} and returns each option's value as the text the option would get on the command line
     * (null values left out).
     *
     * @throws UserInputException for any problem, naming the file and the key
     */
    static Map<String, String> read(Path file) {
        // a regular file, bounded by the bytes read (a pipe or /dev/zero reports size 0)
        byte[] bytes = dev.quadrant.trainer.io.InputFiles.readBounded("--config", file, (int) MAX_BYTES);
        String text;
        try {
            text = java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes))
                    .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new UserInputException("--config " + file + ": not valid UTF-8 text", e);
        }
        boolean json = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
        if (!json) {
            StrictYaml.check(text, "--config " + file); // one document, no aliases, decimal numbers
        }
        JsonNode root;
        try {
            JsonFactory f = json ? JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build()
                    : YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
            root = new ObjectMapper(f).readTree(text);
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage();
            throw new UserInputException("--config " + file + ": not valid " + (json ? "JSON" : "YAML") + ": "
                    + msg.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return Map.of(); // an empty file: nothing set
        }
        if (!root.isObject()) {
            throw new UserInputException("--config " + file + ": expected a mapping of option names to values "
                    + "(e.g. 'epochs: 3'), found a " + root.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        return toOptionValues(root, "--config " + file, false);
    }

    /**
     * The option values of a mapping {@code root} (from a config file, or a checkpoint's {@code config}), each checked
     * by the option's own converter. {@code source} names the origin in messages. With {@code ignoreUnknown}, keys
     * that are not options are skipped instead of refused.
     */
    static Map<String, String> toOptionValues(JsonNode root, String source, boolean ignoreUnknown) {
        List<String> keys = TrainConfig.keys();
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (!keys.contains(key)) {
                if (ignoreUnknown) {
                    continue;
                }
                String hint = key.startsWith("-") ? " (write option names without the dashes)" : "";
                throw new UserInputException(source + ": unknown key '" + key + "'" + hint + "; valid keys: "
                        + String.join(", ", keys));
            }
            JsonNode v = e.getValue();
            if (v.isNull()) {
                continue;
            }
            if (!v.isValueNode()) {
                throw new UserInputException(source + ": key '" + key + "': expected a single value, found a "
                        + v.getNodeType().name().toLowerCase(Locale.ROOT));
            }
            String value = v.asText();
            check(source, key, value);
            out.put(key, value);
        }
        return out;
    }

    /** Lets picocli convert {@code --key value} on a scratch object, so that the rules are the option's own. */
    private static void check(String source, String key, String value) {
        try {
            new CommandLine(TrainSettings.spec(new TrainOptions())).parseArgs("--" + key, value);
        } catch (CommandLine.ParameterException ex) {
            throw new UserInputException(source + ": key '" + key + "': " + ex.getMessage());
        }
    }

    /** The options' values as YAML ({@code yaml}) or JSON ({@code json}), loadable again with {@code --config}. */
    static String print(TrainOptions options, String format) {
        Map<String, Object> values = TrainConfig.toMap(options);
        try {
            return switch (format.toLowerCase(Locale.ROOT)) {
                case "yaml" -> YAMLMapper.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build().writeValueAsString(values);
                case "json" -> new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(values) + System.lineSeparator();
                default -> throw new UserInputException("--print-config '" + format + "' is not understood: expected "
                        + "yaml or json");
            };
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of option values always serializes", e);
        }
    }
}
