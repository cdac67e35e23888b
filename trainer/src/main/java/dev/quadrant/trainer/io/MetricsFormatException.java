package dev.quadrant.trainer.io;

import dev.quadrant.device.UserInputException;

/**
 * A metrics file (JSON lines) with a defect. The one-line message names the file and the line, for example:
 *
 * <pre>
 * metrics file runs/a.jsonl line 7: invalid JSON: Unexpected end-of-input (column 31)
 * </pre>
 */
public class MetricsFormatException extends UserInputException {
    private static final long serialVersionUID = 1L;

    public MetricsFormatException(String message) {
        super(message);
    }

    public MetricsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
