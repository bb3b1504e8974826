package org.multiprocessing4j.platform.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Pipe;
import org.multiprocessing4j.platform.ProcessMark;

/**
 * Liveness marks made of classic {@code fcntl} locks on lock files: another process's mark is
 * seen until it closes it or dies, whatever this process opens and closes meanwhile; this
 * process's own marks are counted per handle.
 */
@Timeout(90)
class PosixLivenessTest {
    private static final PosixPlatform OS = PosixPlatform.create("Linux", System.getProperty("os.arch"));
    private static final long TOKEN = 0x2A_0000_1234L;

    @Test
    void anotherProcesssMarkIsSeenUntilItDiesEvenIfWeCloseDescriptorsOfTheFile() throws Exception {
        String name = "/mp4j-t-" + UUID.randomUUID().toString().substring(0, 8);
        var fd = OS.openNamedMemory(name, true);
        try (Pipe pipe = Pipe.open()) {
            Connection theirs = pipe.second();
            try (ChildProcess child = new ChildProcess(() -> holdMark(name, theirs))) {
                child.start();
                assertEquals("placed", pipe.first().recv());
                try (ProcessMark h = OS.placeMark(fd, TOKEN + 2)) {
                    assertTrue(h.isPlaced(TOKEN));
                    OS.close(OS.openNamedMemory(name, false)); // would drop a classic lock on the file
                    assertTrue(h.isPlaced(TOKEN));
                    assertFalse(h.isPlaced(TOKEN + 1));
                    pipe.first().send("close");
                    assertEquals("closed", pipe.first().recv());
                    assertFalse(h.isPlaced(TOKEN), "a live process's closed mark is gone");
                    pipe.first().send("place");
                    assertEquals("placed", pipe.first().recv());
                    assertTrue(h.isPlaced(TOKEN));
                    child.kill();
                    assertTrue(child.join(Duration.ofSeconds(60)));
                    assertFalse(h.isPlaced(TOKEN), "the dead child's mark is gone");
                }
            }
        } finally {
            OS.unlinkNamedMemory(name);
            OS.close(fd);
        }
    }

    private static void holdMark(String name, Connection c) throws Exception {
        var fd = OS.openNamedMemory(name, false);
        ProcessMark h = OS.placeMark(fd, TOKEN);
        OS.close(fd); // closing another descriptor of the file keeps the mark
        c.send("placed");
        c.recv();
        h.close();
        c.send("closed");
        c.recv();
        fd = OS.openNamedMemory(name, false);
        OS.placeMark(fd, TOKEN);
        c.send("placed");
        c.recv(); // until killed, or told to exit (its mark still placed)
    }

    /**
     * A killed process cannot remove its lock file: the survivor that closes its own mark on the
     * region removes the files of the dead, so once the region is closed and unlinked no file of
     * it is left.
     */
    @Test
    void aKilledProcesssLockFileGoesWhenASurvivorClosesItsMarkOnTheRegion() throws Exception {
        String name = "/mp4j-t-" + UUID.randomUUID().toString().substring(0, 8);
        var fd = OS.openNamedMemory(name, true);
        long inode = OS.inode(fd);
        try (Pipe pipe = Pipe.open()) {
            Connection theirs = pipe.second();
            try (ChildProcess child = new ChildProcess(() -> holdMark(name, theirs))) {
                child.start();
                assertEquals("placed", pipe.first().recv());
                ProcessMark mine = OS.placeMark(fd, TOKEN + 2);
                assertEquals(2, lockFiles(inode).size(), () -> "lock files " + lockFiles(inode));
                child.kill();
                assertTrue(child.join(Duration.ofSeconds(60)));
                mine.close();
            }
        } finally {
            OS.unlinkNamedMemory(name);
            OS.close(fd);
        }
        assertEquals(List.of(), lockFiles(inode), "lock files of the closed and unlinked region");
    }

    /** Marks of this process and of a child, placed and closed: nothing of the region is left. */
    @Test
    void aRegionsLifeCycleLeavesNoLockFile() throws Exception {
        String name = "/mp4j-t-" + UUID.randomUUID().toString().substring(0, 8);
        var fd = OS.openNamedMemory(name, true);
        long inode = OS.inode(fd);
        try (Pipe pipe = Pipe.open()) {
            Connection theirs = pipe.second();
            try (ChildProcess child = new ChildProcess(() -> holdMark(name, theirs));
                    ProcessMark a = OS.placeMark(fd, TOKEN + 2);
                    ProcessMark b = OS.placeMark(fd, TOKEN + 3)) {
                child.start();
                assertEquals("placed", pipe.first().recv());
                pipe.first().send("close");
                assertEquals("closed", pipe.first().recv());
                assertFalse(a.isPlaced(TOKEN));
                pipe.first().send("place");
                assertEquals("placed", pipe.first().recv());
                assertTrue(a.isPlaced(TOKEN));
                pipe.first().send("exit");
                assertTrue(child.join(Duration.ofSeconds(60)));
                assertEquals(java.util.OptionalInt.of(0), child.exitCode());
                assertFalse(b.isPlaced(TOKEN), "the child ended: its mark went with it");
            }
        } finally {
            OS.unlinkNamedMemory(name);
            OS.close(fd);
        }
        assertEquals(List.of(), lockFiles(inode), "lock files of the closed and unlinked region");
    }

    /**
     * A lock file left under the name this process's next mark needs (its removal failed, say)
     * is replaced by a locked one: the mark is placed.
     */
    @Test
    void aStaleLockFileUnderTheNameOfANewMarkIsReplaced() throws Exception {
        var fd = OS.createAnonymousMemory("t", 4096);
        long inode = OS.inode(fd);
        Path stale = PosixLiveness.directory().resolve(Long.toHexString(inode) + "."
                + Long.toHexString(TOKEN));
        Files.createFile(stale);
        long staleInode = (long) Files.getAttribute(stale, "unix:ino");
        try (ProcessMark a = OS.placeMark(fd, TOKEN); ProcessMark b = OS.placeMark(fd, TOKEN + 1)) {
            assertTrue(b.isPlaced(TOKEN));
            assertTrue(Files.exists(stale));
            assertFalse(staleInode == (long) Files.getAttribute(stale, "unix:ino"),
                    "the stale file is still there");
        } finally {
            OS.close(fd);
        }
        assertEquals(List.of(), lockFiles(inode));
    }

    /** {@return the lock files of marks on the file with {@code inode}} */
    private static List<String> lockFiles(long inode) {
        String prefix = Long.toHexString(inode) + ".";
        try (Stream<Path> files = Files.list(PosixLiveness.directory())) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.startsWith(prefix))
                    .sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void thisProcesssMarksAreCountedPerHandleAndGoWithTheirHandle() throws Exception {
        var fd = OS.createAnonymousMemory("t", 4096);
        long self = OS.processToken();
        try (ProcessMark b = OS.placeMark(fd, 1)) {
            ProcessMark a = OS.placeMark(fd, self);
            try {
                assertTrue(b.isPlaced(self), "a mark through another handle");
                assertFalse(a.isPlaced(self), "only its own mark");
            } finally {
                a.close();
            }
            assertFalse(b.isPlaced(self));
        } finally {
            OS.close(fd);
        }
    }
}
