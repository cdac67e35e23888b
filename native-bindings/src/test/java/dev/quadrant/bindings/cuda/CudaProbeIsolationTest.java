package dev.quadrant.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * On a machine without the NVIDIA driver (this CI machine), the probe says why CUDA is unusable, does not throw, and
 * loads no {@code org.bytedeco.cuda} class: it runs in a fresh class loader that records every class it loads.
 * Skipped where libcuda.so.1 exists (a GPU host), where the second stage legitimately loads the presets.
 */
class CudaProbeIsolationTest {

    /** Defines every class itself (parent: the platform loader) and remembers the names. */
    static final class RecordingLoader extends URLClassLoader {
        final List<String> loaded = Collections.synchronizedList(new ArrayList<>());

        RecordingLoader(URL[] urls) {
            super(urls, ClassLoader.getPlatformClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            loaded.add(name);
            return super.loadClass(name, resolve);
        }
    }

    private static URL jarOf(String resource) throws Exception {
        URL u = CudaProbeIsolationTest.class.getResource(resource);
        assertNotNull(u, resource);
        String s = u.toString();
        if (s.startsWith("jar:")) {
            return new URL(s.substring(4, s.indexOf("!/")));
        }
        // a directory of classes: strip the resource path
        return new URL(s.substring(0, s.length() - resource.length() + 1));
    }

    @Test
    void probeOnCpuOnlyMachineSaysWhyAndLoadsNoCudaClass() throws Exception {
        NativeLibraries here = NativeLibraries.search(NativeLibraries.cudaMajorOfPresets());
        Assumptions.assumeTrue(here.path("libcuda.so.1") == null, "libcuda.so.1 present: a GPU host, covered by gpu tests");

        URL[] urls = {
            jarOf("/dev/quadrant/bindings/cuda/CudaProbe.class"),
            jarOf("/dev/quadrant/bindings/NativeException.class"),
            jarOf("/org/bytedeco/javacpp/Loader.class"),
            jarOf("/org/bytedeco/cuda/global/cudart.class"),
        };
        try (RecordingLoader loader = new RecordingLoader(urls)) {
            Class<?> probe = Class.forName("dev.quadrant.bindings.cuda.CudaProbe", true, loader);
            assertEquals(loader, probe.getClassLoader());
            Method get = probe.getMethod("get");
            Object result = get.invoke(null);
            boolean usable = (boolean) result.getClass().getMethod("usable").invoke(result);
            String reason = (String) result.getClass().getMethod("reason").invoke(result);
            boolean nativeLoaded = (boolean) result.getClass().getMethod("nativeLoaded").invoke(result);
            assertFalse(usable, reason);
            assertFalse(nativeLoaded);
            assertTrue(reason.contains("libcuda.so.1"), reason);
            assertTrue(reason.contains("searched"), reason);
            assertTrue(reason.contains("/usr/local/cuda"), reason);
            // asked twice: the cached answer, still nothing loaded
            assertEquals(result, get.invoke(null));
            List<String> cuda = new ArrayList<>();
            synchronized (loader.loaded) {
                for (String n : loader.loaded) {
                    if (n.startsWith("org.bytedeco")) {
                        cuda.add(n);
                    }
                }
            }
            assertTrue(cuda.isEmpty(), "the probe loaded " + cuda);
            System.out.println("probe here: " + reason);
        }
    }
}
