/**
 * Objectives: what training minimises and how a model is judged (classification, language modelling, regression).
 * Depends on the device layer and the data schema only.
 */
package dev.quadrant.trainer.objective;
