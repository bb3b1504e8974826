package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Named memory: create with its size ({@code createNamedMemory}: exclusive, private to this user,
 * its memory reserved or nothing left), open by name (the same memory),
 * unlink (the name goes, mappings stay), each failure a typed exception; names that no
 * POSIX.1-2017 system accepts are refused and leave nothing behind.
 */
class NamedMemoryContractTest {
    private final Platform os = Tck.platform();

    /** 30 characters after the {@code /}: the longest name every POSIX.1-2017 system takes (macOS). */
    private static String newName() {
        byte[] b = new byte[10];
        ThreadLocalRandom.current().nextBytes(b);
        return "/mp4j-tckn-" + HexFormat.of().formatHex(b);
    }

    @Test
    void aCreatedBlockIsOpenedByNameAsTheSameMemory() throws IOException {
        String name = newName();
        Handle created = os.createNamedMemory(name, os.pageSize());
        Handle opened = null;
        try (Arena arena = Arena.ofShared()) {
            opened = os.openNamedMemory(name, false);
            MemorySegment a = os.map(created, os.pageSize(), arena);
            MemorySegment b = os.map(opened, os.pageSize(), arena);
            a.set(ValueLayout.JAVA_LONG, 8, 0x0123_4567_89AB_CDEFL);
            assertEquals(0x0123_4567_89AB_CDEFL, b.get(ValueLayout.JAVA_LONG, 8));
            assertEquals(os.pageSize(), os.status(opened).size());
        } finally {
            Tck.closeAll(created, opened);
            os.unlinkNamedMemory(name);
        }
    }

    @Test
    void aCreatedBlockIsReadableAndWritableByThisUserOnly() throws IOException {
        String name = newName();
        Handle fd = os.createNamedMemory(name, os.pageSize());
        try {
            Platform.FileStatus s = os.status(fd);
            assertEquals(os.uid(), s.ownerUid());
            assertEquals(0600, s.permissions(), Integer.toOctalString(s.permissions()));
        } finally {
            os.close(fd);
            os.unlinkNamedMemory(name);
        }
    }

    @Test
    void creatingANameThatExistsFailsWithFileAlreadyExists() throws IOException {
        String name = newName();
        Handle fd = os.createNamedMemory(name, os.pageSize());
        try {
            assertThrows(FileAlreadyExistsException.class, () -> os.createNamedMemory(name, os.pageSize()));
        } finally {
            os.close(fd);
            os.unlinkNamedMemory(name);
        }
    }

    @Test
    void openingOrUnlinkingANameThatDoesNotExistFailsWithNoSuchFile() {
        String name = newName();
        assertThrows(NoSuchFileException.class, () -> os.openNamedMemory(name, false));
        assertThrows(NoSuchFileException.class, () -> os.unlinkNamedMemory(name));
    }

    @Test
    void unlinkingRemovesTheNameButNotTheMappings() throws IOException {
        String name = newName();
        Handle fd = os.createNamedMemory(name, os.pageSize());
        try (Arena arena = Arena.ofShared()) {
            MemorySegment m = os.map(fd, os.pageSize(), arena);
            os.unlinkNamedMemory(name);
            m.set(ValueLayout.JAVA_INT, 0, 99);
            assertEquals(99, m.get(ValueLayout.JAVA_INT, 0));
            assertThrows(NoSuchFileException.class, () -> os.openNamedMemory(name, false));
            assertThrows(NoSuchFileException.class, () -> os.unlinkNamedMemory(name));
        } finally {
            os.close(fd);
        }
    }

    @Test
    void aCreateWhoseMemoryCannotBeReservedFailsAndLeavesNoName() {
        String name = newName();
        assertThrows(IOException.class, () -> os.createNamedMemory(name, Long.MAX_VALUE / 4));
        assertThrows(NoSuchFileException.class, () -> os.openNamedMemory(name, false));
    }

    @Test
    void aNameWithASlashInsideIsRefusedAndLeavesNothing() {
        String name = newName() + "/x";
        try {
            assertThrows(IOException.class, () -> os.createNamedMemory(name, os.pageSize()));
        } finally {
            try {
                os.unlinkNamedMemory(name);
            } catch (IOException expected) {
                // nothing to remove: the contract
            }
        }
    }
}
