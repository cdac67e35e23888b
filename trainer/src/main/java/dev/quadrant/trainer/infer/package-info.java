/**
 * Inference: a saved model bound to a backend ({@link dev.quadrant.trainer.infer.SavedModel}: predict, classify) and
 * text generation from a language model ({@link dev.quadrant.trainer.infer.Generator}). Depends on nn, data and
 * train (for the model file format).
 */
package dev.quadrant.trainer.infer;
