package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cpu.CpuBackend;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * {@link SelfTest} on host backends: every check passes on the float64 reference (so the checks agree with the
 * contract) and on the CPU backend (so the tolerances admit a float32 implementation), the training run converges,
 * every Backend method is called, and a broken op is caught and reported with its values.
 */
class SelfTestOnHostTest {
    /**
     * Checks in a report: 20 for the original ops (4 GEMM transpositions, 3 activations), 5 sequence, 4 image, 1
     * batch norm, 1 training.
     */
    private static final int CHECKS = 32;

    /** A backend that forwards every call to {@code inner} and then lets {@code after} see it. */
    private interface After {
        void called(Method m, Object[] args, Backend inner);
    }

    private static Backend wrap(Backend inner, After after) {
        return (Backend) Proxy.newProxyInstance(SelfTestOnHostTest.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, m, args) -> {
                    try {
                        Object result = m.invoke(inner, args);
                        after.called(m, args, inner);
                        return result;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static void assertAllPass(SelfTest.Report r) {
        r.lines().forEach(System.out::println);
        assertTrue(r.passed(), String.join("\n", r.lines()));
        assertEquals(CHECKS, r.checks().size(), "number of checks");
        Set<String> names = new HashSet<>();
        r.checks().forEach(c -> names.add(c.name()));
        assertEquals(r.checks().size(), names.size(), "check names are unique");
    }

    @Test
    void everyCheckPassesOnTheReference() {
        try (ReferenceBackend ref = new ReferenceBackend()) {
            assertAllPass(SelfTest.run(ref, Precision.FP32));
        }
    }

    @Test
    void everyCheckPassesOnTheCpuBackend() {
        try (CpuBackend cpu = new CpuBackend(2)) {
            assertAllPass(SelfTest.run(cpu, Precision.FP32));
        }
    }

    @Test
    void coversEveryBackendMethod() {
        Set<String> called = new HashSet<>();
        try (ReferenceBackend ref = new ReferenceBackend()) {
            Backend spy = wrap(ref, (m, args, inner) -> called.add(m.getName()));
            assertTrue(SelfTest.run(spy, Precision.FP32).passed());
        }
        Set<String> missing = new HashSet<>();
        // The default methods (newEvent, newTimeline, like) are plumbing for the strategies, not ops: StepClockTest,
        // BackendDefaultsTest and the fakes strategy suites check them.
        for (Method m : Backend.class.getMethods()) {
            if (!m.getName().equals("close") && !m.getName().equals("device") && !m.isDefault()
                    && !called.contains(m.getName())) {
                missing.add(m.getName());
            }
        }
        assertTrue(missing.isEmpty(), "Backend methods the self-test never calls: " + missing);
    }

    @Test
    void aBrokenOpFailsItsCheckWithValues() {
        SelfTest.Report r;
        try (ReferenceBackend ref = new ReferenceBackend()) {
            Backend broken = wrap(ref, (m, args, inner) -> {
                if (m.getName().equals("activationForward") && args[0] == Activation.GELU) {
                    inner.scale((Tensor) args[2], 1.001f);
                }
            });
            r = SelfTest.run(broken, Precision.FP32);
        }
        assertFalse(r.passed());
        List<SelfTest.Check> failed = r.checks().stream().filter(c -> !c.passed()).toList();
        assertTrue(failed.stream().anyMatch(c -> c.name().contains("GELU")), failed.toString());
        SelfTest.Check gelu = failed.stream().filter(c -> c.name().contains("GELU")).findFirst().orElseThrow();
        assertTrue(gelu.detail().contains("worst element") && gelu.detail().contains("expected"), gelu.detail());
    }
}
