package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.shm.ShmTracker;
import org.multiprocessing4j.platform.Platform;

/**
 * Contract of {@link SharedMemory}, across real child JVMs where it matters; the tracker's
 * promises (a killed creator's names go, an attacher never removes a name, a recycled name is
 * left alone) are checked with real SIGKILLs.
 */
@Timeout(120)
class SharedMemoryTest {
    private static final Platform OS = Platform.current();
    private static final Duration BOUND = Duration.ofSeconds(30);

    // ------------------------------------------------------------------ anonymous

    @Test
    void anonymousMemoryCapturedByATaskIsSharedWithTheChild() throws Exception {
        try (SharedMemory shm = SharedMemory.create(4096)) {
            shm.segment().set(ValueLayout.JAVA_INT, 0, 41);
            try (ChildProcess p = new ChildProcess(() -> {
                int v = shm.segment().get(ValueLayout.JAVA_INT, 0);
                shm.segment().set(ValueLayout.JAVA_INT, 4, v + 1);
            })) {
                p.start();
                p.join();
                assertEquals(0, p.exitCode().getAsInt(), () -> p.failure().toString());
            }
            assertEquals(42, shm.segment().get(ValueLayout.JAVA_INT, 4));
            assertTrue(shm.name().isEmpty());
            assertThrows(IllegalStateException.class, shm::unlink);
        }
    }

    // ------------------------------------------------------------------ named: basics

    @Test
    void namedMemoryIsAttachedByNameAndUnlinkedOnce() throws Exception {
        SharedMemory created = SharedMemory.createNamed(100);
        String name = created.name().orElseThrow();
        try {
            assertThrows(FileAlreadyExistsException.class, () -> SharedMemory.create(name, 100));
            try (SharedMemory attached = SharedMemory.attach("/" + name)) {
                assertEquals(100, attached.size());
                assertEquals(OS.pageSize(), attached.mappedSize());
                created.segment().set(ValueLayout.JAVA_LONG, 8, 7L);
                assertEquals(7L, attached.segment().get(ValueLayout.JAVA_LONG, 8));
                assertEquals(name, attached.name().orElseThrow());
            }
            created.unlink();
            assertThrows(NoSuchFileException.class, created::unlink);
            assertThrows(NoSuchFileException.class, () -> SharedMemory.attach(name));
            assertEquals(7L, created.segment().get(ValueLayout.JAVA_LONG, 8)); // mapping survives
        } finally {
            discard(created);
        }
    }

    @Test
    void attachingAMissingNameThrowsNoSuchFile() {
        assertThrows(NoSuchFileException.class,
                () -> SharedMemory.attach(SharedMemory.GENERATED_PREFIX + "missing-" + System.nanoTime()));
    }

    @Test
    void closeKeepsTheNameAndUnlinkKeepsTheMappings() throws Exception {
        SharedMemory a = SharedMemory.createNamed(64);
        String name = a.name().orElseThrow();
        try {
            a.segment().set(ValueLayout.JAVA_INT, 0, 5);
            a.close();
            a.close(); // idempotent
            assertTrue(shmFile(name).toFile().exists(), "close() must not remove the name");
            try (SharedMemory b = SharedMemory.attach(name)) {
                assertEquals(5, b.segment().get(ValueLayout.JAVA_INT, 0));
                b.unlink(); // any handle may unlink; the creator's tracker forgets the name
                assertFalse(ShmTracker.get().isRegistered(name));
                assertFalse(shmFile(name).toFile().exists());
                b.segment().set(ValueLayout.JAVA_INT, 0, 6); // still mapped
                assertEquals(6, b.segment().get(ValueLayout.JAVA_INT, 0));
            }
            assertThrows(NoSuchFileException.class, a::unlink); // gone already
        } finally {
            discard(a);
        }
    }

    @Test
    void generatedNamesCarryTheBackendsLengthOfRandomCharactersAfterThePrefix() throws Exception {
        try (SharedMemory a = SharedMemory.createNamed(1); SharedMemory b = SharedMemory.createNamed(1)) {
            try {
                String na = a.name().orElseThrow();
                String nb = b.name().orElseThrow();
                assertNotEquals(na, nb);
                for (String n : new String[] {na, nb}) {
                    assertTrue(n.startsWith("mp4j-"), n);
                    assertEquals(OS.memoryNames().generatedLength(), n.length(), n);
                    byte[] bits = Base64.getUrlDecoder().decode(n.substring("mp4j-".length()));
                    // Linux: 27 characters, at least 128 random bits; short names (macOS): 48
                    assertTrue(bits.length >= (n.length() >= 27 ? 16 : 6), n);
                    assertTrue(ShmTracker.isTrackable(n), n);
                }
            } finally {
                a.unlink();
                b.unlink();
            }
        }
    }

    @Test
    void sizeIsAsRequestedAndMappedSizeIsWholePages() throws Exception {
        long page = OS.pageSize();
        for (long size : new long[] {1, page - 1, page, page + 1, 3 * page}) {
            try (SharedMemory shm = SharedMemory.create(size)) {
                assertEquals(size, shm.size());
                assertEquals(size, shm.segment().byteSize());
                assertEquals((size + page - 1) / page * page, shm.mappedSize());
            }
        }
    }

