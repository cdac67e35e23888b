package dev.quadrant.trainer.checkpoint;

import dev.quadrant.device.UserInputException;

/**
 * A checkpoint that cannot be used: a manifest that is malformed or of an unknown version, a file whose size or
 * SHA-256 differs from the manifest, a tensor missing or of the wrong shape. The one-line message names the file
 * and the field, for example:
 *
 * <pre>
 * checkpoint manifest runs/ck/step-000200/manifest.json: progress.step: saw -1, expected an integer &gt;= 0
 * checkpoint runs/ck/step-000200: model.safetensors: sha256 is 3f2a..., the manifest records 9b41... (the file changed or is damaged)
 * </pre>
 *
 * <p>A user error (exit status 2 on the command line). Immutable.
 */
public class CheckpointFormatException extends UserInputException {
    private static final long serialVersionUID = 1L;

    public CheckpointFormatException(String message) {
        super(message);
    }

    public CheckpointFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
