package dev.quadrant.device.group;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import dev.quadrant.device.comm.LocalCommunicator;
import org.junit.jupiter.api.Test;

/** The NCCL id as 32 floats: every byte value survives packing, a float copy and a broadcast. No CUDA. */
class NcclIdFloatsTest {
    static FloatBuffer floats() {
        return ByteBuffer.allocateDirect(4 * NcclIdFloats.FLOATS).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    static byte[] id(int first) {
        byte[] id = new byte[NcclIdFloats.BYTES];
        for (int i = 0; i < id.length; i++) {
            id[i] = (byte) (first + i);
        }
        return id;
    }

    @Test
    void everyByteValueRoundTrips() {
        // ids 0..127 and 128..255 cover all 256 values in every byte position class, NaN and -0.0 bit patterns included
        for (int first : new int[] {0, 128, 0x7f, 0xff, 0x80}) {
            byte[] id = id(first);
            FloatBuffer b = floats();
            NcclIdFloats.pack(id, b);
            assertArrayEquals(id, NcclIdFloats.unpack(b));
            float[] copy = new float[NcclIdFloats.FLOATS];   // a copy through float values, as a transport does
            b.get(0, copy);
            FloatBuffer c = floats();
            c.put(0, copy);
            assertArrayEquals(id, NcclIdFloats.unpack(c));
        }
        for (int v = 0; v < 256; v++) {   // every value in every position
            byte[] id = new byte[NcclIdFloats.BYTES];
            java.util.Arrays.fill(id, (byte) v);
            FloatBuffer b = floats();
            NcclIdFloats.pack(id, b);
            assertArrayEquals(id, NcclIdFloats.unpack(b), "byte value " + v);
        }
        Random rnd = new Random(7);
        for (int k = 0; k < 100; k++) {
            byte[] id = new byte[NcclIdFloats.BYTES];
            rnd.nextBytes(id);
            FloatBuffer b = floats();
            NcclIdFloats.pack(id, b);
            assertArrayEquals(id, NcclIdFloats.unpack(b));
        }
    }

    @Test
    void survivesABroadcastBetweenProcesses() throws Exception {
        List<LocalCommunicator> procs = LocalCommunicator.create(3, Duration.ofSeconds(20));
        byte[] id = id(0xf0);   // NaN patterns: 0xfff... floats
        FloatBuffer[] bufs = new FloatBuffer[3];
        Thread[] ts = new Thread[3];
        for (int p = 0; p < 3; p++) {
            int rank = p;
            bufs[p] = floats();
            if (p == 0) {
                NcclIdFloats.pack(id, bufs[p]);
            }
            ts[p] = new Thread(() -> procs.get(rank).broadcast(bufs[rank], 0, NcclIdFloats.FLOATS, 0));
            ts[p].start();
        }
        for (Thread t : ts) {
            t.join(30_000);
        }
        for (int p = 0; p < 3; p++) {
            assertArrayEquals(id, NcclIdFloats.unpack(bufs[p]), "process " + p);
        }
        procs.forEach(LocalCommunicator::close);
    }

    @Test
    void refusesOtherLengths() {
        assertThrows(IllegalArgumentException.class, () -> NcclIdFloats.pack(new byte[127], floats()));
    }

}
