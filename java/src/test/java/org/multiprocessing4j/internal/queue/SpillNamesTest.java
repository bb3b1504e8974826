package org.multiprocessing4j.internal.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.MemoryNames;

/** Spill segment names fit each backend's name rules and share a per-queue prefix. */
class SpillNamesTest {
    private static final MemoryNames LINUX = new MemoryNames(255, 27, "/dev/shm");

    @Test
    void longNamesAreHexAsBefore() {
        MemorySegment ref = Spill.newReference(0x0123_4567_89ab_cdefL, 10);
        String name = Spill.name(ref, LINUX);
        assertEquals(39, name.length());
        assertTrue(name.startsWith("mp4j-q-0123456789abcdef"), name);
        assertTrue(name.startsWith(Spill.prefix(0x0123_4567_89ab_cdefL, LINUX)));
        assertTrue(LINUX.isValid(name));
    }

    @Test
    void shortNamesFitMacOsAndKeepAPerQueuePrefix() {
        long key = Long.MIN_VALUE | 42;
        MemorySegment a = Spill.newReference(key, 10);
        MemorySegment b = Spill.newReference(key, 10);
        String na = Spill.name(a, MemoryNames.PORTABLE);
        assertEquals(29, na.length());
        assertTrue(MemoryNames.PORTABLE.isValid(na), na);
        String prefix = Spill.prefix(key, MemoryNames.PORTABLE);
        assertTrue(na.startsWith(prefix) && Spill.name(b, MemoryNames.PORTABLE).startsWith(prefix));
        assertNotEquals(na, Spill.name(b, MemoryNames.PORTABLE));
        assertTrue(!na.startsWith(Spill.prefix(key ^ 1, MemoryNames.PORTABLE)), "another queue's prefix");
        assertThrows(IllegalStateException.class, () -> Spill.name(a, new MemoryNames(20, 13, "")));
    }
}
