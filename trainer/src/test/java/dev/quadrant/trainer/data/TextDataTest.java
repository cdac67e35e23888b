package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.device.UserInputException;

/** Text and token corpora: vocabulary, split, windows, evaluation sets and every way a file can be wrong. */
class TextDataTest {
    @TempDir
    Path dir;

    Path write(String name, byte[] b) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, b);
        return p;
    }

    @Test
    void charactersBecomeSortedIdsSplitNinetyTen() throws IOException {
        String text = "\uFEFF" + "banana bread and a bandana, ".repeat(10);   // a leading byte-order mark is not text
        DataSplit s = TextData.read(write("t.txt", text.getBytes(StandardCharsets.UTF_8)), 4);
        Vocabulary v = s.vocabulary();
        assertEquals(" ,abdenr", v.chars(), "sorted distinct characters, the BOM dropped");
        int n = text.length() - 1;
        TextSamples train = (TextSamples) s.train();
        assertEquals((int) (n * 0.9) - 4, train.size(), "windows of ctx + 1 in the first 90%");
        assertEquals("tokens I32[4] of 8", train.schema().input().toString());
        long[] ids = {0, 1};
        int[] in = new int[8];
        int[] out = new int[8];
        train.gather(0, ids, 0, 2, in);
        train.gather(1, ids, 0, 2, out);
        assertEquals("bana", v.decode(in, 0, 4));
        assertEquals("anan", v.decode(out, 0, 4), "targets are the inputs shifted by one");
        assertEquals("anan", v.decode(in, 4, 8));
        assertEquals(Samples.Order.RANDOM, train.order());
    }

    @Test
    void evaluationVisitsEveryTargetOnceOrEvenlySpacedWindows() throws IOException {
        DataSplit s = TextData.read(write("t.txt", "abcdefghij".repeat(30).getBytes(StandardCharsets.UTF_8)), 5);
        TextSamples val = (TextSamples) s.test();   // 30 characters: windows at 0, 5, 10, 15, 20
        assertArrayEquals(new long[] {0, 5, 10, 15, 20}, val.evaluationIds(0, 3));
        long[] spaced = val.evaluationIds(2, 2);
        assertEquals(4, spaced.length);
        assertEquals(0, spaced[0]);
        assertTrue(spaced[3] < val.size());
    }

    @Test
    void tokensAreLittleEndianUint16() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(2 * 200).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 200; i++) {
            b.putShort((short) (i % 3 == 0 ? 60000 : i % 7));
        }
        DataSplit s = TextData.readTokens(write("t.bin", b.array()), 8);
        assertEquals(60001, s.schema().target().categories(), "vocabulary: the largest id + 1");
        assertEquals(null, s.vocabulary());
        int[] in = new int[8];
        s.train().gather(0, new long[] {0}, 0, 1, in);
        assertEquals(60000, in[0]);
        assertEquals(1, in[1]);
        UserInputException e = assertThrows(UserInputException.class,
                () -> TextData.readTokens(write("odd.bin", new byte[] {1, 2, 3}), 8));
        assertTrue(e.getMessage().contains("odd.bin") && e.getMessage().contains("uint16"), e.getMessage());
    }

    @Test
    void badTextIsNamedWithWhatWasSeen() throws IOException {
        assertMessage(() -> TextData.read(write("e.txt", new byte[0]), 4), "e.txt", "empty");
        assertMessage(() -> TextData.read(write("b.txt", new byte[] {'a', 0, 'b'}), 4), "b.txt", "byte 1 is NUL");
        assertMessage(() -> TextData.read(write("l.txt", new byte[] {'a', 'b', (byte) 0xE9, 'c'}), 4), "l.txt",
                "offset 2", "not UTF-8");
        assertMessage(() -> TextData.read(write("s.txt", "short text".getBytes(StandardCharsets.UTF_8)), 64),
                "s.txt", "ctx=64", "at least 65");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable x, String... parts) {
        UserInputException e = assertThrows(UserInputException.class, x);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' in: " + e.getMessage());
        }
    }
}
