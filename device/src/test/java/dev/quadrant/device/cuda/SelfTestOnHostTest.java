package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

/**
 * {@link SelfTest} on the float64 {@link ReferenceBackend} itself (the host backend that keeps the contract by
 * definition): every check passes (so the checks, tolerances and training run agree with the contract), every
 * Backend method is called, and a broken op, wrapped around the reference, is caught and reported with its values.
 */
class SelfTestOnHostTest {

    @Test
    void everyCheckPassesOnAContractAbidingBackend() {
        SelfTest.Report r = SelfTest.run(new ReferenceBackend(), Precision.FP32);
        r.lines().forEach(System.out::println);
        assertTrue(r.passed(), String.join("\n", r.lines()));
        assertEquals(26, r.checks().size(), "number of checks");
        Set<String> names = new HashSet<>();
        r.checks().forEach(c -> names.add(c.name()));
        assertEquals(r.checks().size(), names.size(), "check names are unique");
    }

    /** A backend that forwards every call to a fresh {@link ReferenceBackend}, then shows the call to {@code after}. */
    private static Backend around(java.util.function.BiConsumer<java.lang.reflect.Method, Object[]> after) {
        ReferenceBackend inner = new ReferenceBackend();
        return (Backend) java.lang.reflect.Proxy.newProxyInstance(SelfTestOnHostTest.class.getClassLoader(),
                new Class<?>[] {Backend.class}, (proxy, m, args) -> {
                    Object out;
                    try {
                        out = m.invoke(inner, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    after.accept(m, args);
                    return out;
                });
    }

    @Test
    void coversEveryBackendMethod() {
        // every method of Backend (except the plumbing) is called at least once by the self-test
        Set<String> called = new HashSet<>();
        assertTrue(SelfTest.run(around((m, args) -> called.add(m.getName())), Precision.FP32).passed());
        Set<String> missing = new HashSet<>();
        for (java.lang.reflect.Method m : Backend.class.getMethods()) {
            if (!m.getName().equals("close") && !m.getName().equals("device") && !called.contains(m.getName())) {
                missing.add(m.getName());
            }
        }
        assertTrue(missing.isEmpty(), "Backend methods the self-test never calls: " + missing);
    }

    @Test
    void aBrokenOpFailsItsCheckWithValues() {
        Backend[] self = new Backend[1];
        self[0] = around((m, args) -> {
            if (m.getName().equals("activationForward") && args[0] == Activation.GELU) {
                self[0].scale((Tensor) args[2], 1.001f);   // 0.1% off: far outside the 1e-5 tolerance
            }
        });
        SelfTest.Report r = SelfTest.run(self[0], Precision.FP32);
        assertFalse(r.passed());
        List<SelfTest.Check> failed = r.checks().stream().filter(c -> !c.passed()).toList();
        assertTrue(failed.stream().anyMatch(c -> c.name().contains("GELU")), failed.toString());
        SelfTest.Check gelu = failed.stream().filter(c -> c.name().contains("GELU")).findFirst().orElseThrow();
        assertTrue(gelu.detail().contains("worst element") && gelu.detail().contains("expected"), gelu.detail());
    }
}
