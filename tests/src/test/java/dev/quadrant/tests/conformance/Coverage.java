package dev.quadrant.tests.conformance;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import dev.quadrant.device.Backend;

/**
 * Which {@link Backend} methods the conformance suite exercised on which backend. Each test registers what it
 * calls; {@link #uncovered} lists, by signature, every abstract method declared in {@code Backend} that a backend
 * never had checked, so a method added to the interface fails the suite until a test covers it.
 */
final class Coverage {
    private Coverage() {}

    private static final Map<String, Set<String>> COVERED = new ConcurrentHashMap<>();

    /** Marks {@code name} (with these parameter types when it is overloaded) as checked on {@code backend}. */
    static void covers(String backend, String name, Class<?>... parameterTypes) {
        List<Method> candidates = new ArrayList<>();
        for (Method m : declared()) {
            if (m.getName().equals(name)
                    && (parameterTypes.length == 0 || Arrays.equals(m.getParameterTypes(), parameterTypes))) {
                candidates.add(m);
            }
        }
        if (candidates.size() != 1) {
            throw new IllegalArgumentException("Coverage.covers(" + name + ", " + Arrays.toString(parameterTypes)
                    + ") matches " + candidates.size() + " Backend methods: " + candidates
                    + "; give the parameter types of an overloaded method");
        }
        COVERED.computeIfAbsent(backend, k -> ConcurrentHashMap.newKeySet()).add(signature(candidates.get(0)));
    }

    /** The abstract methods declared by {@link Backend} (not inherited, not static or default). */
    static List<Method> declared() {
        List<Method> list = new ArrayList<>();
        for (Method m : Backend.class.getDeclaredMethods()) {
            if (Modifier.isAbstract(m.getModifiers()) && !m.isSynthetic()) {
                list.add(m);
            }
        }
        return list;
    }

    /** Signatures of the declared methods not yet covered on {@code backend}, sorted. */
    static List<String> uncovered(String backend) {
        Set<String> done = COVERED.getOrDefault(backend, Set.of());
        Map<String, Boolean> all = new TreeMap<>();
        for (Method m : declared()) {
            all.put(signature(m), done.contains(signature(m)));
        }
        List<String> missing = new ArrayList<>();
        all.forEach((sig, ok) -> {
            if (!ok) {
                missing.add(sig);
            }
        });
        return missing;
    }

    static String signature(Method m) {
        StringBuilder sb = new StringBuilder(m.getName()).append('(');
        Class<?>[] p = m.getParameterTypes();
        for (int i = 0; i < p.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(p[i].getSimpleName());
        }
        return sb.append(')').toString();
    }
}
