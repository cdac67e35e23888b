package dev.quadrant.trainer.data;

import java.io.IOException;
import java.io.Reader;

/**
 * Lines of a text stream, as {@link java.io.BufferedReader#readLine} splits them ({@code \n}, {@code \r\n} or
 * {@code \r}), but never longer than a limit: a file without line breaks ({@code /dev/zero}, a binary file given as
 * CSV) fails after {@code maxChars} characters with a message naming the file and the line, instead of growing one
 * line until the heap is gone. Not thread-safe.
 */
final class BoundedLineReader {
    private final Reader in;
    private final String file;
    private final int maxChars;
    private final char[] buf = new char[1 << 16];
    private int pos;
    private int lim;
    private boolean skipLf;                 // the last line ended with \r: a following \n belongs to it
    private final StringBuilder line = new StringBuilder();
    private long lineNumber;

    BoundedLineReader(Reader in, String file, int maxChars) {
        this.in = in;
        this.file = file;
        this.maxChars = maxChars;
    }

    /** The next line without its terminator, or null at the end. */
    String readLine() throws IOException {
        line.setLength(0);
        boolean any = false;
        while (true) {
            if (pos == lim) {
                lim = in.read(buf, 0, buf.length);
                pos = 0;
                if (lim <= 0) {
                    lim = 0;
                    if (!any) {
                        return null;
                    }
                    lineNumber++;
                    return line.toString();
                }
            }
            if (skipLf) {
                skipLf = false;
                if (buf[pos] == '\n') {
                    pos++;
                    continue;
                }
            }
            any = true;
            int start = pos;
            while (pos < lim && buf[pos] != '\n' && buf[pos] != '\r') {
                pos++;
            }
            if (line.length() + (pos - start) > maxChars) {
                throw new DataFormatException(file, "line " + (lineNumber + 1), "more than " + maxChars
                        + " characters without a line break", "lines of at most " + maxChars
                        + " characters (is this a text file of the expected format?)");
            }
            line.append(buf, start, pos - start);
            if (pos < lim) {
                skipLf = buf[pos] == '\r';
                pos++;
                lineNumber++;
                return line.toString();
            }
        }
    }
}
