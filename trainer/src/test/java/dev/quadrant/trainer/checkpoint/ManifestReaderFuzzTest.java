package dev.quadrant.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of {@link ManifestReader} with Jazzer; see {@code dev.quadrant.trainer.io.SafeTensorsFuzzTest}
 * for how to run it ({@code -Dtest='ManifestReaderFuzzTest#readManifest'}, and add {@code com.fasterxml.jackson.**}
 * to {@code jazzer.instrument} for guidance inside the JSON parser). Seeds:
 * {@code src/test/resources/dev/quadrant/trainer/checkpoint/ManifestReaderFuzzTestInputs/readManifest/}.
 *
 * <p>Property: on any bytes the reader returns a manifest or throws a {@link CheckpointFormatException}, never
 * another exception; what it accepts, {@link CheckpointManifest#toJson()} writes back to an equal manifest.
 */
class ManifestReaderFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void readManifest(byte[] data) {
        CheckpointManifest m;
        try {
            m = ManifestReader.read(data, "fuzz-input");
        } catch (CheckpointFormatException expected) {
            return;
        }
        assertEquals(m, ManifestReader.read(m.toJson(), "rewritten"));
    }
}
