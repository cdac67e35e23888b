package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import org.junit.jupiter.api.Test;

/**
 * {@link SelfTest} against a plain array backend: every check passes (so the references, tolerances and training run
 * agree with the contract), the training run converges, and a broken op is caught and reported with its values.
 */
class SelfTestOnHostTest {

    @Test
    void everyCheckPassesOnAContractAbidingBackend() {
        SelfTest.Report r = SelfTest.run(new ArrayBackend(), Precision.FP32);
        r.lines().forEach(System.out::println);
        assertTrue(r.passed(), String.join("\n", r.lines()));
        assertEquals(21, r.checks().size(), "number of checks");
        Set<String> names = new HashSet<>();
        r.checks().forEach(c -> names.add(c.name()));
        assertEquals(r.checks().size(), names.size(), "check names are unique");
    }

    @Test
    void coversEveryBackendMethod() throws Exception {
        // every method of Backend (except the plumbing) is called at least once by the self-test
        Set<String> called = new HashSet<>();
        Backend spy = (Backend) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Backend.class}, new java.lang.reflect.InvocationHandler() {
                    final ArrayBackend inner = new ArrayBackend();

                    @Override
                    public Object invoke(Object proxy, java.lang.reflect.Method m, Object[] args) throws Throwable {
                        called.add(m.getName());
                        try {
                            return m.invoke(inner, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    }
                });
        assertTrue(SelfTest.run(spy, Precision.FP32).passed());
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
        ArrayBackend broken = new ArrayBackend() {
            @Override
            public void activationForward(Activation a, dev.quadrant.device.Tensor x, dev.quadrant.device.Tensor y) {
                super.activationForward(a, x, y);
                if (a == Activation.GELU) {
                    scale(y, 1.001f);
                }
            }
        };
        SelfTest.Report r = SelfTest.run(broken, Precision.FP32);
        assertFalse(r.passed());
        List<SelfTest.Check> failed = r.checks().stream().filter(c -> !c.passed()).toList();
        assertTrue(failed.stream().anyMatch(c -> c.name().contains("GELU")), failed.toString());
        SelfTest.Check gelu = failed.stream().filter(c -> c.name().contains("GELU")).findFirst().orElseThrow();
        assertTrue(gelu.detail().contains("worst element") && gelu.detail().contains("expected"), gelu.detail());
    }
}
