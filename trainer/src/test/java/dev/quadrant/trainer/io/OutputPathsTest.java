package dev.quadrant.trainer.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.device.UserInputException;

/** Issue 13 items 1, 2, 5, 11, 12: outputs checked together up front, inputs only regular files, reads bounded. */
class OutputPathsTest {
    @TempDir
    Path dir;

    private String refused(OutputPaths p) {
        return assertThrows(UserInputException.class, p::check).getMessage();
    }

    static Path fifo(Path at) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("mkfifo", at.toString()).inheritIO().start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo " + at);
        return at;
    }

    @Test
    void anOutputThatIsAnInputIsRefusedThroughLinksAndDotDots() throws IOException {
        Path data = Files.writeString(dir.resolve("data.csv"), "1,2\n");
        Path link = Files.createSymbolicLink(dir.resolve("alias.csv"), data);
        String m = refused(OutputPaths.create().inputFile("--data", data)
                .outputFile("--metrics", dir.resolve("sub/../alias.csv")));
        assertTrue(m.startsWith("--metrics " + dir.resolve("sub/../alias.csv") + " is the input of --data " + data), m);
        assertTrue(Files.isSymbolicLink(link));
        m = refused(OutputPaths.create().outputFile("--save", dir.resolve("x")).outputFile("--metrics", dir.resolve("x")));
        assertTrue(m.contains("--metrics " + dir.resolve("x") + " is the output of --save"), m);
        Path ck = Files.createDirectories(dir.resolve("ck/step-000010"));
        m = refused(OutputPaths.create().inputTree("--resume", ck).outputFile("--save", ck.resolve("model.safetensors")));
        assertTrue(m.contains("inside the input of --resume"), m);
        assertEquals("1,2\n", Files.readString(data));
    }

    @Test
    void outputsThatARenameWouldReplaceAreRefused() throws IOException {
        Path target = Files.writeString(dir.resolve("real.safetensors"), "keep");
        Path link = Files.createSymbolicLink(dir.resolve("link.safetensors"), target);
        assertTrue(refused(OutputPaths.create().outputFile("--save", link)).contains("is a symbolic link"));
        assertTrue(refused(OutputPaths.create().outputFile("--save", Path.of("/dev/null")))
                .contains("is a character device, not a regular file"));
        assertTrue(refused(OutputPaths.create().outputFile("--save", dir)).contains("is a directory; expected a file"));
        assertEquals("keep", Files.readString(target));
        assertTrue(Files.isSymbolicLink(link));
        // AtomicFiles itself refuses them too (plot --out and any other caller)
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(link, out -> out.write(1)));
        assertTrue(e.getMessage().contains("a symbolic link, not a regular file"), e.getMessage());
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("keep", Files.readString(target));
    }

    @Test
    void badParentsAndLongNamesAreFoundBeforeAnythingIsWritten() throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertTrue(refused(OutputPaths.create().outputFile("--save", file.resolve("m.safetensors")))
                .contains(file + " is not a directory (a file), so the file cannot be created in it"));
        assertTrue(refused(OutputPaths.create().outputFile("--save", file.resolve("a/b/m.safetensors")))
                .contains("so the directory " + file.resolve("a/b") + " cannot be created"));
        String longName = "m".repeat(OutputPaths.MAX_NAME_BYTES + 1);
        assertTrue(refused(OutputPaths.create().outputFile("--save", dir.resolve(longName)))
                .contains("the file name is " + (OutputPaths.MAX_NAME_BYTES + 1) + " bytes; at most "));
        assertTrue(refused(OutputPaths.create().outputDir("--checkpoint-dir", file)).contains("is not a directory"));
        OutputPaths.create().outputFile("--save", dir.resolve("new/deeper/m.safetensors"))
                .outputFile("--metrics", dir.resolve(longName.substring(1))).check();
        assertFalse(Files.exists(dir.resolve("new")), "checking creates nothing");
    }

    @Test
    void nonRegularInputsAreRefusedBeforeTheyAreOpened() throws Exception {
        Path pipe = fifo(dir.resolve("model.safetensors"));
        String m = refused(OutputPaths.create().inputFile("--load", pipe)); // opening it would block forever
        assertTrue(m.contains("--load " + pipe + ": is a FIFO (named pipe or process substitution), not a regular file"), m);
        m = assertThrows(UserInputException.class, () -> InputFiles.readBounded("--config", Path.of("/dev/zero"), 1 << 20))
                .getMessage();
        assertTrue(m.contains("--config /dev/zero: is a character device, not a regular file"), m);
        assertTrue(refused(OutputPaths.create().inputFile("--load", dir)).contains("is a directory"));
        assertTrue(refused(OutputPaths.create().inputFile("--load", dir.resolve("nope"))).contains("no such file"));
    }

    @Test
    void readsAreBoundedByTheBytesReadNotTheReportedSize() throws IOException {
        Path f = Files.write(dir.resolve("c.yaml"), new byte[101]);
        assertEquals(100, InputFiles.readBounded("--config", Files.write(dir.resolve("ok"), new byte[100]), 100).length);
        String m = assertThrows(UserInputException.class, () -> InputFiles.readBounded("--config", f, 100)).getMessage();
        assertTrue(m.contains("more than 100 bytes"), m);
    }
}
