package dev.quadrant.trainer.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.quadrant.device.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzzing of {@link SafeTensors#read(byte[], String)} with Jazzer.
 *
 * <p>Under a plain {@code mvn test} (regression mode) this runs only the seed files in
 * {@code src/test/resources/dev/quadrant/trainer/io/SafeTensorsFuzzTestInputs/readSafeTensors/} plus any crash
 * reproducers saved there. To fuzz (one fuzz test per run):
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -B -o -pl trainer -am test -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dtest=SafeTensorsFuzzTest -Djazzer.max_duration=10m '-Djazzer.instrument=dev.quadrant.**,com.fasterxml.jackson.**'
 * </pre>
 *
 * ({@code jazzer.max_duration} overrides the annotation's 60 s; {@code jazzer.instrument} adds coverage guidance
 * inside Jackson, which by default is not instrumented because it comes from a jar.)
 * A finding is written to that inputs folder as {@code crash-<sha1>} and then replays in every later
 * {@code mvn test}; the working corpus goes to {@code trainer/.cifuzz-corpus/} (git-ignored).
 *
 * <p>Property: on any bytes the reader either returns or throws {@link SafeTensorsFormatException} (no other
 * exception, no {@link OutOfMemoryError}, no hang), and what it accepts survives a write and a re-read unchanged.
 */
class SafeTensorsFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void readSafeTensors(byte[] data) {
        SafeTensorsFile file;
        try {
            file = SafeTensors.read(data, "fuzz-input");
        } catch (SafeTensorsFormatException expected) {
            return;
        }
        List<NamedTensor> writable = new ArrayList<>();
        for (NamedTensor t : file.tensors()) {
            if (t.dtype() != DType.BF16) {
                writable.add(t);
            }
        }
        SafeTensorsFile again = SafeTensors.read(SafeTensors.toBytes(writable, file.metadata()), "rewritten");
        assertEquals(writable, again.tensors());
        assertEquals(file.metadata(), again.metadata());
    }
}
