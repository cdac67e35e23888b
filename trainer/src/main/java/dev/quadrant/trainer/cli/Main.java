package dev.quadrant.trainer.cli;

import java.io.PrintWriter;

import dev.quadrant.device.UserInputException;
import dev.quadrant.bindings.NativeException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code quadrant} command.
 *
 * <p>Exit status: 0 success, 1 internal error, 2 a user error (bad option, bad data or checkpoint file, device not
 * present), with a one-line message; {@code --verbose} adds the stack trace.
 */
@Command(name = "quadrant", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train neural networks on every CPU core or GPU of one machine, with four parallel strategies.",
        subcommands = {TrainCommand.class, EvalCommand.class, DevicesCommand.class, SelftestCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit status of a user error. */
    public static final int USER_ERROR = 2;
    /** Exit status of an internal error. */
    public static final int INTERNAL_ERROR = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: train, eval or devices");
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given output streams and returns the exit status (for tests). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
    }

    /** The configured picocli command line (exception handling and exit codes included). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOverwrittenOptionsAllowed(true); // the last of a repeated option wins, as in most tools
        cl.setExitCodeExceptionMapper(t -> t instanceof UserInputException ? USER_ERROR : INTERNAL_ERROR);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            PrintWriter w = c.getErr();
            w.println("quadrant: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, w);
            w.println("See '" + c.getCommandSpec().qualifiedName() + " --help' for the options.");
            return USER_ERROR;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
            PrintWriter w = c.getErr();
            Throwable user = findUserError(ex);
            if (user != null) {
                w.println("quadrant: error: " + user.getMessage());
                if (verbose) {
                    ex.printStackTrace(w);
                }
                return USER_ERROR;
            }
            w.println("quadrant: internal error: " + ex);
            if (ex instanceof NativeException) {
                w.println("(a native library call failed; run with --verbose for details)");
            }
            ex.printStackTrace(w);
            return INTERNAL_ERROR;
        });
        return cl;
    }

    private static Throwable findUserError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UserInputException) {
                return c;
            }
        }
        return null;
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"quadrant " + (v == null ? "(development build)" : v)};
        }
    }
}
