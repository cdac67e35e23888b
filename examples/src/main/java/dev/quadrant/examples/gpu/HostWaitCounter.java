package dev.quadrant.examples.gpu;

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
 * the methods the Backend contract says wait) and, on CUDA backends, the uploads that had to wait for their pinned
 * staging slot ({@link CudaBackend#stagingWaits()}, counted as {@code staging}), split into calls made while a
 * {@link StepRunner#step} runs (on any replica thread) and the others (metric reads, evaluation, checkpoints). Backends are wrapped by a proxy (which is
 * still {@link CudaBacked} for the CUDA communicators), the runner by another that marks its steps. Thread-safe.
 *
 * <pre>{@code
 * HostWaitCounter c = new HostWaitCounter();
 * try (StepRunner runner = c.marking(Training.buildRunner(o, s, data, null, policy, c.wrap(BackendFactory.DEFAULT)))) {
 *     trainer.fit(data, runner, List.of());
 * }
 * assert c.inSteps.get() == 0;
 * }</pre>
 */
public final class HostWaitCounter {
    /** The Backend methods that wait for the device or read its memory. */
    public static final Set<String> WAITS = Set.of("synchronize", "download", "l2Norm", "allFinite");

    private final AtomicBoolean inStep = new AtomicBoolean();
    public final AtomicLong steps = new AtomicLong();
    public final AtomicLong inSteps = new AtomicLong();
    public final AtomicLong outside = new AtomicLong();
    public final Map<String, AtomicLong> inStepByMethod = new ConcurrentHashMap<>();
    private final List<CudaBackend> cudas = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A factory whose backends are {@code inner}'s, counted. */
    public Training.BackendFactory wrap(Training.BackendFactory inner) {
        return (device, threads, precision) -> counted(inner.create(device, threads, precision));
    }

    public Backend counted(Backend be) {
        List<Class<?>> types = new ArrayList<>(List.of(Backend.class));
        CudaBackend cuda = be instanceof CudaBackend c ? c : null;
        if (cuda != null) {
            types.add(CudaBacked.class);
            cudas.add(cuda);
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
        return (Backend) Proxy.newProxyInstance(HostWaitCounter.class.getClassLoader(), types.toArray(new Class<?>[0]), h);
    }

    /** {@code runner}, with each {@link StepRunner#step} marked as inside a step. */
    public StepRunner marking(StepRunner runner) {
        InvocationHandler h = (proxy, method, args) -> {
            boolean step = method.getName().equals("step");
            long staged = 0;
            if (step) {
                staged = stagingWaits();
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
                    long waited = stagingWaits() - staged;   // the step's replica threads have all finished here
                    if (waited > 0) {
                        inSteps.addAndGet(waited);
                        inStepByMethod.computeIfAbsent("staging", k -> new AtomicLong()).addAndGet(waited);
                    }
                }
            }
        };
        return (StepRunner) Proxy.newProxyInstance(HostWaitCounter.class.getClassLoader(), new Class<?>[] {StepRunner.class}, h);
    }

    private long stagingWaits() {
        long n = 0;
        for (CudaBackend c : cudas) {
            n += c.stagingWaits();
        }
        return n;
    }

    /** Host waits per step inside steps (0 is the goal). */
    public double perStep() {
        return steps.get() == 0 ? 0 : (double) inSteps.get() / steps.get();
    }

    @Override
    public String toString() {
        return steps + " steps, " + inSteps + " host waits inside them " + inStepByMethod + ", " + outside + " outside";
    }
}
