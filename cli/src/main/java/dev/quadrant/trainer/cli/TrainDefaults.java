package dev.quadrant.trainer.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.checkpoint.Checkpoint;
import dev.quadrant.trainer.checkpoint.CheckpointStore;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where {@code quadrant train} options that are not on the command line come from, in order: a {@code --config}
 * file, then (with {@code --resume}) the options the checkpoint's run was started with, then the built-in defaults.
 * So the command line wins over the file, the file over the checkpoint; {@code quadrant train --resume DIR} alone
 * continues a run as it was started, and {@code --epochs 10} added to it trains longer. Its checkpoints go on
 * being written beside the one it resumed from (unless {@code --checkpoint-dir} says otherwise).
 *
 * <p>Built by a pass over the arguments before picocli parses them (the defaults must be known before parsing):
 * {@link #scan(String[])} finds {@code --config} and {@code --resume} after the {@code train} command. Immutable.
 */
final class TrainDefaults implements CommandLine.IDefaultValueProvider {
    private final Map<String, String> fromConfig;
    private final Map<String, String> fromCheckpoint;

    private TrainDefaults(Map<String, String> fromConfig, Map<String, String> fromCheckpoint) {
        this.fromConfig = fromConfig;
        this.fromCheckpoint = fromCheckpoint;
    }

    /** No defaults beyond the built-in ones. */
    static final TrainDefaults NONE = new TrainDefaults(Map.of(), Map.of());

    /**
     * Reads the {@code --config} file and the {@code --resume} checkpoint named in {@code args} (a whole command
     * line; only what follows {@code train} counts; the last occurrence of an option wins, as when parsing).
     *
     * @throws UserInputException if the file or the checkpoint cannot be used
     */
    static TrainDefaults scan(String[] args) {
        int train = -1;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("train")) {
                train = i;
                break;
            }
            if (!args[i].startsWith("-")) {
                return NONE; // another command
            }
        }
        if (train < 0) {
            return NONE;
        }
        String config = null;
        String resume = null;
        for (int i = train + 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--config") && i + 1 < args.length) {
                config = args[++i];
            } else if (a.startsWith("--config=")) {
                config = a.substring("--config=".length());
            } else if (a.equals("--resume") && i + 1 < args.length) {
                resume = args[++i];
            } else if (a.startsWith("--resume=")) {
                resume = a.substring("--resume=".length());
            }
        }
        Map<String, String> fromConfig = config == null ? Map.of() : ConfigFile.read(path("--config", config));
        if (resume == null) {
            resume = fromConfig.get("resume");
        }
        Map<String, String> fromCheckpoint = Map.of();
        if (resume != null) {
            Checkpoint c = CheckpointStore.resolve(path("--resume", resume));
            fromCheckpoint = new java.util.LinkedHashMap<>(ConfigFile.toOptionValues(
                    new ObjectMapper().valueToTree(c.manifest().config()),
                    "the options recorded in checkpoint " + c.dir(), true));
            Path root = c.dir().toAbsolutePath().normalize().getParent();
            if (root != null) { // keep checkpointing where the run is, wherever it is resumed from
                fromCheckpoint.put("checkpoint-dir", root.toString());
            }
        }
        return new TrainDefaults(fromConfig, fromCheckpoint);
    }

    private static Path path(String option, String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new UserInputException(option + " '" + text + "' is not a valid path: " + e.getReason());
        }
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o)) {
            return null;
        }
        String key = TrainSettings.key(o);
        String v = fromConfig.get(key);
        return v != null ? v : fromCheckpoint.get(key);
    }
}
