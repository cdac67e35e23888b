package dev.quadrant.trainer.nn;

/** A declared activation buffer, by its index in the model's {@link ActivationPlan}; {@link Bind#tensor} resolves it. */
public record ActivationRef(int index) {}
