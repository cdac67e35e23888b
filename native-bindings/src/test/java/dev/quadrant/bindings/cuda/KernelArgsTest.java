package dev.quadrant.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.Test;

/** The kernelParams layout, checked by reading the native memory back (JavaCPP core only, no CUDA). */
class KernelArgsTest {

    @Test
    void slotsHoldValuesAndPointersPointAtSlots() {
        try (KernelArgs a = new KernelArgs(4)) {
            a.clear().ptr(0x7f00_0000_1000L).i32(-3).f32(2.5f).i64(1L << 40);
            assertEquals(4, a.count());
            long base = a.pointerSlot(0);
            for (int i = 0; i < 4; i++) {
                assertEquals(base + 8L * i, a.pointerSlot(i), "pointer " + i);
            }
            assertEquals(0x7f00_0000_1000L, a.slot(0));
            // what the driver reads for an int and a float parameter: 4 bytes at the slot's address
            assertEquals(-3, new IntPointer(DevPtr.bytes(a.pointerSlot(1), 8)).get(0));
            assertEquals(2.5f, new FloatPointer(DevPtr.bytes(a.pointerSlot(2), 8)).get(0));
            assertEquals(1L << 40, a.slot(3));
            assertThrows(IllegalStateException.class, () -> a.i32(1));
            a.clear().i32(7);
            assertEquals(1, a.count());
            assertEquals(7L, a.slot(0));
        }
    }

    @Test
    void devPtrAppliesNoPosition() {
        try (FloatPointer owner = new FloatPointer(8)) {
            for (int i = 0; i < 8; i++) {
                owner.put(i, i);
            }
            FloatPointer view = DevPtr.floats(owner.address() + 4L * 3, 5);
            assertEquals(3f, view.get(0));
            assertEquals(owner.address() + 12, DevPtr.effectiveAddress(view));
            assertEquals(owner.address() + 12, DevPtr.effectiveAddress(DevPtr.bytes(owner.address() + 12, 4)));
        }
    }
}
