package dev.quadrant.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Every {@code extern "C"} kernel in the sources has a {@link KernelSpec} with the same parameter kinds, in order,
 * and every spec names a kernel that exists: a launcher cannot pass an argument of the wrong width. Pure Java.
 */
class KernelSignatureTest {
    private static final Pattern KERNEL = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(([^)]*)\\)");

    static KernelSpec.Arg kind(String param) {
        String p = param.trim();
        String type = p.substring(0, p.lastIndexOf(' ')).replace("const ", "").trim();
        if (type.endsWith("*")) {
            return KernelSpec.Arg.PTR;
        }
        switch (type) {
            case "i64": case "u64": case "long long": case "unsigned long long": return KernelSpec.Arg.I64;
            case "int": return KernelSpec.Arg.I32;
            case "float": return KernelSpec.Arg.F32;
            default: throw new AssertionError("unexpected kernel parameter type '" + type + "' in '" + p + "'");
        }
    }

    @Test
    void specsMatchTheCudaSources() {
        Map<String, List<KernelSpec.Arg>> declared = new HashMap<>();
        Map<String, KernelFamily> familyOf = new HashMap<>();
        for (KernelFamily f : KernelFamily.values()) {
            Matcher m = KERNEL.matcher(f.rawSource().replaceAll("\\s+", " "));
            int found = 0;
            while (m.find()) {
                List<KernelSpec.Arg> args = new ArrayList<>();
                for (String p : m.group(2).split(",")) {
                    args.add(kind(p));
                }
                assertFalse(declared.containsKey(m.group(1)), "kernel " + m.group(1) + " defined twice");
                declared.put(m.group(1), args);
                familyOf.put(m.group(1), f);
                found++;
            }
            assertTrue(found > 0, f.file() + " declares no kernel");
        }
        List<KernelSpec> specs = Kernels.specs();
        for (KernelSpec s : specs) {
            List<KernelSpec.Arg> c = declared.get(s.name());
            assertNotNull(c, "spec " + s + " names no kernel in the sources");
            assertEquals(c, s.args(), "parameters of " + s.name());
            assertEquals(familyOf.get(s.name()), s.family(), "family of " + s.name());
        }
        assertEquals(declared.size(), specs.size(), "kernels without a launcher spec: " + declared.keySet());
        System.out.println("checked " + specs.size() + " kernel signatures in " + KernelFamily.values().length + " files");
    }

    @Test
    void everyFamilyHasAHeaderSayingHowItIsParallelised() {
        for (KernelFamily f : KernelFamily.values()) {
            String head = f.rawSource().substring(0, Math.min(2000, f.rawSource().length()));
            assertTrue(head.startsWith("// " + f.file()), f.file() + " must start with its name");
            assertTrue(head.contains("Parallelisation"), f.file() + " must say how it is parallelised");
            assertFalse(f.rawSource().contains("#include"), f.file() + " must not include headers (NVRTC has no include path)");
        }
    }

    @Test
    void gridIsCappedAndCoversSmallInputs() {
        assertEquals(1, Kernels.elementGrid(1, 100));
        assertEquals(4, Kernels.elementGrid(1024, 100));
        assertEquals(100, Kernels.elementGrid(1L << 40, 100));
        assertEquals(1, Kernels.partialCount(0));
        assertEquals(Kernels.PARTIALS, Kernels.partialCount(1L << 30));
    }
}
