package dev.quadrant.device.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.Backend;
import dev.quadrant.device.StepClock;
import dev.quadrant.device.StreamEvent;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cpu.CpuBackend;

/**
 * What a CPU-only run of several replicas uses of the device layer (events, step clocks, the group's communicators,
 * an all-reduce) loads no CUDA class: the scenario runs in a fresh class loader that records every class it loads.
 */
class CpuGroupLoadsNoCudaTest {

    /** Defines every class off the JDK itself (its parent is the platform loader) and remembers their names. */
    static final class RecordingLoader extends URLClassLoader {
        final List<String> defined = Collections.synchronizedList(new ArrayList<>());

        RecordingLoader(URL[] urls) {
            super(urls, ClassLoader.getPlatformClassLoader());
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            defined.add(name);
            return super.findClass(name);
        }
    }

    /** The scenario, run inside the recording loader: one replica of a group of one (no threads needed). */
    public static final class Scenario implements Runnable {
        @Override
        public void run() {
            try (Backend be = new CpuBackend(1); StepClock clock = StepClock.of(be); StreamEvent e = be.newEvent();
                 Tensor t = be.allocate(dev.quadrant.device.DType.FLOAT32, 4)) {
                clock.start();
                e.record(be);
                e.waitIn(be);
                List<TensorCommunicator> ranks = Communicators.forGroup(List.of(be), java.time.Duration.ofSeconds(10), 4);
                ranks.get(0).allReduce(t, dev.quadrant.device.comm.ReduceOp.SUM);
                ranks.get(0).broadcast(t, 0);
                ranks.get(0).close();
                clock.lap(StepClock.Phase.COMM);
                clock.take();
            }
        }
    }

    @Test
    void aCpuGroupLoadsNoCudaClass() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String p : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(new File(p).toURI().toURL());
        }
        try (RecordingLoader loader = new RecordingLoader(urls.toArray(URL[]::new))) {
            Class<?> c = Class.forName(Scenario.class.getName(), true, loader);
            assertEquals(loader, c.getClassLoader(), "the scenario must run in the recording loader");
            ((Runnable) c.getConstructor().newInstance()).run();
            List<String> cuda = new ArrayList<>();
            synchronized (loader.defined) {
                for (String n : loader.defined) {
                    if (n.startsWith("org.bytedeco.cuda") || n.startsWith("dev.quadrant.device.cuda")
                            || n.startsWith("dev.quadrant.bindings.cuda") || n.endsWith(".CudaGroup")) {
                        cuda.add(n);
                    }
                }
                assertTrue(loader.defined.contains(Communicators.class.getName()), "the scenario ran nothing?");
            }
            assertTrue(cuda.isEmpty(), "a CPU group loaded CUDA classes: " + cuda);
        }
    }
}