    @Test
    void badInputAndUseAfterCloseThrow() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.create(0));
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.createNamed(0));
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.create("a/b", 10));
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.create("mp4j-a b", 10));
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.create("mp4j-a\nREG x 1", 10));
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.create("..", 10));
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.create("/", 10));
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.attach("a\0b"));
        SharedMemory shm = SharedMemory.create(10);
        shm.close();
        shm.close();
        assertThrows(IllegalStateException.class, shm::segment);
        assertThrows(IllegalStateException.class, shm::unlink);

        SharedMemory named = SharedMemory.createNamed(10);
        var segment = named.segment();
        named.close();
        assertThrows(IllegalStateException.class, named::segment);
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
        named.unlink(); // unlink works after close
        assertFalse(shmFile(named.name().orElseThrow()).toFile().exists());
    }

    // ------------------------------------------------------------------ named: attach checks

    @Test
    void attachRefusesABlockOtherUsersMayWrite() throws Exception {
        try (SharedMemory shm = SharedMemory.createNamed(16)) {
            String name = shm.name().orElseThrow();
            try {
                Files.setPosixFilePermissions(shmFile(name), PosixFilePermissions.fromString("rw--w----"));
                AccessDeniedException e = assertThrows(AccessDeniedException.class,
                        () -> SharedMemory.attach(name));
                assertTrue(e.getMessage().contains("0620"), e.getMessage());
                Files.setPosixFilePermissions(shmFile(name), PosixFilePermissions.fromString("rw-r--r--"));
                SharedMemory.attach(name).close(); // readable by others is allowed
            } finally {
                shm.unlink();
            }
        }
    }

    @Test
    void attachRefusesAnEmptyBlock() throws Exception {
        String name = SharedMemory.GENERATED_PREFIX + "empty-" + System.nanoTime();
        Path file = shmFile(name);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            IOException e = assertThrows(IOException.class, () -> SharedMemory.attach(name));
            assertTrue(e.getMessage().contains("empty"), e.getMessage());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    // ------------------------------------------------------------------ named: children

    @Test
    void namedBlockCapturedByATaskIsSharedWithTheChildAndTheChildNeverUnlinks() throws Exception {
        try (SharedMemory shm = SharedMemory.createNamed(4096)) {
            String name = shm.name().orElseThrow();
            try {
                shm.segment().set(ValueLayout.JAVA_INT, 0, 41);
                try (ChildProcess p = new ChildProcess(() -> {
                    shm.segment().set(ValueLayout.JAVA_INT, 4, shm.segment().get(ValueLayout.JAVA_INT, 0) + 1);
                    try (SharedMemory byName = SharedMemory.attach(name)) { // and by name
                        byName.segment().set(ValueLayout.JAVA_INT, 8, 43);
                    }
                    shm.close();
                })) {
                    p.start();
                    p.join();
                    assertEquals(0, p.exitCode().getAsInt(), () -> p.failure().toString());
                }
                assertEquals(42, shm.segment().get(ValueLayout.JAVA_INT, 4));
                assertEquals(43, shm.segment().get(ValueLayout.JAVA_INT, 8));
                assertTrue(shmFile(name).toFile().exists(), "a child that closed must not unlink");
            } finally {
                shm.unlink();
            }
        }
    }

    @Test
    void blocksLeftByAKilledCreatorAreRemoved() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            try (ChildProcess child = new ChildProcess(() -> createAndReport(c, false))) {
                child.start();
                c.close();
                Report r = (Report) pipe.first().recv();
                try {
                    assertTrue(shmFile(r.name()).toFile().exists());
                    assertTrue(r.trackerPid() > 0);
                    child.kill();
                    child.join();
                    assertEquals(-9 /* SIGKILL */, child.exitCode().getAsInt());
                    awaitTrue(() -> !shmFile(r.name()).toFile().exists(),
                            "the killed creator's block " + r.name() + " to be removed");
                    awaitTrue(() -> isGone(r.trackerPid()),
                            "the killed creator's tracker to exit");
                } finally {
                    unlinkQuietly(r.name());
                }
            }
        }
    }

    @Test
    void anUntrackedBlockOutlivesItsKilledCreator() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            try (ChildProcess child = new ChildProcess(() -> createAndReport(c, true))) {
                child.start();
                c.close();
                Report r = (Report) pipe.first().recv();
                try {
                    child.kill();
                    child.join();
                    awaitTrue(() -> isGone(r.trackerPid()),
                            "the killed creator's tracker to exit");
                    assertTrue(shmFile(r.name()).toFile().exists(), "untracked block was removed");
                } finally {
                    unlinkQuietly(r.name());
                }
            }
        }
    }

    @Test
    void aProcessThatAttachedNeverRemovesTheName() throws Exception {
        try (SharedMemory shm = SharedMemory.createNamed(64)) {
            String name = shm.name().orElseThrow();
            try {
                for (boolean killed : new boolean[] {false, true}) {
                    // Exits normally after attach + close, or is killed while attached.
                    try (Pipe pipe = Pipe.open()) {
                        Connection c = pipe.second();
                        try (ChildProcess child = new ChildProcess(
                                () -> attachAndReport(c, name, killed))) {
                            child.start();
                            c.close();
                            assertEquals(-1, (int) (Integer) pipe.first().recv(),
                                    "an attaching process must not even start a tracker");
                            if (killed) {
                                child.kill();
                            }
                            child.join();
                            assertEquals(killed ? -9 /* SIGKILL */ : 0, child.exitCode().getAsInt(),
                                    () -> child.failure().toString());
                        }
                    }
                    assertTrue(shmFile(name).toFile().exists(), "an attacher removed the name");
                }
                try (SharedMemory again = SharedMemory.attach(name)) {
                    assertEquals(1, again.segment().get(ValueLayout.JAVA_INT, 0));
                }
            } finally {
                shm.unlink();
            }
        }
    }

    @Test
    void theTrackerLeavesARecycledNameAlone() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            try (ChildProcess child = new ChildProcess(() -> createAndReport(c, false))) {
                child.start();
                c.close();
                Report r = (Report) pipe.first().recv();
                SharedMemory replacement = null;
                try {
                    // Someone else removes the child's block and creates a new one under its name.
                    try (SharedMemory theirs = SharedMemory.attach(r.name())) {
                        theirs.unlink();
                    }
                    replacement = SharedMemory.create(r.name(), 32);
                    child.kill();
                    child.join();
                    awaitTrue(() -> isGone(r.trackerPid()),
                            "the killed creator's tracker to exit");
                    assertTrue(shmFile(r.name()).toFile().exists(),
                            "the dead creator's tracker removed a block it did not create");
                } finally {
                    discard(replacement);
                    unlinkQuietly(r.name());
                }
            }
        }
    }

    @Test
    void theTrackerStopsWhenNothingIsTracked() throws Exception {
        SharedMemory shm = SharedMemory.createNamed(8);
        try {
            assertTrue(ShmTracker.get().trackerPid() > 0);
            assertTrue(ShmTracker.get().isRegistered(shm.name().orElseThrow()));
        } finally {
            shm.close();
            shm.unlink();
        }
        assertFalse(ShmTracker.get().isRegistered(shm.name().orElseThrow()));
        awaitTrue(() -> ShmTracker.get().trackerPid() == -1, "the idle tracker to stop");

        // A create that fails (the name exists, created by someone else) leaves no idle tracker.
        String name = SharedMemory.GENERATED_PREFIX + "theirs-" + System.nanoTime();
        Files.createFile(shmFile(name));
        try {
            assertThrows(FileAlreadyExistsException.class, () -> SharedMemory.create(name, 8));
            awaitTrue(() -> ShmTracker.get().trackerPid() == -1, "the idle tracker to stop");
            assertTrue(shmFile(name).toFile().exists(), "a failed create removed their name");
        } finally {
            Files.deleteIfExists(shmFile(name));
        }
    }

    // ------------------------------------------------------------------ child tasks and helpers

    /** What a creating child reports: its block's name and its tracker's pid. */
    record Report(String name, int trackerPid) implements java.io.Serializable {
    }

    static void createAndReport(Connection c, boolean untrack) throws Exception {
        SharedMemory shm = SharedMemory.createNamed(4096);
        if (untrack) {
            shm.untrack();
        }
        c.send(new Report(shm.name().orElseThrow(), ShmTracker.get().trackerPid()));
        Thread.sleep(600_000); // killed by the test
    }

    static void attachAndReport(Connection c, String name, boolean stayUntilKilled) throws Exception {
        SharedMemory shm = SharedMemory.attach(name);
        shm.segment().set(ValueLayout.JAVA_INT, 0, 1);
        if (!stayUntilKilled) {
            shm.close();
        }
        c.send(ShmTracker.get().trackerPid());
        if (stayUntilKilled) {
            Thread.sleep(600_000);
        }
    }

    /** Closes and unlinks through the API (so that this JVM's tracker forgets it), if not gone. */
    static void discard(SharedMemory shm) throws IOException {
        if (shm != null) {
            shm.close();
            try {
                shm.unlink();
            } catch (NoSuchFileException alreadyGone) {
                // the test unlinked it
            }
        }
    }

    /** {@return whether process {@code pid} has ended: no such process, or a zombie} */
    static boolean isGone(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'Z' || state == 'X';
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static Path shmFile(String name) {
        return Path.of("/dev/shm", name);
    }

    static void unlinkQuietly(String name) {
        try {
            Files.deleteIfExists(shmFile(name));
        } catch (IOException ignored) {
            // best effort in finally
        }
    }

    /** Polls {@code condition} until it holds; fails after {@link #BOUND} (a hang, not a timing). */
    static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("gave up waiting " + BOUND + " for " + what);
            }
            Thread.sleep(10);
        }
    }
}
