package dev.quadrant.trainer.parallel;

import java.util.List;

import dev.quadrant.device.Device;
import dev.quadrant.device.UserInputException;

/** The {@code --strategy} names and the step runner each one builds. */
public final class Strategies {
    /** Every strategy name {@code --strategy} accepts. */
    public static final List<String> NAMES = List.of("allreduce", "ps", "hogwild", "gossip");

    private Strategies() {}

    /** Checks {@code name} and that it can run on {@code devices}. */
    public static void check(String name, List<Device> devices) {
        if (!NAMES.contains(name)) {
            throw new UserInputException("--strategy '" + name + "' is not known: expected one of " + NAMES);
        }
        if (devices.size() > 1 && devices.stream().anyMatch(d -> !d.isCpu())) {
            throw new UserInputException("--devices: several replicas on GPUs need the NCCL communicator, which this "
                    + "build does not have yet; use one GPU (cuda:0) or CPU replicas (cpu:N)");
        }
    }

    /**
     * The step runner of {@code name} over {@code replicas} (replica 0 holds the initial parameters, which the
     * strategy broadcasts). One replica with {@code allreduce} or {@code ps} is plain single-device training.
     */
    public static StepRunner create(String name, List<Replica> replicas, float clipNorm) {
        check(name, replicas.stream().map(r -> r.backend().device()).toList());
        if (replicas.size() == 1 && (name.equals("allreduce") || name.equals("ps"))) {
            return new SingleReplica(replicas.get(0), clipNorm);
        }
        return switch (name) {
            case "allreduce" -> new AllReduceStrategy(replicas, clipNorm, AllReduceStrategy.DEFAULT_BUCKET_BYTES);
            case "ps" -> new ParameterServerStrategy(replicas, clipNorm);
            case "hogwild" -> new HogwildStrategy(replicas, clipNorm);
            case "gossip" -> new GossipStrategy(replicas, clipNorm, GossipStrategy.DEFAULT_PERIOD, GossipStrategy.DEFAULT_LAMBDA);
            default -> throw new IllegalStateException(name);
        };
    }
}
