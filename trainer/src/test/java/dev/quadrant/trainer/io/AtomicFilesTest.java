package dev.quadrant.trainer.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void createsAndReplaces() throws IOException {
        Path f = dir.resolve("a.txt");
        AtomicFiles.write(f, out -> out.write("one".getBytes(StandardCharsets.UTF_8)));
        assertEquals("one", Files.readString(f));
        AtomicFiles.write(f, out -> {
            out.write("two".getBytes(StandardCharsets.UTF_8));
            out.close(); // a body may close the stream; the data is still forced and renamed
        });
        assertEquals("two", Files.readString(f));
        assertEquals(List.of("a.txt"), names());
    }

    @Test
    void failingBodyLeavesOldContentAndNoTempFile() throws IOException {
        Path f = dir.resolve("a.txt");
        Files.writeString(f, "old");
        IOException io = new IOException("disk full");
        assertSame(io, assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[100_000]); // more than the buffer: partly in the temp file already
            throw io;
        })));
        IllegalStateException bug = new IllegalStateException("bug");
        assertSame(bug, assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f, out -> {
            throw bug;
        })));
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("a.txt"), names());
    }

    @Test
    void failingRenameLeavesNoTempFile() throws IOException {
        Path target = dir.resolve("sub");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep"), "x"); // a non-empty directory cannot be replaced
        assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> out.write(1)));
        assertEquals(List.of("sub"), names());
        assertEquals("x", Files.readString(target.resolve("keep")));
    }

    @Test
    void missingDirectoryIsAnIoError() {
        assertThrows(NoSuchFileException.class,
                () -> AtomicFiles.write(dir.resolve("nope/a.txt"), out -> out.write(1)));
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
