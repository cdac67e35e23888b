package dev.quadrant.trainer.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format: an 8-byte
 * little-endian header length N, N bytes of UTF-8 JSON
 * {@code {"__metadata__": {string: string}, name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}}
 * padded with spaces, then the tensors' little-endian bytes, back to back.
 *
 * <pre>{@code
 * SafeTensors.write(Path.of("ckpt.safetensors"),
 *         List.of(NamedTensor.ofFloats("fc1.weight", w, 128, 784), NamedTensor.ofInts("step", new int[] {42}, 1)),
 *         Map.of("strategy", "allreduce"));
 * SafeTensorsFile f = SafeTensors.read(Path.of("ckpt.safetensors"));
 * }</pre>
 *
 * <p><b>Writing</b> ({@link #write}, {@link #toBytes}): F32 and I32 tensors, in the order given; metadata keys
 * sorted; the header padded to a multiple of 8 bytes so that every tensor is aligned. The output is a pure function
 * of the input (no timestamps, no hash order): the same tensors and metadata give the same bytes. Files are written
 * through {@link AtomicFiles}.
 *
 * <p><b>Reading</b> ({@link #read(Path)}, {@link #read(byte[], String)}): F32, I32 and BF16 (widened to float).
 * Every defect is a {@link SafeTensorsFormatException} that names the file and the field; sizes are checked against
 * the file length before anything is allocated, so a forged header cannot make the reader allocate more than the
 * file's size. See {@link SafeTensorsReader} for the list of checks.
 *
 * <p>Thread-safety: stateless; concurrent calls are independent.
 */
public final class SafeTensors {
    /** Headers longer than this are rejected, as by the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private SafeTensors() {}

    /**
     * Atomically writes {@code tensors} (F32 or I32, unique names) and {@code metadata} (may be empty) to
     * {@code target}.
     *
     * @throws IllegalArgumentException for duplicate or reserved names, or a BF16 tensor
     */
    public static void write(Path target, List<NamedTensor> tensors, Map<String, String> metadata) throws IOException {
        SafeTensorsWriter writer = new SafeTensorsWriter(tensors, metadata);
        AtomicFiles.write(target, writer::writeTo);
    }

    /**
     * Writes the bytes {@link #write} would write to {@code out} (not closed; not atomic by itself: for callers that
     * wrap the stream, e.g. to compute a checksum while writing through {@link AtomicFiles}).
     */
    public static void writeTo(OutputStream out, List<NamedTensor> tensors, Map<String, String> metadata)
            throws IOException {
        new SafeTensorsWriter(tensors, metadata).writeTo(out);
    }

    /** The bytes {@link #write} would write. */
    public static byte[] toBytes(List<NamedTensor> tensors, Map<String, String> metadata) {
        SafeTensorsWriter writer = new SafeTensorsWriter(tensors, metadata);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    /**
     * Reads and validates a whole file.
     *
     * @throws SafeTensorsFormatException for any defect of the content
     * @throws IOException if the file cannot be read
     */
    public static SafeTensorsFile read(Path file) throws IOException {
        return SafeTensorsReader.read(file);
    }

    /**
     * Reads and validates a file's content held in memory; {@code source} names it in messages.
     *
     * @throws SafeTensorsFormatException for any defect of the content
     */
    public static SafeTensorsFile read(byte[] content, String source) {
        return SafeTensorsReader.read(content, source);
    }
}
