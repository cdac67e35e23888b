package dev.quadrant.trainer.train;

import java.util.List;
import java.util.Locale;

import dev.quadrant.device.Device;
import dev.quadrant.device.UserInputException;

/**
 * {@code --cuda-graphs}: whether GPU replicas replay the repeated work of their steps as CUDA graphs
 * ({@link dev.quadrant.device.Backend#useStepGraphs}; exact: a graph is launched only where a step queues exactly its
 * ops, so results are those of eager launches, bit for bit). {@code auto} (the default) and {@code on} use them for
 * the synchronous strategies on GPUs, {@code on} insisting that there are GPU replicas and a synchronous strategy;
 * {@code off} launches every op eagerly. The asynchronous strategies, and CPU replicas, always run eagerly.
 */
public enum StepGraphMode {
    AUTO, ON, OFF;

    /** Parses {@code auto|on|off} (any case) as given to {@code --cuda-graphs}, checked against the run. */
    public static StepGraphMode parse(String text, List<Device> devices, String strategy) {
        StepGraphMode m = null;
        for (StepGraphMode v : values()) {
            if (v.name().equalsIgnoreCase(text == null ? "" : text.trim())) {
                m = v;
            }
        }
        if (m == null) {
            throw new UserInputException("--cuda-graphs '" + text + "' is not understood: expected auto, on or off");
        }
        if (m == ON && devices.stream().noneMatch(d -> d.kind() == Device.Kind.CUDA)) {
            throw new UserInputException("--cuda-graphs on needs GPU replicas (--devices cuda:...), got "
                    + devices + "; CPU replicas run each op as it is called");
        }
        if (m == ON && !synchronous(strategy)) {
            throw new UserInputException("--cuda-graphs on: --strategy " + strategy + " runs its replicas "
                    + "asynchronously, without repeated steps to capture; use a synchronous strategy (allreduce, ps) "
                    + "or --cuda-graphs auto");
        }
        return m;
    }

    /** Whether replicas of {@code strategy} should use graphs under this mode. */
    public boolean uses(String strategy) {
        return this != OFF && synchronous(strategy);
    }

    private static boolean synchronous(String strategy) {
        String s = strategy == null ? "" : strategy.toLowerCase(Locale.ROOT);
        return s.equals("allreduce") || s.equals("ps") || s.equals("single");
    }
}
