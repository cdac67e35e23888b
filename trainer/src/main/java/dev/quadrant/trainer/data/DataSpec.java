package dev.quadrant.trainer.data;

import dev.quadrant.device.UserInputException;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value of the {@code --data} option: where the training and test data come from.
 *
 * <table>
 * <caption>Forms</caption>
 * <tr><th>text</th><th>meaning</th></tr>
 * <tr><td>{@code synthetic}</td><td>{@link SyntheticData}, 784 features, 10 classes, 10000 training and 2000 test
 *     samples</td></tr>
 * <tr><td>{@code synthetic:FxCxN}</td><td>{@link SyntheticData} with F features, C classes, N training samples and
 *     {@code max(1, N / 5)} test samples, e.g. {@code synthetic:64x4x5000}</td></tr>
 * <tr><td>{@code idx:DIR}</td><td>{@link IdxReader}: the four MNIST-style files in DIR</td></tr>
 * <tr><td>{@code csv:FILE}</td><td>{@link CsvReader}: one CSV file, split by the test fraction</td></tr>
 * </table>
 *
 * <p>Parsing only checks the text; files are opened by {@link #load}. Immutable and thread-safe; {@code equals}
 * compares the parsed values and {@code toString} gives the canonical text. Example:
 * <pre>{@code
 * DataSplit data = DataSpec.parse("synthetic:64x4x5000").load(42, CsvReader.LAST_COLUMN, 0.1);
 * }</pre>
 */
public final class DataSpec {
    /** Where the data comes from. */
    public enum Kind {
        /** {@link SyntheticData}. */
        SYNTHETIC,
        /** {@link IdxReader}. */
        IDX,
        /** {@link CsvReader}. */
        CSV,
        /** {@link TextData}: characters of a UTF-8 text. */
        TEXT,
        /** {@link TextData#readTokens}: uint16 token ids, as nanoGPT and llm.c write them. */
        TOKENS
    }

    /** The option this parses, as error messages name it. */
    public static final String OPTION = "--data";
    /** The default value of the option. */
    public static final String DEFAULT = "synthetic";
    /** The forms the option accepts, as error messages list them. */
    public static final String FORMS =
            "synthetic, synthetic:FEATURESxCLASSESxSAMPLES (e.g. synthetic:784x10x10000), idx:DIR, csv:FILE, "
            + "text:FILE, tokens:FILE";
    /** Features of plain {@code synthetic}. */
    public static final int DEFAULT_FEATURES = 784;
    /** Classes of plain {@code synthetic}. */
    public static final int DEFAULT_CLASSES = 10;
    /** Training samples of plain {@code synthetic} (test samples: a fifth of it). */
    public static final int DEFAULT_SAMPLES = 10_000;

    private static final Pattern SHAPE = Pattern.compile("(\\d{1,10})x(\\d{1,10})x(\\d{1,10})");

    private final Kind kind;
    private final int features;
    private final int classes;
    private final int samples;
    private final Path path;

    private DataSpec(Kind kind, int features, int classes, int samples, Path path) {
        this.kind = kind;
        this.features = features;
        this.classes = classes;
        this.samples = samples;
        this.path = path;
    }

    /**
     * Parses the option text.
     *
     * @throws UserInputException naming {@code --data}, the text and the accepted forms, if the text is none of them
     *                            or a synthetic size is out of range
     */
    public static DataSpec parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.equals("synthetic")) {
            return synthetic(DEFAULT_FEATURES, DEFAULT_CLASSES, DEFAULT_SAMPLES);
        }
        if (text.startsWith("synthetic:")) {
            Matcher m = SHAPE.matcher(text.substring("synthetic:".length()));
            if (!m.matches()) {
                throw bad(text, "FEATURESxCLASSESxSAMPLES after synthetic: must be three positive integers");
            }
            long f = Long.parseLong(m.group(1));
            long c = Long.parseLong(m.group(2));
            long n = Long.parseLong(m.group(3));
            if (f < 1 || f > Integer.MAX_VALUE) {
                throw bad(text, "FEATURES is " + f + ", expected at least 1");
            }
            if (c < 2 || c > Dataset.MAX_CLASSES) {
                throw bad(text, "CLASSES is " + c + ", expected 2.." + Dataset.MAX_CLASSES);
            }
            if (n < 1 || n > Integer.MAX_VALUE) {
                throw bad(text, "SAMPLES is " + n + ", expected at least 1");
            }
            if (f * n > Dataset.MAX_ARRAY_LENGTH) {
                throw bad(text, "FEATURES x SAMPLES is " + f * n + " values, expected at most "
                        + Dataset.MAX_ARRAY_LENGTH + " (the largest Java array)");
            }
            return synthetic((int) f, (int) c, (int) n);
        }
        int colon = text.indexOf(':');
        Kind fileKind = colon < 0 ? null : switch (text.substring(0, colon)) {
            case "idx" -> Kind.IDX;
            case "csv" -> Kind.CSV;
            case "text" -> Kind.TEXT;
            case "tokens" -> Kind.TOKENS;
            default -> null;
        };
        if (fileKind != null) {
            String where = text.substring(colon + 1);
            if (where.isBlank()) {
                throw bad(text, (fileKind == Kind.IDX ? "DIR" : "FILE") + " is empty");
            }
            try {
                return new DataSpec(fileKind, 0, 0, 0, Path.of(where));
            } catch (InvalidPathException e) {
                throw bad(text, "\"" + where + "\" is not a valid path (" + e.getReason() + ")");
            }
        }
        throw bad(text, null);
    }

    private static DataSpec synthetic(int features, int classes, int samples) {
        return new DataSpec(Kind.SYNTHETIC, features, classes, samples, null);
    }

    private static UserInputException bad(String text, String detail) {
        return new UserInputException(OPTION + ": saw \"" + text + "\", expected one of " + FORMS
                + (detail == null ? "" : " (" + detail + ")"));
    }

    /**
     * Makes the data this option names.
     *
     * @param seed            seeds the synthetic generator (ignored for files)
     * @param csvLabelColumn  label column of a CSV file: 0-based, negative counts from the end
     *                        ({@link CsvReader#LAST_COLUMN}); ignored for other kinds
     * @param csvTestFraction fraction of a CSV file's rows, taken from its end, that form the test set
     *                        ({@link CsvReader#DEFAULT_TEST_FRACTION}); ignored for other kinds
     * @throws UserInputException if a file is missing, unreadable or malformed ({@link DataFormatException})
     */
    public DataSplit load(long seed, int csvLabelColumn, double csvTestFraction) {
        return load(seed, csvLabelColumn, csvTestFraction, 0);
    }

    /**
     * As {@link #load(long, int, double)}; {@code sequenceLength} is the window a language model reads (its ctx),
     * which text and token data need (a {@link UserInputException} says so when it is 0).
     */
    public DataSplit load(long seed, int csvLabelColumn, double csvTestFraction, int sequenceLength) {
        if (kind == Kind.CSV || kind == Kind.TEXT || kind == Kind.TOKENS) {
            dev.quadrant.trainer.io.InputFiles.requireRegular(OPTION + " " + this + ":", path); // no FIFO, no /dev/zero
        }
        return switch (kind) {
            case SYNTHETIC -> SyntheticData.generate(features, classes, samples, testSamples(), seed);
            case IDX -> IdxReader.read(path);
            case CSV -> CsvReader.readSplit(path, csvLabelColumn, csvTestFraction);
            case TEXT -> TextData.read(path, needWindow(sequenceLength));
            case TOKENS -> TextData.readTokens(path, needWindow(sequenceLength));
        };
    }

    private int needWindow(int sequenceLength) {
        if (sequenceLength <= 0) {
            throw new UserInputException(OPTION + " " + this + " holds a sequence: it needs a sequence model, e.g. "
                    + "--model gpt:layers=4,heads=4,dim=128,ctx=64");
        }
        return sequenceLength;
    }

    /** Which of the forms this is. */
    public Kind kind() { return kind; }

    /** Synthetic features; 0 for files. */
    public int features() { return features; }

    /** Synthetic classes; 0 for files. */
    public int classes() { return classes; }

    /** Synthetic training samples; 0 for files. */
    public int samples() { return samples; }

    /** Synthetic test samples, {@code max(1, samples / 5)}; 0 for files. */
    public int testSamples() { return kind == Kind.SYNTHETIC ? Math.max(1, samples / 5) : 0; }

    /** The directory (IDX) or file (CSV); null for synthetic data. */
    public Path path() { return path; }

    /** Whether {@link #path()} is a file ({@code csv:}, {@code text:}, {@code tokens:}) rather than a directory. */
    public boolean isFile() { return kind == Kind.CSV || kind == Kind.TEXT || kind == Kind.TOKENS; }

    @Override
    public String toString() {
        return switch (kind) {
            case SYNTHETIC -> "synthetic:" + features + "x" + classes + "x" + samples;
            case IDX -> "idx:" + path;
            case CSV -> "csv:" + path;
            case TEXT -> "text:" + path;
            case TOKENS -> "tokens:" + path;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataSpec d && d.kind == kind && d.features == features && d.classes == classes
                && d.samples == samples && Objects.equals(d.path, path);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, features, classes, samples, path);
    }
}
