/**
 * Benchmarks. Each prints a table of ratios against a reference measured in the same run (never lone absolute
 * times: the machines are shared and noisy).
 */
package dev.quadrant.examples.bench;
