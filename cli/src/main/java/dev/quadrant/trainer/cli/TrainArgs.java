package dev.quadrant.trainer.cli;

import java.util.List;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.train.TrainOptions;
import picocli.CommandLine;

/**
 * {@code quadrant train}'s flags parsed into {@link TrainOptions} exactly as the command parses them, for programs
 * (benchmarks, tools) that describe a run by the flags a user would type. Stateless.
 *
 * <pre>{@code
 * TrainOptions o = TrainArgs.parse(List.of("--model", "mlp:1024-1024", "--batch", "256"));
 * }</pre>
 */
public final class TrainArgs {
    private TrainArgs() {}

    /**
     * New options with {@code args} applied; a flag {@code quadrant train} does not know, or a value of the wrong
     * type, is a {@link UserInputException} naming it. Ranges are checked later, by {@code Training.setup}.
     */
    public static TrainOptions parse(List<String> args) {
        TrainOptions o = new TrainOptions();
        try {
            new CommandLine(TrainSettings.spec(o)).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new UserInputException(e.getMessage() + " (flags: " + String.join(" ", args) + ")");
        }
        return o;
    }
}
