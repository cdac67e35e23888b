package dev.quadrant.trainer.data;

import dev.quadrant.device.UserInputException;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

/**
 * Reads a classification dataset from a CSV file: comma-separated numbers, one row per line, one column holding the
 * integer class label and every other column a feature.
 *
 * <p>The format, exactly:
 * <ul>
 *   <li>RFC 4180 as read by jackson-dataformat-csv: fields are separated by commas and may be quoted
 *       ({@code "1,5"} is one field, {@code ""} inside quotes one quote character). Whitespace around a field is
 *       trimmed, blank lines are skipped, lines may end in {@code \n} or {@code \r\n}. The encoding is UTF-8, or
 *       UTF-16/32 when the file starts with their byte order mark; a UTF-8 byte order mark is ignored.</li>
 *   <li>The label column is chosen by the caller: {@code 0} is the first column, a negative index counts from the
 *       end ({@code -1}, {@link #LAST_COLUMN}, the default, is the last column).</li>
 *   <li>An optional header: the first non-blank row is a header if one of its <em>feature</em> columns is not a
 *       number; otherwise it is data.</li>
 *   <li>Features are decimal numbers ({@code 3}, {@code -0.25}, {@code 1e-3}) that fit a float; {@code NaN},
 *       {@code Infinity}, hexadecimal and empty fields are errors. Labels are integers 0 to
 *       {@link Dataset#MAX_CLASSES}{@code - 1} ({@code 3.0} is accepted as 3); {@code classes} is the largest label
 *       plus one, at least 2.</li>
 *   <li>Every row has as many fields as the first one.</li>
 * </ul>
 * Errors are {@link DataFormatException}s naming the file, the row (the 1-based line number where the row starts, as
 * an editor shows it), the 1-based column, the text seen and what was expected. A field is at most
 * {@link #MAX_FIELD_CHARS} characters and a row at most {@link #MAX_COLUMNS} columns, so a file without line ends
 * ({@code csv:/dev/zero}) is refused instead of filling the memory.
 *
 * <p><b>Test split.</b> {@link #readSplit} keeps the file order: the <em>last</em> {@code ceil(rows * testFraction)}
 * rows become the test set and the rows before them the training set (shuffle the file first if its order means
 * something, for example if it is sorted by label). The fraction is applied in decimal, so 0.3 of 10 rows is 3.
 *
 * <p>Stateless; thread-safe. Example:
 * <pre>{@code
 * // iris.csv: sepal_length,sepal_width,petal_length,petal_width,species   (species 0, 1 or 2)
 * DataSplit iris = CsvReader.readSplit(Path.of("iris.csv"), CsvReader.LAST_COLUMN, 0.2);
 * }</pre>
 */
public final class CsvReader {
    /** Label column index meaning "the last column". */
    public static final int LAST_COLUMN = -1;
    /** The test fraction used when the user gives none. */
    public static final double DEFAULT_TEST_FRACTION = 0.1;

    /** The longest field read, in characters. */
    public static final int MAX_FIELD_CHARS = 1 << 20;
    /** The most columns a row may have. */
    public static final int MAX_COLUMNS = 1 << 20;

    /**
     * The most bytes of one line. Jackson bounds each field ({@link #MAX_FIELD_CHARS}) but skips the blanks that
     * {@code TRIM_SPACES} trims (NUL among them) without counting them, so {@code csv:/dev/zero} would be read forever.
     */
    public static final long MAX_LINE_BYTES = 64L << 20;

