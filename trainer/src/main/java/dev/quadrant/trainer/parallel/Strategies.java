package dev.quadrant.trainer.parallel;

import java.time.Duration;
import java.util.List;

import dev.quadrant.device.Device;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.cluster.ProcessGroup;

/**
 * The {@code --strategy} names and the step runner each one builds. Every strategy runs on CPU replicas
 * ({@code cpu:N}) and on GPU replicas: several GPUs ({@code cuda:0,1}, NCCL), several replicas on one GPU
 * ({@code cuda:0x4}, device-local reductions), or both ({@code cuda:0x2,1x2}).
 */
public final class Strategies {
    /** Every strategy name {@code --strategy} accepts. */
    public static final List<String> NAMES = List.of("allreduce", "ps", "hogwild", "gossip");

    /** How long a collective waits for the other replicas before the run fails naming them (5 minutes). */
    public static final Duration COLLECTIVE_DEADLINE = ReplicaGroup.COLLECTIVE_DEADLINE;

    private Strategies() {}

    /** Checks {@code name} and that it can run on {@code devices}. */
    public static void check(String name, List<Device> devices) {
        if (!NAMES.contains(name)) {
            throw new UserInputException("--strategy '" + name + "' is not known: expected one of " + NAMES);
        }
        if (devices.stream().anyMatch(Device::isCpu) && devices.stream().anyMatch(d -> !d.isCpu())) {
            throw new UserInputException("--devices " + devices + ": CPU and GPU replicas cannot be mixed in one run; "
                    + "use cpu:N or cuda:...");
        }
    }

    /**
     * The step runner of {@code name} over {@code replicas} (replica 0 holds the initial parameters, which the
     * strategy broadcasts). One replica with {@code allreduce} or {@code ps} is plain single-device training.
     */
    public static StepRunner create(String name, List<Replica> replicas, float clipNorm) {
        return create(name, replicas, clipNorm, ReplicaGroup.COLLECTIVE_DEADLINE);
    }

    /** As above, with the longest a collective may wait for the other replicas before the run fails naming them. */
    public static StepRunner create(String name, List<Replica> replicas, float clipNorm, Duration deadline) {
        return create(name, replicas, clipNorm, deadline, ProcessGroup.single());
    }

    /**
     * As above, for this process's replicas in a job of several processes ({@code processes}): every strategy runs
     * over every replica of every process (see each strategy's constructor with a {@link ProcessGroup}).
     */
    public static StepRunner create(String name, List<Replica> replicas, float clipNorm, Duration deadline,
                                    ProcessGroup processes) {
        check(name, replicas.stream().map(r -> r.backend().device()).toList());
        if (!processes.isSingle()) {
            return switch (name) {
                case "allreduce" -> new AllReduceStrategy(replicas, clipNorm, AllReduceStrategy.DEFAULT_BUCKET_BYTES,
                        deadline, processes);
                case "ps" -> new ParameterServerStrategy(replicas, clipNorm, deadline, processes);
                case "hogwild" -> new HogwildStrategy(replicas, clipNorm, deadline, processes);
                case "gossip" -> new GossipStrategy(replicas, clipNorm, GossipStrategy.DEFAULT_PERIOD,
                        GossipStrategy.DEFAULT_LAMBDA, deadline, processes);
                default -> throw new IllegalStateException(name);
            };
        }
        if (replicas.size() == 1 && (name.equals("allreduce") || name.equals("ps"))) {
            return new SingleReplica(replicas.get(0), clipNorm);
        }
        return switch (name) {
            case "allreduce" -> new AllReduceStrategy(replicas, clipNorm, AllReduceStrategy.DEFAULT_BUCKET_BYTES, deadline);
            case "ps" -> new ParameterServerStrategy(replicas, clipNorm, deadline);
            case "hogwild" -> new HogwildStrategy(replicas, clipNorm, deadline);
            case "gossip" -> new GossipStrategy(replicas, clipNorm, GossipStrategy.DEFAULT_PERIOD,
                    GossipStrategy.DEFAULT_LAMBDA, deadline);
            default -> throw new IllegalStateException(name);
        };
    }
}
