package org.multiprocessing4j.platform.posix;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.NoSuchFileException;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Reaper;

/**
 * The posix reaper (a helper JVM calling {@code shm_unlink}) removes, once its creator is gone,
 * exactly the registered names that still name the registered block.
 */
@Timeout(60)
class PosixReaperTest {
    private static final PosixPlatform OS = PosixPlatform.create("Linux", System.getProperty("os.arch"));

    private static String name() {
        return "mp4j-r-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void registeredNamesAreRemovedAtTheEndButNotUnregisteredOrReplacedOnes() throws Exception {
        String kept = name();
        String removed = name();
        String replaced = name();
        Handle a = OS.openNamedMemory("/" + removed, true);
        Handle b = OS.openNamedMemory("/" + kept, true);
        Handle c = OS.openNamedMemory("/" + replaced, true);
        Handle d = null;
        try (Reaper reaper = OS.startReaper()) {
            reaper.register(removed, OS.inode(a));
            reaper.register(kept, OS.inode(b));
            reaper.unregister(kept);
            reaper.register(replaced, OS.inode(c));
            OS.unlinkNamedMemory("/" + replaced);
            d = OS.openNamedMemory("/" + replaced, true); // someone else's block under the name
        }
        try {
            assertThrows(NoSuchFileException.class, () -> OS.openNamedMemory("/" + removed, false));
            OS.close(OS.openNamedMemory("/" + kept, false));
            OS.close(OS.openNamedMemory("/" + replaced, false));
        } finally {
            OS.unlinkNamedMemory("/" + kept);
            OS.unlinkNamedMemory("/" + replaced);
            for (Handle h : new Handle[] {a, b, c, d}) {
                if (h != null) {
                    OS.close(h);
                }
            }
        }
    }
}
