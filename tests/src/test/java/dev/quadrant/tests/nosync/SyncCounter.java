package dev.quadrant.tests.nosync;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.quadrant.device.Backend;
import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.device.cuda.CudaBacked;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.Training;

/**
 * Counts the host waits of a run: every call of a {@link Backend} method that synchronises with the device or reads
 * device memory on the host ({@link #WAITS}: {@code synchronize}, {@code download}, {@code l2Norm}, {@code allFinite},
 * the methods the Backend contract says wait), split into calls made while a {@link StepRunner#step} runs (on any
 * replica thread) and the others (metric reads, evaluation, checkpoints). Backends are wrapped by a proxy (which is
 * still {@link CudaBacked} for the CUDA communicators), the runner by another that marks its steps. Thread-safe.
 */
final class SyncCounter {
    /** The Backend methods that wait for the device or read its memory. */
    static final Set<String> WAITS = Set.of("synchronize", "download", "l2Norm", "allFinite");

    private final AtomicBoolean inStep = new AtomicBoolean();
    final AtomicLong steps = new AtomicLong();
    final AtomicLong inSteps = new AtomicLong();
    final AtomicLong outside = new AtomicLong();
    final Map<String, AtomicLong> inStepByMethod = new ConcurrentHashMap<>();

    /** A factory whose backends are {@code inner}'s, counted. */
    Training.BackendFactory wrap(Training.BackendFactory inner) {
        return (device, threads, precision) -> counted(inner.create(device, threads, precision));
    }

    Backend counted(Backend be) {
        List<Class<?>> types = new ArrayList<>(List.of(Backend.class));
        CudaBackend cuda = be instanceof CudaBackend c ? c : null;
        if (cuda != null) {
            types.add(CudaBacked.class);
        }
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().equals("cudaBackend") && cuda != null) {
                return cuda;
            }
            if (WAITS.contains(method.getName())) {
                if (inStep.get()) {
                    inSteps.incrementAndGet();
                    inStepByMethod.computeIfAbsent(method.getName(), k -> new AtomicLong()).incrementAndGet();
                } else {
                    outside.incrementAndGet();
                }
            }
            try {
                return method.invoke(be, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Backend) Proxy.newProxyInstance(SyncCounter.class.getClassLoader(), types.toArray(new Class<?>[0]), h);
    }

    /** {@code runner}, with each {@link StepRunner#step} marked as inside a step. */
    StepRunner marking(StepRunner runner) {
        InvocationHandler h = (proxy, method, args) -> {
            boolean step = method.getName().equals("step");
            if (step) {
                inStep.set(true);
                steps.incrementAndGet();
            }
            try {
                return method.invoke(runner, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                if (step) {
                    inStep.set(false);
                }
            }
        };
        return (StepRunner) Proxy.newProxyInstance(SyncCounter.class.getClassLoader(), new Class<?>[] {StepRunner.class}, h);
    }

    @Override
    public String toString() {
        return steps + " steps, " + inSteps + " host waits inside them " + inStepByMethod + ", " + outside + " outside";
    }
}
