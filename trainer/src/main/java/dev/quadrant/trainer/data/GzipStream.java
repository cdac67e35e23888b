package dev.quadrant.trainer.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.Inflater;

/**
 * A strict gzip (RFC 1952) decompressor: unlike {@link java.util.zip.GZIPInputStream}, which silently ignores
 * whatever follows the last gzip member when it does not parse as another member, this one accepts only a sequence
 * of complete members and end of file. Every problem is a {@link DataFormatException} naming the file, the member
 * and the compressed byte offset: bad magic, unknown method or flags, corrupt deflate data, a CRC-32 or length
 * mismatch in a member trailer, a file that ends inside a member, bytes after the last member.
 *
 * <p>Reads the underlying stream in chunks of the given buffer size; wrap nothing around it, and read from it in
 * large chunks too. Not thread-safe. {@link #close()} frees the native inflater and closes the underlying stream.
 */
final class GzipStream extends InputStream {
    static final int MAGIC1 = 0x1f;
    static final int MAGIC2 = 0x8b;
    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;
    private static final int FRESERVED = 0xE0;

    private final InputStream in;
    private final String file;
    private final byte[] buf;           // compressed bytes; buf[pos, lim) not yet consumed
    private int pos;
    private int lim;
    private long bufStart;              // file offset of buf[0]
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private long memberBytes;           // uncompressed bytes of the current member so far
    private long memberStart;           // file offset where the current member began
    private int member;                 // 1-based number of the current member
    private boolean done;

    /** Reads and checks the first member header at once, so that a non-gzip file fails here. */
    GzipStream(InputStream in, String file, int bufferSize) throws IOException {
        this.in = in;
        this.file = file;
        this.buf = new byte[bufferSize];
        startMember();
    }

    private long offset() {
        return bufStart + pos;
    }

    /** Makes at least one unconsumed byte available; false at end of file. */
    private boolean fill() throws IOException {
        if (pos < lim) {
            return true;
        }
        bufStart += lim;
        pos = 0;
        lim = 0;
        int n;
        do {
            n = in.read(buf, 0, buf.length);
        } while (n == 0);
        if (n < 0) {
            return false;
        }
        lim = n;
        return true;
    }

    private int readByte(String field) throws IOException {
        if (!fill()) {
            throw endsEarly(field);
        }
        return buf[pos++] & 0xff;
    }

    private DataFormatException endsEarly(String field) {
        return new DataFormatException(file, field + " of gzip member " + member,
                "end of file at compressed byte " + offset(),
                "more data (the file is truncated: an interrupted download or copy?)");
    }

    private void startMember() throws IOException {
        member++;
        memberStart = offset();
        int id1 = fill() ? buf[pos++] & 0xff : -1;
        int id2 = fill() ? buf[pos++] & 0xff : -1;
        if (id1 != MAGIC1 || id2 != MAGIC2) {
            String where = member == 1 ? "gzip magic" : "bytes after gzip member " + (member - 1);
            String expected = member == 1 ? "1f 8b (a gzip file)" : "end of file or another gzip member (1f 8b)";
            throw new DataFormatException(file, where, hexOrEnd(id1) + " " + hexOrEnd(id2)
                    + " at compressed byte " + memberStart, expected);
        }
        int method = readByte("gzip header");
        if (method != 8) {
            throw new DataFormatException(file, "gzip compression method of member " + member,
                    String.valueOf(method), "8 (deflate)");
        }
        int flags = readByte("gzip header");
        if ((flags & FRESERVED) != 0) {
            throw new DataFormatException(file, "gzip header flags of member " + member,
                    String.format("0x%02x", flags), "reserved bits 5-7 clear (the file is corrupt)");
        }
        for (int i = 0; i < 6; i++) {   // MTIME (4), XFL, OS
            readByte("gzip header");
        }
        if ((flags & FEXTRA) != 0) {
            int xlen = readByte("gzip extra field") | readByte("gzip extra field") << 8;
            for (int i = 0; i < xlen; i++) {
                readByte("gzip extra field");
            }
        }
        if ((flags & FNAME) != 0) {
            while (readByte("gzip file name") != 0) { /* skip the zero-terminated name */ }
        }
        if ((flags & FCOMMENT) != 0) {
            while (readByte("gzip comment") != 0) { /* skip the zero-terminated comment */ }
        }
        if ((flags & FHCRC) != 0) {
            readByte("gzip header CRC");
            readByte("gzip header CRC");
        }
        inflater.reset();
        crc.reset();
        memberBytes = 0;
        if (fill()) {
            inflater.setInput(buf, pos, lim - pos);
        }
    }

    private static String hexOrEnd(int b) {
        return b < 0 ? "(end of file)" : String.format("%02x", b);
    }

    /** File offset of the next compressed byte the inflater has not consumed. */
    private long inflaterOffset() {
        return bufStart + lim - inflater.getRemaining();
    }

    private void finishMember() throws IOException {
        pos = lim - inflater.getRemaining();
        long storedCrc = 0;
        long storedSize = 0;
        for (int i = 0; i < 4; i++) {
            storedCrc |= (long) readByte("gzip trailer") << (8 * i);
        }
        for (int i = 0; i < 4; i++) {
            storedSize |= (long) readByte("gzip trailer") << (8 * i);
        }
        if (storedCrc != crc.getValue()) {
            throw new DataFormatException(file, "CRC-32 of gzip member " + member,
                    String.format("%08x computed from the data", crc.getValue()),
                    String.format("%08x as stored in the trailer (the file is corrupt)", storedCrc));
        }
        if (storedSize != (memberBytes & 0xffffffffL)) {
            throw new DataFormatException(file, "uncompressed length of gzip member " + member,
                    memberBytes + " bytes", storedSize + " (mod 2^32) as stored in the trailer (the file is corrupt)");
        }
        if (fill()) {
            startMember();          // another member, or garbage: startMember says which
        } else {
            done = true;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        while (!done) {
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (java.util.zip.DataFormatException e) {
                throw new DataFormatException(file, "deflate data of gzip member " + member,
                        "\"" + e.getMessage() + "\" before compressed byte " + inflaterOffset(),
                        "a valid deflate stream (the file is corrupt)", e);
            }
            if (n > 0) {
                crc.update(b, off, n);
                memberBytes += n;
                return n;
            }
            if (inflater.finished()) {
                finishMember();
            } else if (inflater.needsDictionary()) {
                throw new DataFormatException(file, "deflate data of gzip member " + member,
                        "a request for a preset dictionary", "plain deflate data (gzip has no dictionaries)");
            } else if (inflater.needsInput()) {
                pos = lim;
                if (!fill()) {
                    throw endsEarly("deflate data");
                }
                inflater.setInput(buf, pos, lim - pos);
            }
        }
        return -1;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public void close() throws IOException {
        inflater.end();
        in.close();
    }
}
