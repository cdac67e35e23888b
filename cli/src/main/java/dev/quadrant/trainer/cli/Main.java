package dev.quadrant.trainer.cli;

import java.io.PrintWriter;

import dev.quadrant.device.UserInputException;
import dev.quadrant.bindings.NativeException;
import dev.quadrant.trainer.io.Messages;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code quadrant} command.
 *
 * <p>Exit status: 0 success, 1 internal error, 2 a user error (bad option, bad data or checkpoint file, device not
 * present), with a one-line message; {@code --verbose} adds the stack trace.
 *
 * <p>Diagnostics (checkpoints written, resumed from, skipped steps) are logged through SLF4J to standard error;
 * {@link #main} configures slf4j-simple for a terminal (level info, or debug with {@code --verbose}; time of day;
 * no thread or logger names) unless the corresponding {@code org.slf4j.simpleLogger.*} system property is set. The
 * per-epoch lines go to standard output.
 */
@Command(name = "quadrant", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train neural networks on every CPU core or GPU of one machine, with four parallel strategies.",
        subcommands = {TrainCommand.class, EvalCommand.class, SampleCommand.class, PlotCommand.class, LabCommand.class, DevicesCommand.class,
                SelftestCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit status of a user error. */
    public static final int USER_ERROR = 2;
    /** Exit status of an internal error. */
    public static final int INTERNAL_ERROR = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "a command is required: train, eval, plot or devices");
    }

    public static void main(String[] args) {
        configureLogging(java.util.Arrays.asList(args).contains("--verbose"));
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Sets the slf4j-simple properties for command-line use, leaving any that are already set. */
    static void configureLogging(boolean verbose) {
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "info");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showLogName", "false");
        setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** Runs the command line with the given output streams and returns the exit status (for tests). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        TrainDefaults defaults;
        try {
            defaults = TrainDefaults.scan(args);
        } catch (UserInputException e) {
            err.println("quadrant: error: " + Messages.printable(e.getMessage()));
            if (java.util.Arrays.asList(args).contains("--verbose")) {
                e.printStackTrace(err);
            }
            err.flush();
            return USER_ERROR;
        }
        cl.getSubcommands().get("train").setDefaultValueProvider(defaults);
        return cl.execute(args);
    }

    /** The configured picocli command line (exception handling and exit codes included). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        CommandLine train = cl.getSubcommands().get("train");
        train.getCommandSpec().addMixin("options", TrainSettings.spec(train.<TrainCommand>getCommand().options));
        CommandLine lab = cl.getSubcommands().get("lab");
        lab.getCommandSpec().addMixin("options", TrainSettings.spec(lab.<LabCommand>getCommand().options));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOverwrittenOptionsAllowed(true); // the last of a repeated option wins, as in most tools
        cl.setExitCodeExceptionMapper(t -> t instanceof UserInputException ? USER_ERROR : INTERNAL_ERROR);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            PrintWriter w = c.getErr();
            w.println("quadrant: " + Messages.printable(ex.getMessage()));
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
                w.println("quadrant: error: " + Messages.printable(user.getMessage()));
                if (verbose) {
                    ex.printStackTrace(w);
                }
                return USER_ERROR;
            }
            w.println("quadrant: internal error: " + Messages.printable(ex.toString()));
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
