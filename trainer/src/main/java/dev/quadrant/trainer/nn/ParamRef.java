package dev.quadrant.trainer.nn;

/** A parameter of a model's layout by its full name (e.g. {@code transformer.h.0.attn.c_attn.weight}). */
public record ParamRef(String name) {}
