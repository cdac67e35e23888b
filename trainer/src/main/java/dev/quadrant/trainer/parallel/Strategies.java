package dev.quadrant.trainer.parallel;

import java.util.List;

import dev.quadrant.device.UserInputException;

/** The {@code --strategy} names and the step runner each one builds. */
public final class Strategies {
    /** Every strategy name {@code --strategy} accepts. */
    public static final List<String> NAMES = List.of("allreduce", "ps", "hogwild", "gossip");

    private Strategies() {}

    /** Checks {@code name} and that it can run on {@code replicas} replicas. */
    public static void check(String name, int replicas) {
        if (!NAMES.contains(name)) {
            throw new UserInputException("--strategy '" + name + "' is not known: expected one of " + NAMES);
        }
        if (replicas > 1) {
            throw new UserInputException("--strategy " + name + " with " + replicas
                    + " replicas is not available in this build: use one device (e.g. --devices cpu:1)");
        }
    }

    /** The step runner of {@code name} over {@code replicas} (replica 0 holds the initial parameters). */
    public static StepRunner create(String name, List<Replica> replicas, float clipNorm) {
        check(name, replicas.size());
        return new SingleReplica(replicas.get(0), clipNorm);
    }
}
