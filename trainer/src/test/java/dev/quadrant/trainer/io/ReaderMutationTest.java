package dev.quadrant.trainer.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random mutation of valid files: bit flips, interesting bytes, truncation, extension, length-field edits and
 * edits of the numbers inside the header. Runs a bounded number of mutants under every {@code mvn test} (the Jazzer
 * tests replay only their seeds there), deterministic for a given seed. The readers may accept a mutant or throw
 * their own format exception; anything else fails with the seed and iteration that reproduce it.
 */
class ReaderMutationTest {
    private static final int ITERATIONS = 10_000;
    private static final long[] LENGTHS = {0, 1, 7, 8, 63, 64, 65, 100_000_000, 100_000_001, Integer.MAX_VALUE,
        1L << 32, Long.MAX_VALUE, -1, Long.MIN_VALUE};
    private static final String[] NUMBERS = {"0", "-1", "1", "4", "8", "2147483647", "2147483648", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1e3", "1.5", "99999999999999999999"};

    @Test
    void safeTensorsReaderOnlyThrowsItsOwnException() {
        List<byte[]> seeds = List.of(SafeTensorsTestFiles.sample(),
                SafeTensorsTestFiles.file("{\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]},"
                        + "\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[8]));
        Random rnd = new Random(20251127L);
        int accepted = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] mutant = mutate(seeds.get(rnd.nextInt(seeds.size())), rnd, true);
            try {
                SafeTensors.read(mutant, "mutant");
                accepted++;
            } catch (SafeTensorsFormatException expected) {
                // fine
            } catch (RuntimeException | Error e) {
                fail("iteration " + i + " (seed 20251127): " + e + " on bytes " + Arrays.toString(mutant), e);
            }
        }
        System.out.printf("safetensors mutants: %d of %d accepted%n", accepted, ITERATIONS);
        assertTrue(accepted > ITERATIONS / 100, "mutants too broken to reach the reader's checks: " + accepted);
    }

    @Test
    void metricsReaderOnlyThrowsItsOwnException() {
        byte[] seed = ("{\"epoch\":1,\"strategy\":\"allreduce\",\"train_loss\":0.69,\"test_accuracy\":0.5}\n"
                + "{\"epoch\":2,\"train_loss\":null,\"ok\":true,\"s\":\"\\u00e9\\n\"}\n").getBytes(StandardCharsets.UTF_8);
        Random rnd = new Random(42L);
        int accepted = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] mutant = mutate(seed, rnd, false);
            try {
                MetricsReader.read(new ByteArrayInputStream(mutant), "mutant");
                accepted++;
            } catch (MetricsFormatException expected) {
                // fine
            } catch (IOException | RuntimeException | Error e) {
                fail("iteration " + i + " (seed 42): " + e + " on "
                        + new String(mutant, StandardCharsets.ISO_8859_1), e);
            }
        }
        System.out.printf("metrics mutants: %d of %d accepted%n", accepted, ITERATIONS);
        assertTrue(accepted > ITERATIONS / 100, "mutants too broken to reach the reader's checks: " + accepted);
    }

    /** 1 to 4 random edits of {@code seed}. */
    static byte[] mutate(byte[] seed, Random rnd, boolean lengthField) {
        byte[] b = seed.clone();
        int edits = 1 + rnd.nextInt(4);
        for (int e = 0; e < edits && b.length > 0; e++) {
            switch (rnd.nextInt(lengthField ? 7 : 6)) {
                case 0 -> b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> b[rnd.nextInt(b.length)] = (byte) new int[] {0, 0x7f, 0x80, 0xff, '"', '{', '}', '[', ']',
                    ',', ':', '\\', '\n', '-', '0', 'e'}[rnd.nextInt(16)];
                case 2 -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
                case 3 -> {
                    int extra = rnd.nextInt(16);
                    byte[] longer = Arrays.copyOf(b, b.length + extra);
                    for (int k = b.length; k < longer.length; k++) {
                        longer[k] = (byte) rnd.nextInt(256);
                    }
                    b = longer;
                }
                case 4, 5 -> b = replaceNumber(b, rnd, lengthField);
                default -> {
                    if (b.length >= 8) {
                        long v = rnd.nextBoolean() ? LENGTHS[rnd.nextInt(LENGTHS.length)]
                                : ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() + rnd.nextInt(17) - 8;
                        ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
                    }
                }
            }
        }
        return b;
    }

    /**
     * Replaces one run of ASCII digits with an interesting number; inside a safetensors header the length field is
     * adjusted so that the edit reaches the header's validation rather than failing on the length.
     */
    private static byte[] replaceNumber(byte[] b, Random rnd, boolean lengthField) {
        int start = rnd.nextInt(b.length);
        while (start < b.length && (b[start] < '0' || b[start] > '9')) {
            start++;
        }
        if (start == b.length) {
            return b;
        }
        int end = start;
        while (end < b.length && b[end] >= '0' && b[end] <= '9') {
            end++;
        }
        byte[] number = NUMBERS[rnd.nextInt(NUMBERS.length)].getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[b.length - (end - start) + number.length];
        System.arraycopy(b, 0, out, 0, start);
        System.arraycopy(number, 0, out, start, number.length);
        System.arraycopy(b, end, out, start + number.length, b.length - end);
        if (lengthField && start >= 8) {
            ByteBuffer field = ByteBuffer.wrap(out, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
            long headerLength = field.getLong(0);
            if (headerLength >= 0 && start < 8 + headerLength) {
                field.putLong(0, headerLength + out.length - b.length);
            }
        }
        return out;
    }
}