    private static final CsvFactory FACTORY = CsvFactory.builder()
            .enable(CsvParser.Feature.WRAP_AS_ARRAY)
            .enable(CsvParser.Feature.TRIM_SPACES)
            .enable(CsvParser.Feature.SKIP_EMPTY_LINES)
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_FIELD_CHARS).build())
            .build();

    private CsvReader() {}

    /**
     * Reads the whole file as one dataset named after the file (without its extension).
     *
     * @param labelColumn 0-based index of the label column; negative counts from the end
     * @throws DataFormatException if the file is malformed
     * @throws UserInputException  if it cannot be read, or {@code labelColumn} is outside the file's columns
     */
    public static Dataset read(Path file, int labelColumn) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), fileName(file), labelColumn);
        } catch (IOException e) {
            throw new UserInputException(file + ": cannot read: " + e, e);
        }
    }

    /**
     * Reads CSV text from {@code in} (not closed); {@code source} names it in messages and the dataset is called
     * {@code datasetName}. For data in memory (tests, fuzzing).
     */
    static Dataset read(InputStream in, String source, String datasetName, int labelColumn) {
        return new Parser(source, datasetName, labelColumn).parse(in);
    }

    /**
     * Reads the file and splits it in file order: the last {@code ceil(rows * testFraction)} rows are the test set.
     *
     * @param testFraction in (0, 1); both parts must get at least one row
     * @throws UserInputException if the fraction is out of range or leaves one part empty, or as {@link #read}
     */
    public static DataSplit readSplit(Path file, int labelColumn, double testFraction) {
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new UserInputException("test fraction: saw " + testFraction + ", expected a number in (0, 1)");
        }
        Dataset all = read(file, labelColumn);
        int test = testRows(all.rows(), testFraction);
        int train = all.rows() - test;
        if (train < 1) {
            throw new UserInputException(file + ": " + all.rows() + " rows with test fraction " + testFraction
                    + " leave no training rows, expected at least " + (test + 1) + " rows or a smaller fraction");
        }
        String base = all.name();
        return new DataSplit(all.rows(base + "/train", 0, train), all.rows(base + "/test", train, all.rows()));
    }

    /** {@code ceil(rows * fraction)} computed in decimal (so that 10 x 0.7 is 7, not 8); at least 1. */
    static int testRows(int rows, double fraction) {
        BigDecimal exact = BigDecimal.valueOf(fraction).multiply(BigDecimal.valueOf(rows));
        return Math.max(1, exact.setScale(0, RoundingMode.CEILING).intValueExact());
    }

    /** Refuses a line of more than {@link #MAX_LINE_BYTES} bytes, as the bytes arrive. Not thread-safe. */
    private static final class LineBounded extends java.io.FilterInputStream {
        private final String file;
        private long sinceBreak;
        private long line = 1;

        LineBounded(InputStream in, String file) {
            super(in);
            this.file = file;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count((byte) b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            for (int i = 0; i < n; i++) {
                count(b[off + i]);
            }
            return n;
        }

        private void count(byte b) {
            if (b == '\n' || b == '\r') {
                sinceBreak = 0;
                line += b == '\n' ? 1 : 0;
            } else if (++sinceBreak > MAX_LINE_BYTES) {
                throw new DataFormatException(file, "line " + line, "more than " + MAX_LINE_BYTES
                        + " bytes without a line break", "lines of CSV text (is it a CSV file?)");
            }
        }
    }

    /** One parse of one file; not reusable. */
    private static final class Parser {
        private final String fileName;
        private final String datasetName;
        private final int labelArg;
        private int columns = -1;
        private int labelColumn;
        private int headerLine = -1;
        private int firstDataLine = -1;
        private int rows;
        private float[] x = new float[1024];  // [rows, columns - 1]
        private int[] y = new int[64];        // [rows]
        private int maxLabel;

        Parser(String fileName, String datasetName, int labelArg) {
            this.fileName = fileName;
            this.datasetName = datasetName;
            this.labelArg = labelArg;
        }

        Dataset parse(InputStream stream) {
            List<String> cells = new ArrayList<>();
            long rowStart = 1; // the line the row being read starts on, for errors without a location
            try (JsonParser p = FACTORY.createParser(new LineBounded(stream, fileName))) {
                ((CsvParser) p).setSchema(CsvSchema.emptySchema());
                int lineNo = 0;
                int depth = 0; // the document is an array of rows, each an array of fields
                for (JsonToken t; (t = p.nextToken()) != null; ) {
                    if (t == JsonToken.START_ARRAY) {
                        depth++;
                        cells.clear();
                        rowStart = Math.max(1, p.currentLocation().getLineNr());
                    } else if (t == JsonToken.END_ARRAY) {
                        if (depth-- == 2 && !(cells.size() == 1 && cells.get(0).isEmpty())) { // not a line of blanks
                            row(cells, lineNo);
                        }
                    } else {
                        if (cells.isEmpty()) {
                            lineNo = p.currentTokenLocation().getLineNr(); // where the row's first field starts
                        }
                        if (cells.size() == MAX_COLUMNS) {
                            throw new DataFormatException(fileName, "row " + lineNo, "more than " + MAX_COLUMNS
                                    + " columns", "at most " + MAX_COLUMNS + " (is it a CSV file?)");
                        }
                        String cell = p.getText();
                        if (cells.isEmpty() && lineNo == 1 && !cell.isEmpty() && cell.charAt(0) == '\uFEFF') {
                            cell = cell.substring(1).strip();
                        }
                        cells.add(cell);
                    }
                }
            } catch (StreamConstraintsException e) {
                throw new DataFormatException(fileName, "row " + line(e, rowStart), "a field longer than " + MAX_FIELD_CHARS
                        + " characters", "fields of numbers (is it a CSV file?)");
            } catch (JsonProcessingException e) {
                throw new DataFormatException(fileName, "row " + line(e, rowStart), e.getOriginalMessage(),
                        "well-formed CSV (a quoted field ends with a quote)");
            } catch (IOException e) {
                throw new UserInputException(fileName + ": cannot read: " + e, e);
            }
            if (rows == 0) {
                throw new DataFormatException(fileName, "data rows", headerLine > 0 ? "only a header" : "none",
                        "at least one row of numbers");
            }
            int features = columns - 1;
            if (maxLabel < 1) {
                throw new DataFormatException(fileName, "label column " + (labelColumn + 1), "only label 0",
                        "at least two classes, labels 0 and 1 or more");
            }
            return new Dataset(datasetName, features, maxLabel + 1, Arrays.copyOf(x, rows * features),
                    Arrays.copyOf(y, rows));
        }

        private void row(List<String> cells, int lineNo) {
            int n = cells.size();
            if (columns < 0) {
                first(cells, lineNo);
                if (headerLine == lineNo) {
                    return;
                }
            } else if (n != columns) {
                throw new DataFormatException(fileName, "row " + lineNo, n + " columns",
                        columns + " columns as in row " + (headerLine > 0 ? headerLine : firstDataLine));
            }
            int features = columns - 1;
            long need = (long) (rows + 1) * features;
            if (need > Dataset.MAX_ARRAY_LENGTH) {
                throw new DataFormatException(fileName, "row " + lineNo, "more than " + rows + " rows of "
                        + features + " features", "at most " + Dataset.MAX_ARRAY_LENGTH + " values in total");
            }
            if (need > x.length) {
                x = Arrays.copyOf(x, (int) Math.min(Dataset.MAX_ARRAY_LENGTH, Math.max(need, 2L * x.length)));
            }
            if (rows == y.length) {
                y = Arrays.copyOf(y, 2 * y.length);
            }
            int out = rows * features;
            for (int c = 0; c < columns; c++) {
                if (c == labelColumn) {
                    y[rows] = label(cells.get(c), c, lineNo);
                    maxLabel = Math.max(maxLabel, y[rows]);
                } else {
                    x[out++] = feature(cells.get(c), c, lineNo);
                }
            }
            rows++;
        }

        /** The first non-blank row fixes the column count and the label column, and may be a header. */
        private void first(List<String> cells, int lineNo) {
            int n = cells.size();
            columns = n;
            if (n < 2) {
                throw new DataFormatException(fileName, "row " + lineNo, n + " column",
                        "at least 2 comma-separated columns (features and a label)");
            }
            if (labelArg >= n || labelArg < -n) {
                throw new UserInputException(fileName + ": label column: saw " + labelArg + ", expected " + -n + ".."
                        + (n - 1) + " for a file with " + n + " columns (0 is the first, -1 the last)");
            }
            labelColumn = labelArg < 0 ? n + labelArg : labelArg;
            for (int c = 0; c < n; c++) {
                if (c != labelColumn && !isNumber(cells.get(c))) {
                    headerLine = lineNo;
                    return;
                }
            }
            firstDataLine = lineNo;
        }

        private float feature(String cell, int c, int lineNo) {
            int small = smallInt(cell);
            if (small != Integer.MIN_VALUE) {
                return small;
            }
            if (!isNumber(cell)) {
                throw new DataFormatException(fileName, "row " + lineNo + " column " + (c + 1),
                        quote(cell), "a number");
            }
            float v = Float.parseFloat(cell);
            if (!Float.isFinite(v)) {
                throw new DataFormatException(fileName, "row " + lineNo + " column " + (c + 1),
                        quote(cell), "a number within the float range (about +-3.4e38)");
            }
            return v;
        }

        private int label(String cell, int c, int lineNo) {
            String field = "row " + lineNo + " column " + (c + 1) + " (the label)";
            String expected = "an integer class label 0.." + (Dataset.MAX_CLASSES - 1);
            int small = smallInt(cell);
            double v;
            if (small != Integer.MIN_VALUE) {
                v = small;
            } else if (isNumber(cell)) {
                v = Double.parseDouble(cell);
            } else {
                throw new DataFormatException(fileName, field, quote(cell), expected);
            }
            if (v != Math.rint(v) || v < 0 || v >= Dataset.MAX_CLASSES) {
                String what = v != Math.rint(v) ? " (not an integer)" : v < 0 ? " (negative)" : " (too large)";
                throw new DataFormatException(fileName, field, quote(cell) + what, expected);
            }
            return (int) v;
        }

        /** The value of an optionally signed integer of at most 7 digits (exact in a float), else MIN_VALUE. */
        private static int smallInt(String cell) {
            int i = 0;
            int e = cell.length();
            boolean negative = false;
            if (i < e && (cell.charAt(i) == '-' || cell.charAt(i) == '+')) {
                negative = cell.charAt(i) == '-';
                i++;
            }
            if (i == e || e - i > 7) {
                return Integer.MIN_VALUE;
            }
            int v = 0;
            for (; i < e; i++) {
                char ch = cell.charAt(i);
                if (ch < '0' || ch > '9') {
                    return Integer.MIN_VALUE;
                }
                v = 10 * v + (ch - '0');
            }
            return negative ? -v : v;
        }

        /** A decimal number: [+-] digits [. digits] [eE [+-] digits], with at least one mantissa digit. */
        static boolean isNumber(String cell) {
            int i = 0;
            int e = cell.length();
            if (i < e && (cell.charAt(i) == '+' || cell.charAt(i) == '-')) {
                i++;
            }
            int digits = 0;
            while (i < e && cell.charAt(i) >= '0' && cell.charAt(i) <= '9') {
                i++;
                digits++;
            }
            if (i < e && cell.charAt(i) == '.') {
                i++;
                while (i < e && cell.charAt(i) >= '0' && cell.charAt(i) <= '9') {
                    i++;
                    digits++;
                }
            }
            if (digits == 0) {
                return false;
            }
            if (i < e && (cell.charAt(i) == 'e' || cell.charAt(i) == 'E')) {
                i++;
                if (i < e && (cell.charAt(i) == '+' || cell.charAt(i) == '-')) {
                    i++;
                }
                int exponentDigits = 0;
                while (i < e && cell.charAt(i) >= '0' && cell.charAt(i) <= '9') {
                    i++;
                    exponentDigits++;
                }
                if (exponentDigits == 0) {
                    return false;
                }
            }
            return i == e;
        }

        private static String quote(String text) {
            if (text.length() > 40) {
                text = text.substring(0, 37) + "...";
            }
            return "\"" + text + "\"";
        }
    }

    /** The line of a parse error: its location's, else {@code fallback} (the row's start). */
    private static long line(JsonProcessingException e, long fallback) {
        return e.getLocation() != null && e.getLocation().getLineNr() > 0 ? e.getLocation().getLineNr() : fallback;
    }

    private static String fileName(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
