/**
 * Benchmark programs: each a {@code main} that prints plain, formatted results (ratios rather than pass/fail, since
 * the numbers depend on the machine and on what else runs on it).
 *
 * <p>Depends on: device (communicators), trainer.
 */
package dev.quadrant.examples.bench;
