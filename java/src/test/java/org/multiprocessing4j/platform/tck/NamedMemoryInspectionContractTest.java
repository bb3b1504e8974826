package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * What a backend tells an inspection tool: either an honest "cannot tell" (empty) or a true
 * answer — a listing that holds a name while it exists and not after its unlink, an in-use set
 * that holds a block's inode while this process maps or holds it and not after, and a process
 * table that knows this process runs and that a token of an impossible pid does not.
 */
class NamedMemoryInspectionContractTest {
    private final Platform os = Tck.platform();

    private static String newName() {
        byte[] b = new byte[10];
        ThreadLocalRandom.current().nextBytes(b);
        return "mp4j-tcki-" + HexFormat.of().formatHex(b);
    }

    @Test
    void aListingHoldsANameWhileItExists() throws IOException {
        String name = newName();
        Handle h = os.createNamedMemory("/" + name, os.pageSize());
        try {
            Optional<java.util.List<String>> listed = os.listNamedMemory();
            listed.ifPresent(names -> assertTrue(names.contains(name), names.toString()));
        } finally {
            Tck.closeAll(h);
            os.unlinkNamedMemory("/" + name);
        }
        os.listNamedMemory().ifPresent(names -> assertFalse(names.contains(name)));
    }

    @Test
    void aBlockIsInUseWhileMappedOrHeldAndNotAfter() throws IOException {
        String name = newName();
        Handle h = os.createNamedMemory("/" + name, os.pageSize());
        long inode;
        try {
            inode = os.inode(h);
            os.namedMemoryInUse().ifPresent(s -> assertTrue(s.contains(inode), "held, not in use"));
            try (Arena arena = Arena.ofConfined()) {
                os.map(h, os.pageSize(), arena);
                Tck.closeAll(h);
                h = null;
                os.namedMemoryInUse().ifPresent(s -> assertTrue(s.contains(inode), "mapped, not in use"));
            }
            Optional<Set<Long>> after = os.namedMemoryInUse();
            after.ifPresent(s -> assertFalse(s.contains(inode), "unmapped and closed, still in use"));
        } finally {
            if (h != null) {
                Tck.closeAll(h);
            }
            os.unlinkNamedMemory("/" + name);
        }
    }

    @Test
    void theProcessTableKnowsThisProcessAndNoImpossiblePid() {
        os.isRunning(os.processToken()).ifPresent(running -> assertTrue(running));
        long impossible = (long) 0x3FFF_FFFF << 32 | 1; // above every pid_max
        os.isRunning(impossible).ifPresent(running -> assertFalse(running));
        assertThrows(IllegalArgumentException.class, () -> os.isRunning(0));
        assertThrows(IllegalArgumentException.class, () -> os.isRunning(1L << 62));
        assertEquals(os.isRunning(os.processToken()).isPresent(), os.isRunning(impossible).isPresent());
    }
}
