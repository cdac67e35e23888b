package dev.quadrant.trainer.cli;

import picocli.CommandLine.Option;

/** The {@code --verbose} flag every command has (the error handler looks for it by name). */
public class VerboseOption {
    @Option(names = "--verbose", order = 103, description = "print stack traces of errors")
    public boolean verbose;
}
