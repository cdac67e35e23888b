package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.quadrant.device.UserInputException;

/**
 * Coverage-guided fuzzing of the IDX reader ({@link IdxFile}, {@link GzipStream}, {@link IdxReader}) with Jazzer, on
 * files held in memory. Under a plain {@code mvn test} (regression mode) only the seeds in
 * {@code src/test/resources/dev/quadrant/trainer/data/IdxReaderFuzzTestInputs/<method>/} (and any crash files saved
 * there) are replayed. To fuzz one target, e.g. for a minute:
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -B -o -pl trainer -am test -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dtest='IdxReaderFuzzTest#readImages' -Djazzer.max_duration=60s '-Djazzer.instrument=dev.quadrant.**'
 * </pre>
 *
 * <p>Property: on any bytes the reader returns or throws a {@link UserInputException} (in practice a
 * {@link DataFormatException}); never another exception, an {@link OutOfMemoryError} (a header that claims more data
 * than the file can hold is refused before allocation) or a hang. What it accepts is consistent (pixel count =
 * count x rows x cols, pixels in [0, 1]) and reads back equal once written as a raw IDX file.
 */
class IdxReaderFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void readImages(byte[] data) {
        IdxFile.Images images;
        try {
            images = IdxFile.readImages(IdxFile.Source.of("fuzz-input", data));
        } catch (UserInputException expected) {
            return;
        }
        assertEquals((long) images.count() * images.rows() * images.cols() * images.channels(), images.pixels().length);
        byte[] raw = new byte[images.pixels().length];
        for (int i = 0; i < raw.length; i++) {
            float p = images.pixels()[i];
            assertTrue(p >= 0 && p <= 1, "pixel " + i + " is " + p);
            raw[i] = (byte) Math.round(p * 255f);
        }
        IdxFile.Images again = IdxFile.readImages(IdxFile.Source.of("rewritten",
                idx(IdxFile.IMAGES_MAGIC, raw, images.count(), images.rows(), images.cols())));
        assertArrayEquals(images.pixels(), again.pixels());
    }

    @FuzzTest(maxDuration = "60s")
    void readLabels(byte[] data) {
        IdxFile.Labels labels;
        try {
            // a name ending in .gz makes the reader insist on gzip; without, it goes by the first two bytes
            String name = data.length % 2 == 0 ? "fuzz-input" : "fuzz-input.gz";
            labels = IdxFile.readLabels(IdxFile.Source.of(name, data));
        } catch (UserInputException expected) {
            return;
        }
        assertEquals(labels.count(), labels.labels().length);
        byte[] raw = new byte[labels.count()];
        int max = 0;
        for (int i = 0; i < raw.length; i++) {
            assertTrue(labels.labels()[i] >= 0 && labels.labels()[i] <= 255);
            raw[i] = (byte) labels.labels()[i];
            max = Math.max(max, labels.labels()[i]);
        }
        assertEquals(max, labels.max());
        IdxFile.Labels again = IdxFile.readLabels(IdxFile.Source.of("rewritten",
                idx(IdxFile.LABELS_MAGIC, raw, labels.count())));
        assertArrayEquals(labels.labels(), again.labels());
    }

    /**
     * All four files at once: the input is cut into four parts, each preceded by its length as a 4-byte little-endian
     * number (clamped to what is left; the last part takes the rest).
     */
    @FuzzTest(maxDuration = "60s")
    void readSplit(byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        IdxFile.Source[] files = new IdxFile.Source[4];
        for (int i = 0; i < 4; i++) {
            int len = in.remaining();
            if (i < 3 && in.remaining() >= 4) {
                len = (int) Math.min(Integer.toUnsignedLong(in.getInt()), in.remaining());
            }
            byte[] part = new byte[len];
            in.get(part);
            files[i] = IdxFile.Source.of(IdxReader.FILES.get(i), part);
        }
        DataSplit split;
        try {
            split = IdxReader.read("fuzz", files);
        } catch (UserInputException expected) {
            return;
        }
        assertEquals(((Dataset) split.train()).features(), ((Dataset) split.test()).features());
        assertEquals(((Dataset) split.train()).classes(), ((Dataset) split.test()).classes());
        assertTrue(((Dataset) split.train()).classes() >= 2);
        assertTrue(Arrays.stream(((Dataset) split.test()).y()).allMatch(y -> y < ((Dataset) split.test()).classes()));
    }

    static byte[] idx(int magic, byte[] payload, int... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(payload);
        return b.array();
    }
}
