package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SharedMemoryManager}: blocks and lists it creates are usable from other processes and
 * are all removed from {@code /dev/shm} when it shuts down, even after their users closed or died.
 */
@Timeout(120)
class SharedMemoryManagerTest {

    @Test
    void everythingItCreatedIsUnlinkedAtShutdown() throws Exception {
        String blockName;
        String listName;
        try (SharedMemoryManager smm = SharedMemoryManager.start()) {
            try (SharedMemory block = smm.sharedMemory(128);
                 ShareableList list = smm.shareableList(List.of(1, "two", 3.0))) {
                blockName = block.name().orElseThrow();
                listName = list.name();
                assertTrue(Files.exists(Path.of("/dev/shm", blockName.replaceFirst("^/", ""))));
                block.segment().set(ValueLayout.JAVA_INT, 0, 42);
                try (ChildProcess user = new ChildProcess(() -> {
                    try (SharedMemory b = SharedMemory.attach(blockName); ShareableList l = ShareableList.attach(listName)) {
                        b.segment().set(ValueLayout.JAVA_INT, 4, b.segment().get(ValueLayout.JAVA_INT, 0) + 1);
                        l.set(0, 100);
                    }
                })) {
                    user.start();
                    user.join();
                    assertEquals(0, user.exitCode().getAsInt(), () -> String.valueOf(user.failure()));
                }
                assertEquals(43, block.segment().get(ValueLayout.JAVA_INT, 4));
                assertEquals(100L, ((Number) list.get(0)).longValue());
            }
            assertTrue(Files.exists(Path.of("/dev/shm", blockName.replaceFirst("^/", ""))),
                    "closing a view does not remove the block");
            assertThrows(IllegalArgumentException.class, () -> smm.sharedMemory(0));
        }
        assertFalse(Files.exists(Path.of("/dev/shm", blockName.replaceFirst("^/", ""))), "block unlinked");
        assertFalse(Files.exists(Path.of("/dev/shm", listName.replaceFirst("^/", ""))), "list unlinked");
    }
}
