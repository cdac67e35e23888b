package dev.quadrant.device.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;

class CpuStorageTest {

    @Test
    void allocationIsZeroedDirectAndNativeOrder() {
        CpuStorage s = CpuStorage.allocate(Device.cpu(), 4 * 1000);
        assertEquals(4000, s.bytes());
        assertTrue(s.buffer().isDirect());
        assertEquals(ByteOrder.nativeOrder(), s.buffer().order());
        assertEquals(1000, s.floats().capacity());
        assertEquals(1000, s.ints().capacity());
        assertEquals(2000, s.shorts().capacity());
        for (int i = 0; i < 1000; i++) {
            assertEquals(0, s.ints().get(i), "element " + i);
        }
    }

    @Test
    void viewsShareTheBytes() {
        CpuStorage s = CpuStorage.allocate(Device.cpu(), 16);
        s.floats().put(1, 1.0f);
        assertEquals(Float.floatToRawIntBits(1.0f), s.ints().get(1));
        assertEquals((short) 0x3F80, s.shorts().get(3), "upper half of 1.0f on a little-endian host");
        assertEquals(Float.floatToRawIntBits(1.0f), s.buffer().getInt(4));
    }

    @Test
    void closeMakesLaterUseFailClearly() {
        CpuStorage s = CpuStorage.allocate(Device.cpu(), 8);
        assertFalse(s.isClosed());
        s.close();
        s.close();   // idempotent
        assertTrue(s.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, s::floats);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, s::ints);
        assertThrows(IllegalStateException.class, s::shorts);
        assertThrows(IllegalStateException.class, s::buffer);
    }

    @Test
    void closingTheRootTensorClosesTheStorageButAViewDoesNot() {
        try (CpuBackend be = new CpuBackend(1)) {
            Tensor t = be.allocate(DType.FLOAT32, 4, 3);
            Tensor v = t.view(3, 3);
            v.close();
            be.fill(t, 1f);
            t.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> be.fill(v, 2f));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> CpuBackend.floats(t));
        }
    }

    @Test
    void rejectsSizesADirectBufferCannotHoldAndOtherDevices() {
        assertThrows(IllegalArgumentException.class, () -> CpuStorage.allocate(Device.cpu(), -1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuStorage.allocate(Device.cpu(), 1L << 31));
        assertTrue(e.getMessage().contains("2147483648"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CpuStorage.allocate(Device.cuda(0), 8));
    }
}
