package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Contract of {@link SharedMemory}, across a real child JVM where it matters. */
@Timeout(60)
class SharedMemoryTest {

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
        }
    }

    @Test
    void namedMemoryIsAttachedByNameAndUnlinkedOnce() throws Exception {
        String name = "mp4j-test-" + UUID.randomUUID();
        try (SharedMemory created = SharedMemory.create(name, 100)) {
            assertThrows(FileAlreadyExistsException.class, () -> SharedMemory.create(name, 100));
            try (SharedMemory attached = SharedMemory.attach("/" + name)) {
                assertEquals(100, attached.size());
                assertEquals(4096, attached.mappedSize());
                created.segment().set(ValueLayout.JAVA_LONG, 8, 7L);
                assertEquals(7L, attached.segment().get(ValueLayout.JAVA_LONG, 8));
                assertEquals(name, attached.name().orElseThrow());
            }
            created.unlink();
            assertThrows(NoSuchFileException.class, created::unlink);
            assertThrows(NoSuchFileException.class, () -> SharedMemory.attach(name));
            assertEquals(7L, created.segment().get(ValueLayout.JAVA_LONG, 8)); // mapping survives
        }
    }

    @Test
    void badInputAndUseAfterCloseThrow() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.create(0));
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.create("a/b", 10));
        SharedMemory shm = SharedMemory.create(10);
        shm.close();
        shm.close();
        assertThrows(IllegalStateException.class, shm::segment);
        assertThrows(IllegalStateException.class, shm::unlink);
    }
}
