/**
 * The GPU acceptance checks, runnable from the bundle on a GPU host
 * ({@code QUADRANT_MAIN=dev.quadrant.examples.gpu.GpuChecks bin/quadrant all --mnist DIR}, see
 * {@code scripts/gpu-check.sh}) and from the {@code gpu} JUnit suite: each check prints its measurements and a
 * PASS/FAIL line. Depends on the trainer and the device module.
 */
package dev.quadrant.examples.gpu;
