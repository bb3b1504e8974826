package org.multiprocessing4j.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The rules of named memory names, as a backend states them. */
class MemoryNamesTest {

    @Test
    void portableRulesFitMacOsAndGenerateCPythonLengthNames() {
        MemoryNames p = MemoryNames.PORTABLE;
        assertEquals(30, p.maxLength());
        assertTrue(p.isValid("a".repeat(30)));
        assertFalse(p.isValid("a".repeat(31)), "macOS: 31 bytes with the '/'");
        String g = p.generate("mp4j-");
        assertEquals(13, g.length(), "CPython's 14 with the '/'");
        assertTrue(g.startsWith("mp4j-") && p.isValid(g), g);
        assertNotEquals(g, p.generate("mp4j-"));
        assertEquals("/x", p.describe("x"));
    }

    @Test
    void newNamesArePortableCharactersOnly() {
        MemoryNames n = new MemoryNames(255, 27, "/dev/shm");
        assertTrue(n.isValid("Az09._-"));
        for (String bad : new String[] {"", ".", "..", "a/b", "a b", "a\0", "ä", "a*", "a$b"}) {
            assertFalse(n.isValid(bad), bad);
        }
        assertTrue(n.rule().contains("1 to 255"), n.rule());
    }

    @Test
    void generatedNamesHaveTheStatedLengthAndEnoughRandomness() {
        MemoryNames n = new MemoryNames(255, 27, "/dev/shm");
        String g = n.generate("mp4j-");
        assertEquals(27, g.length());
        assertTrue(n.isValid(g), g);
        assertThrows(IllegalArgumentException.class, () -> n.generate("x".repeat(20)),
                "fewer than 8 random characters");
        assertThrows(IllegalArgumentException.class, () -> n.generate("a/"));
        assertThrows(IllegalArgumentException.class, () -> new MemoryNames(10, 11, ""));
    }
}
