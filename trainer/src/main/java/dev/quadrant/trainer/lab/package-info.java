/**
 * The strategy lab ({@code quadrant lab}): measures compute and communication on this machine, runs the four
 * strategies for a short budget at N = 1, 2, 4, ... replicas, predicts step times with a Paleo-style cost model
 * ({@link dev.quadrant.trainer.lab.CostModel}) on this machine and on named hardware profiles
 * ({@link dev.quadrant.trainer.lab.HardwareProfile}), and writes a report (charts, error table, summary).
 *
 * <p>Entry point from Java: {@link dev.quadrant.trainer.lab.Lab#run}. Depends on {@code train} (runs), {@code parallel}
 * (bucket plan), {@code device.comm} (the in-process communicator it times), Jackson and XChart; nothing depends on it
 * but the command line.
 */
package dev.quadrant.trainer.lab;
