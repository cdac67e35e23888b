/**
 * The {@code quadrant} command line (picocli): {@code train}, {@code eval}, {@code plot},
 * {@code devices}; configuration files ({@code --config}, {@code --print-config}) and the defaults a resumed run takes
 * from its checkpoint. User errors print one
 * line and exit with status 2; internal errors exit with status 1; {@code --verbose} prints stack traces.
 */
package dev.quadrant.trainer.cli;
