package dev.quadrant.trainer.data;

import dev.quadrant.device.UserInputException;

import java.nio.file.Path;

/**
 * A data file that is not what its format requires: a wrong magic number, a count that disagrees with the data, a
 * truncated or corrupt file, a field that is not a number.
 *
 * <p>The message is one line: {@code FILE: FIELD: saw VALUE, expected EXPECTED}, for example
 * <pre>{@code
 * data/train-images-idx3-ubyte.gz: magic number: saw 0x00000801 (2049), expected 0x00000803 (2051: IDX images, unsigned bytes, 3 dimensions)
 * digits.csv: row 17 column 3: saw "1,5", expected a number
 * }</pre>
 * The parts are also available separately, so that tests and tools need not parse the message.
 *
 * <p>Immutable and thread-safe.
 */
public class DataFormatException extends UserInputException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final String field;
    private final String seen;
    private final String expected;

    /**
     * @param file     the file, as the user named it (or would recognise it)
     * @param field    what was being read: "magic number", "item count", "row 17 column 3", ...
     * @param seen     the value found, already formatted (quote text values)
     * @param expected what the format requires at that place
     */
    public DataFormatException(String file, String field, String seen, String expected) {
        this(file, field, seen, expected, null);
    }

    /** As {@link #DataFormatException(String, String, String, String)}, keeping the low-level cause. */
    public DataFormatException(String file, String field, String seen, String expected, Throwable cause) {
        super(file + ": " + field + ": saw " + seen + ", expected " + expected, cause);
        this.file = file;
        this.field = field;
        this.seen = seen;
        this.expected = expected;
    }

    /** As {@link #DataFormatException(String, String, String, String)} with the file given as a path. */
    public DataFormatException(Path file, String field, String seen, String expected) {
        this(file.toString(), field, seen, expected, null);
    }

    /** The file, as given to the constructor. */
    public String file() { return file; }

    /** The field that was wrong, for example {@code "item count"} or {@code "row 17 column 3"}. */
    public String field() { return field; }

    /** The value that was found. */
    public String seen() { return seen; }

    /** What the format requires. */
    public String expected() { return expected; }
}
