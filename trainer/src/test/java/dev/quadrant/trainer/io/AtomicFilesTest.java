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

    /** Issue 13 item 21: a crashed write's temporary file is removed by the next write of the same target. */
    @Test
    void staleTemporaryFilesOfCrashedWritesAreRemovedLiveOnesKept() throws IOException {
        Path f = dir.resolve("m.safetensors");
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.fromMillis(
                System.currentTimeMillis() - AtomicFiles.STALE_AFTER_MILLIS - 60_000);
        long dead = deadPid();
        Path crashed = Files.writeString(dir.resolve(".m.safetensors." + dead + "-1f2e3d.tmp"), "half");
        Files.setLastModifiedTime(crashed, old);
        Path legacy = Files.writeString(dir.resolve(".m.safetensors.abc123.tmp"), "half");
        Files.setLastModifiedTime(legacy, old);
        Path live = Files.writeString(dir.resolve(".m.safetensors." + ProcessHandle.current().pid() + "-77.tmp"), "now");
        Files.setLastModifiedTime(live, old);
        Path young = Files.writeString(dir.resolve(".m.safetensors." + dead + "-88.tmp"), "just begun");
        Path other = Files.writeString(dir.resolve(".other." + dead + "-99.tmp"), "another target's");
        Files.setLastModifiedTime(other, old);
        AtomicFiles.write(f, out -> out.write(1));
        assertEquals(Stream.of(live, other, young, f).map(p -> p.getFileName().toString()).sorted().toList(), names(),
                "the dead writer's old temporary files are gone; a live writer's, a young one and another target's stay");
    }

    private static long deadPid() throws IOException {
        try {
            Process p = new ProcessBuilder("true").start();
            p.waitFor();
            return p.pid();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
