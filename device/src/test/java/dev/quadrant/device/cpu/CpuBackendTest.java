package dev.quadrant.device.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.quadrant.bindings.OpenBlas;
import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;

/** Behaviour of the CPU backend itself; op-by-op numerics are in the conformance suite of {@code tests/}. */
class CpuBackendTest {

    @Test
    void providerIsRegisteredAlwaysUsableWithOneDevice() {
        BackendProvider p = BackendProvider.of(Device.Kind.CPU);
        assertTrue(p instanceof CpuBackendProvider, p.getClass().getName());
        assertTrue(p.availability().usable(), p.availability().reason());
        assertEquals(List.of(Device.cpu()), p.devices());
        assertEquals(Device.Kind.CPU, BackendProvider.all().get(0).kind(), "CPU first");
        try (Backend be = p.create(Device.cpu(), 1)) {
            assertEquals(Device.cpu(), be.device());
            assertTrue(be.describe().matches("cpu \\((OpenBLAS|oneDNN) \\d+\\.\\d+\\.\\d+, 1 thread\\)"), be.describe());
            // -Dquadrant.cpu.gemm=auto (the default) takes oneDNN exactly where it loads
            assertEquals(dev.quadrant.bindings.Dnnl.probe() == null ? CpuBlas.ONEDNN : CpuBlas.OPENBLAS,
                    ((CpuBackend) be).blas());
        }
        try (CpuBackend open = new CpuBackend(Device.cpu(), 1, CpuBlas.OPENBLAS)) {
            assertTrue(open.describe().matches("cpu \\(OpenBLAS \\d+\\.\\d+\\.\\d+, 1 thread\\)"), open.describe());
        }
        UserInputException e = assertThrows(UserInputException.class, () -> p.create(Device.cuda(0), 1));
        assertTrue(e.getMessage().contains("cuda:0"), e.getMessage());
    }

    @Test
    void gemmLibrarySettingIsChecked() {
        String old = System.getProperty(CpuBlas.PROPERTY);
        try {
            System.setProperty(CpuBlas.PROPERTY, "mkl");
            UserInputException e = assertThrows(UserInputException.class, CpuBlas::choose);
            assertTrue(e.getMessage().contains("-Dquadrant.cpu.gemm=mkl: expected auto, onednn or openblas"),
                    e.getMessage());
            System.setProperty(CpuBlas.PROPERTY, "OpenBLAS");
            assertEquals(CpuBlas.OPENBLAS, CpuBlas.choose());
            System.setProperty(CpuBlas.PROPERTY, "onednn");
            if (dev.quadrant.bindings.Dnnl.probe() == null) {
                assertEquals(CpuBlas.ONEDNN, CpuBlas.choose());
            } else {   // where it does not load, asking for it is an error that says why
                e = assertThrows(UserInputException.class, CpuBlas::choose);
                assertTrue(e.getMessage().contains("oneDNN does not load here"), e.getMessage());
            }
        } finally {
            if (old == null) {
                System.clearProperty(CpuBlas.PROPERTY);
            } else {
                System.setProperty(CpuBlas.PROPERTY, old);
            }
        }
    }

    @Test
    void threadBudgetSetsThePoolOpenBlasToOneThreadAndCloseEndsThePool() {
        CpuBackend be = new CpuBackend(2);
        assertEquals(1, OpenBlas.threads(), "the pool splits GEMMs; OpenBLAS runs each part on one thread");
        assertEquals(2, be.pool().threads());
        List<String> workers = be.pool().liveWorkerNames();
        assertEquals(1, workers.size());
        assertTrue(workers.get(0).startsWith("quadrant-cpu-"), workers.toString());
        be.close();
        assertEquals(List.of(), be.pool().liveWorkerNames());
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertTrue(!workers.contains(t.getName()), t.getName() + " survived close()");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> be.allocate(DType.FLOAT32, 2));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        be.close();   // idempotent
        UserInputException bad = assertThrows(UserInputException.class, () -> new CpuBackend(0));
        assertTrue(bad.getMessage().contains("got 0"), bad.getMessage());
    }

    @Test
    void floatsGivesTheWholeStorageIndexedByOffset() {
        try (CpuBackend be = new CpuBackend(1); Tensor t = be.allocate(DType.FLOAT32, 10)) {
            Tensor v = t.view(4, 3);
            be.fill(v, 2.5f);
            FloatBuffer fb = CpuBackend.floats(v);
            assertEquals(10, fb.capacity());
            for (int i = 0; i < 10; i++) {
                assertEquals(i >= 4 && i < 7 ? 2.5f : 0f, fb.get(i), "element " + i);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CpuBackend.ints(t));
            assertTrue(e.getMessage().contains("FLOAT32") && e.getMessage().contains("INT32"), e.getMessage());
        }
    }

    @Test
    void largeOpsSplitAcrossThePoolGiveTheSameResultAsInline() {
        int n = 4 * CpuBackend.GRAIN + 3;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.sin(i * 0.37) * 3;
        }
        float[][] results = new float[2][];
        double[] norms = new double[2];
        int[] budgets = {1, 3};
        for (int k = 0; k < 2; k++) {
            try (CpuBackend be = new CpuBackend(budgets[k]); Tensor a = be.allocate(DType.FLOAT32, n);
                 Tensor b = be.allocate(DType.FLOAT32, n)) {
                be.upload(x, 0, a);
                be.activationForward(Activation.GELU, a, b);
                be.activationBackward(Activation.RELU, a, b, b);
                be.axpy(0.5f, a, b);
                norms[k] = be.l2Norm(b);
                results[k] = new float[n];
                be.download(b, results[k], 0);
            }
        }
        assertArrayEquals(results[0], results[1], "element-wise results do not depend on the thread count");
        assertEquals(norms[0], norms[1], 1e-12 * norms[0], "double partial sums agree to rounding");
    }

    @Test
    void gemmOnOverlappingOutputIsRejected() {
        try (CpuBackend be = new CpuBackend(1); Tensor buf = be.allocate(DType.FLOAT32, 100)) {
            Tensor a = buf.view(0, 4, 4);
            Tensor c = buf.view(8, 4, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> be.gemm(false, false, 1f, a, a, 0f, c));
            assertTrue(e.getMessage().contains("overlap"), e.getMessage());
        }
    }

    @Test
    void gemmWithEmptyInnerDimensionScalesC() {
        try (CpuBackend be = new CpuBackend(1); Tensor a = be.allocate(DType.FLOAT32, 3, 0);
             Tensor b = be.allocate(DType.FLOAT32, 0, 2); Tensor c = be.allocate(DType.FLOAT32, 3, 2)) {
            be.fill(c, 4f);
            be.gemm(false, false, 1f, a, b, 0.5f, c);
            float[] out = new float[6];
            be.download(c, out, 0);
            assertArrayEquals(new float[] {2, 2, 2, 2, 2, 2}, out);
        }
    }
}
