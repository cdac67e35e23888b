package dev.quadrant.trainer.data;

import java.util.List;

/**
 * The fields of a supervised dataset's samples: what the model reads ({@code input}) and what the objective compares
 * its output with ({@code target}). E.g. {@code image F32[28, 28, 1]} + {@code label I32[] of 10}, or
 * {@code tokens I32[64] of 65} + {@code targets I32[64] of 65}. Immutable.
 */
public record Schema(Field input, Field target) {
    public Schema {
        java.util.Objects.requireNonNull(input, "input");
        java.util.Objects.requireNonNull(target, "target");
    }

    public List<Field> fields() { return List.of(input, target); }

    @Override
    public String toString() { return input + " -> " + target; }
}
