package dev.quadrant.trainer.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import dev.quadrant.device.UserInputException;

/**
 * Text and token corpora for language models. {@code text:FILE}: a UTF-8 text, its character vocabulary the sorted
 * distinct characters ({@link Vocabulary}); {@code tokens:FILE}: little-endian uint16 token ids (nanoGPT's and
 * llm.c's {@code .bin} without a header), vocabulary size the largest id + 1. The first 90% of the sequence trains,
 * the last 10% validates; each part must hold at least one window of {@code ctx + 1} tokens.
 *
 * <p>Errors name the file and say what was seen: an empty file, bytes that are not UTF-8 (with the offset), a
 * binary file (NUL bytes), a window larger than a part. Stateless.
 */
public final class TextData {
    /** Share of the sequence, from its start, that trains. */
    public static final double TRAIN_FRACTION = 0.9;

    private TextData() {}

    /** Reads a UTF-8 text file as characters. */
    public static DataSplit read(Path file, int ctx) {
        byte[] bytes = bytes(file);
        String text = decode(file, bytes);
        Vocabulary vocab = Vocabulary.of(text);
        int[] ids = vocab.encode(text, file.toString());
        return split(file, ids, ctx, vocab.size(), vocab, "characters");
    }

    /** Reads little-endian uint16 token ids. */
    public static DataSplit readTokens(Path file, int ctx) {
        byte[] bytes = bytes(file);
        if (bytes.length % 2 != 0) {
            throw new UserInputException(file + ": " + bytes.length + " bytes is not a whole number of uint16 token "
                    + "ids (expected an even size; is this a tokens file?)");
        }
        int[] ids = new int[bytes.length / 2];
        var sb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        int max = 0;
        for (int i = 0; i < ids.length; i++) {
            ids[i] = Short.toUnsignedInt(sb.get(i));
            max = Math.max(max, ids[i]);
        }
        return split(file, ids, ctx, max + 1, null, "tokens");
    }

    /**
     * The most bytes a text or tokens file may have: a Java array, and an eighth of the heap (the text is held as
     * bytes, characters and int ids at once while it is read).
     */
    static long maxBytes() {
        return Math.min(Dataset.MAX_ARRAY_LENGTH, Runtime.getRuntime().maxMemory() / 8);
    }

    /**
     * The whole file, read in chunks up to {@link #maxBytes()}: a file larger than that (or one without an end, such
     * as {@code /dev/zero}) is refused once that many bytes have arrived, never read until the heap is gone.
     */
    private static byte[] bytes(Path file) {
        long max = maxBytes();
        byte[] bytes;
        try (java.io.InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) max);
            if (bytes.length == max && in.read() >= 0) {
                throw new UserInputException(file + ": more than " + max + " bytes; a text or tokens file is read "
                        + "whole into memory and may have at most " + max + " bytes with this heap (an eighth of "
                        + "-Xmx, at most 2^31 - 9): give Java more memory or use a shorter file");
            }
        } catch (NoSuchFileException e) {
            throw new UserInputException(file + ": no such file");
        } catch (IOException e) {
            throw new UserInputException(file + ": cannot read: " + e, e);
        }
        if (bytes.length == 0) {
            throw new UserInputException(file + ": the file is empty; a language model needs text to learn from");
        }
        return bytes;
    }

    private static String decode(Path file, byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new UserInputException(file + ": byte " + i + " is NUL: this looks like a binary file, not text "
                        + "(for token ids use --data tokens:FILE)");
            }
        }
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            CharBuffer out = d.decode(in);
            String s = out.toString();
            return s.startsWith("\uFEFF") ? s.substring(1) : s;
        } catch (MalformedInputException e) {
            throw new UserInputException(file + ": bytes at offset " + in.position() + " are not UTF-8 (expected a "
                    + "UTF-8 text; convert it, e.g. iconv -f latin1 -t utf-8)");
        } catch (CharacterCodingException e) {
            throw new UserInputException(file + ": not UTF-8 text: " + e);
        }
    }

    private static DataSplit split(Path file, int[] ids, int ctx, int vocab, Vocabulary v, String unit) {
        int cut = (int) (ids.length * TRAIN_FRACTION);
        int valLength = ids.length - cut;
        if (cut < ctx + 1 || valLength < ctx + 1) {
            throw new UserInputException(file + ": " + ids.length + " " + unit + " give " + cut + " for training and "
                    + valLength + " for validation, but ctx=" + ctx + " needs at least " + (ctx + 1) + " in each; "
                    + "use a smaller ctx (at most " + Math.max(0, Math.min(cut, valLength) - 1) + ") or more text");
        }
        String name = file.getFileName().toString();
        int[] train = java.util.Arrays.copyOfRange(ids, 0, cut);
        int[] val = java.util.Arrays.copyOfRange(ids, cut, ids.length);
        return new DataSplit(new TextSamples(name + "/train", train, ctx, vocab),
                new TextSamples(name + "/val", val, ctx, vocab), v);
    }
}
