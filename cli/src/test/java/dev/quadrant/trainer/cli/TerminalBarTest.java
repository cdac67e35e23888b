package dev.quadrant.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** Lines printed while the bar is shown go above it: the bar's line cleared, the line printed, the bar redrawn. */
class TerminalBarTest {
    static final String CLEAR = "\r\033[K";

    @Test
    void linesGoAboveTheBarAndStderrIsRoutedUntilClose() {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream terminal = new PrintStream(screen, true, StandardCharsets.UTF_8);
        PrintStream savedErr = System.err;
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        System.setErr(err);
        try {
            TerminalBar bar = new TerminalBar(terminal);
            bar.above(() -> terminal.println("before the bar"));
            bar.accept("[==  ] 50%");
            bar.above(() -> terminal.println("epoch 1"));
            bar.routeStderr();
            System.err.print("checkpoint ");
            assertEquals("", errBytes.toString(StandardCharsets.UTF_8), "a partial line waits for its end");
            System.err.println("written");
            bar.accept("[=== ] 75%");
            bar.close();
            assertSame(err, System.err, "standard error given back");
            assertEquals("checkpoint written\n", errBytes.toString(StandardCharsets.UTF_8).replace("\r\n", "\n"));
            assertEquals("before the bar\n" + CLEAR + "[==  ] 50%" + CLEAR + "epoch 1\n" + "[==  ] 50%"
                    + CLEAR + "[==  ] 50%" + CLEAR + "[=== ] 75%" + CLEAR,
                    screen.toString(StandardCharsets.UTF_8).replace("\r\n", "\n"));
        } finally {
            System.setErr(savedErr);
        }
    }
}
