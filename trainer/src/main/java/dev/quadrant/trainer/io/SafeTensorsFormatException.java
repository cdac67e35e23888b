package dev.quadrant.trainer.io;

import dev.quadrant.device.UserInputException;

/**
 * A safetensors file that is malformed or uses what Quadrant does not read. The one-line message names the file, the
 * field (header length, a tensor's {@code dtype}, {@code shape} or {@code data_offsets}, {@code __metadata__}),
 * the value seen and what was expected, for example:
 *
 * <pre>
 * safetensors file runs/a.safetensors: tensor "fc1.weight" data_offsets [0, 96]: spans 96 bytes but shape [4, 8] of F32 needs 128
 * </pre>
 */
public class SafeTensorsFormatException extends UserInputException {
    private static final long serialVersionUID = 1L;

    public SafeTensorsFormatException(String message) {
        super(message);
    }

    public SafeTensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
