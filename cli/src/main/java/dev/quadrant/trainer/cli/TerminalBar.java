package dev.quadrant.trainer.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarConsumer;

/**
 * The line of a terminal that holds the progress bar, shared with whatever else prints: every other line goes
 * <em>above</em> the bar ({@link #above}): the bar's line is cleared, the line printed, and the bar drawn again below
 * it, so log lines and epoch summaries are never overwritten and no stale copy of the bar stays behind. While the bar
 * is shown, {@code System.err} (where slf4j-simple logs) is routed the same way, line by line ({@link #routeStderr}).
 * The bar is as wide as the terminal (asked at each redraw, so a resized window is followed), less three columns so
 * that neither it nor an echoed {@code ^C} wraps.
 *
 * <p>Thread-safety: all output goes through one lock, taken by the bar's render thread, the driver thread (summaries)
 * and any thread that logs; each piece is written and flushed whole under it.
 */
final class TerminalBar implements ProgressBarConsumer {
    private static final String CLEAR_LINE = "\r\033[K";

    private final PrintStream terminal;                 // standard output, a terminal
    private final ConsoleProgressBarConsumer width;     // asks the terminal its width (JLine, via progressbar)
    private final Object lock = new Object();
    private PrintStream originalErr;                    // while stderr is routed
    private String bar;                                 // the last bar drawn, or null
    private boolean closed;

    TerminalBar(PrintStream terminal) {
        this.terminal = terminal;
        this.width = new ConsoleProgressBarConsumer(terminal);
    }

    @Override
    public int getMaxRenderedLength() {
        // two columns more than progressbar's margin of one: room for the "^C" a terminal echoes, so it lands on the
        // bar's line (cleared with it) instead of wrapping a stale copy of the bar into the scrollback
        return Math.max(20, width.getMaxRenderedLength() - 2);
    }

    @Override
    public void accept(String rendered) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            bar = rendered;
            terminal.print(CLEAR_LINE + rendered);
            terminal.flush();
        }
    }

    /** Runs {@code print} (which writes and flushes whole lines) above the bar. */
    void above(Runnable print) {
        synchronized (lock) {
            if (bar != null && !closed) {
                terminal.print(CLEAR_LINE);
                terminal.flush();
            }
            print.run();
            if (bar != null && !closed) {
                terminal.print(bar);
                terminal.flush();
            }
        }
    }

    /** Routes {@code System.err} above the bar until {@link #close}. */
    void routeStderr() {
        synchronized (lock) {
            if (originalErr != null || closed) {
                return;
            }
            PrintStream err = System.err;
            originalErr = err;
            System.setErr(new PrintStream(new Lines(err), true, StandardCharsets.UTF_8));
        }
    }

    /** Clears the bar's line (the summaries above it hold what it showed) and restores {@code System.err}. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (bar != null) {
                terminal.print(CLEAR_LINE);
                terminal.flush();
            }
            if (originalErr != null) {
                System.err.flush();
                System.setErr(originalErr);
                originalErr = null;
            }
        }
    }

    /** Collects bytes into lines and prints each whole line above the bar. */
    private final class Lines extends OutputStream {
        private final PrintStream target;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        Lines(PrintStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            synchronized (lock) {
                line.write(b);
                if (b == '\n') {
                    emit();
                }
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            synchronized (lock) {
                for (int i = off; i < off + len; i++) {
                    line.write(b[i]);
                    if (b[i] == '\n') {
                        emit();
                    }
                }
            }
        }

        @Override
        public void flush() {
            // partial lines wait for their end: printed now they would be overwritten by the next redraw
        }

        private void emit() {
            byte[] bytes = line.toByteArray();
            line.reset();
            above(() -> {
                target.write(bytes, 0, bytes.length);
                target.flush();
            });
        }
    }
}
