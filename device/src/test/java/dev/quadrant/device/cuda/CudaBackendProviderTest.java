package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import dev.quadrant.bindings.cuda.CudaProbe;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;
import dev.quadrant.device.UserInputException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The provider on the machine the tests run on: found through ServiceLoader, never throws, and on a machine without
 * CUDA says why and offers no device (skipped on a GPU host, where the gpu-tagged tests cover it).
 */
class CudaBackendProviderTest {

    @Test
    void registeredWithServiceLoader() {
        List<BackendProvider> all = BackendProvider.all();
        assertTrue(all.stream().anyMatch(p -> p instanceof CudaBackendProvider), "providers: " + all);
        assertEquals(Device.Kind.CUDA, new CudaBackendProvider().kind());
    }

    @Test
    void unusableHereWithAReasonAndNoDevices() {
        CudaProbe.Result r = CudaProbe.get();
        Assumptions.assumeFalse(r.usable(), "CUDA is usable here: covered by the gpu tests");
        CudaBackendProvider p = new CudaBackendProvider();
        BackendProvider.Availability a = p.availability();
        assertFalse(a.usable());
        assertFalse(a.reason().isBlank());
        assertTrue(p.devices().isEmpty());
        UserInputException e = assertThrows(UserInputException.class, () -> p.create(Device.cuda(0), 1));
        assertTrue(e.getMessage().contains("cuda:0"), e.getMessage());
        List<String> info = CudaInfo.describe();
        assertTrue(info.get(0).startsWith("CUDA: unusable"), info.get(0));
        assertTrue(info.stream().anyMatch(l -> l.contains("libcuda.so.1")), String.join("\n", info));
        assertTrue(SelfTest.runAllGpus(Precision.FP32).isEmpty());
        info.forEach(System.out::println);
    }

    @Test
    void precisionParses() {
        assertEquals(Precision.TF32, Precision.parse("TF32"));
        assertEquals(Precision.BF16, Precision.parse(" bf16 "));
        UserInputException e = assertThrows(UserInputException.class, () -> Precision.parse("fp16"));
        assertTrue(e.getMessage().contains("fp16") && e.getMessage().contains("--precision"), e.getMessage());
    }
}
