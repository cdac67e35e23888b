package dev.quadrant.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.device.UserInputException;

/** Issue 13 item 4: one run per --checkpoint-dir, the holder named, stale locks taken over; item 3: manifest sha256. */
class CheckpointLockTest {
    @TempDir
    Path root;

    /** Holds the lock of args[0] until its standard input closes (or it is killed). */
    public static final class Holder {
        public static void main(String[] args) throws IOException {
            try (CheckpointLock lock = CheckpointLock.acquire(Path.of(args[0]))) {
                System.out.println("locked");
                System.out.flush();
                System.in.read();
            }
        }
    }

    @Test
    void aSecondWriterInThisProcessIsRefusedAndCanStartOnceTheFirstCloses() {
        CheckpointWriter first = new CheckpointWriter(root, 3);
        UserInputException e = assertThrows(UserInputException.class, () -> new CheckpointWriter(root, 3));
        assertTrue(e.getMessage().contains("is in use by another run (pid " + ProcessHandle.current().pid() + " on host"),
                e.getMessage());
        first.close();
        new CheckpointWriter(root, 3).close();
    }

    @Test
    void anotherProcessIsNamedAndItsLockIsTakenOverOnceItIsKilled() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Holder.class.getName(),
                root.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            UserInputException e = assertThrows(UserInputException.class, () -> CheckpointLock.acquire(root));
            assertTrue(e.getMessage().contains("pid " + child.pid() + " on host"), e.getMessage());
            child.destroyForcibly(); // kill -9: the lock file still names it
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            assertTrue(Files.readString(root.resolve(CheckpointLock.FILE)).contains("pid " + child.pid()));
            try (CheckpointLock mine = CheckpointLock.acquire(root)) {
                assertTrue(Files.readString(mine.file()).startsWith("pid " + ProcessHandle.current().pid() + " "));
            }
            assertEquals("", Files.readString(root.resolve(CheckpointLock.FILE)), "released: emptied");
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void aChangedManifestIsRefusedByItsChecksum() throws IOException {
        Path dir;
        try (CheckpointWriter w = new CheckpointWriter(root, 3)) {
            dir = new CheckpointStoreTest().write(w, 10);
        }
        Path manifest = dir.resolve(CheckpointStore.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replaceFirst("\\{", "{ ")); // still valid JSON
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> CheckpointStore.load(dir));
        assertTrue(e.getMessage().contains("manifest.sha256 does not record"), e.getMessage());
    }
}
