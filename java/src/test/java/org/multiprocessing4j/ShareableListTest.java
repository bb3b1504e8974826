package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.shm.ShareableListLayout;

/** Contract and layout of {@link ShareableList} (the Python side is in the interop test). */
@Timeout(60)
class ShareableListTest {

    @Test
    void everyItemTypeRoundTrips() throws Exception {
        byte[] bytes = {1, 2, 3};
        try (ShareableList l = ShareableList.create(Arrays.asList(
                1L, 2.5, true, false, "hello", bytes, null, 7, 1.5f, (short) -3, (byte) 4, ""))) {
            try {
                assertEquals(12, l.size());
                assertEquals(1L, l.get(0));
                assertEquals(2.5, l.get(1));
                assertEquals(true, l.get(2));
                assertEquals(false, l.get(3));
                assertEquals("hello", l.get(4));
                assertArrayEquals(bytes, (byte[]) l.get(5));
                assertNull(l.get(6));
                assertEquals(7L, l.get(7));
                assertEquals(1.5, l.get(8));
                assertEquals(-3L, l.get(9));
                assertEquals(4L, l.get(10));
                assertEquals("", l.get(11));
                assertEquals("qdxxxxxxx?xxxxxxx?8s8sxxxxxx?xqdqq8s", l.format());
                assertTrue(l.name().startsWith("mp4j-"));
            } finally {
                l.unlink();
            }
        }
    }

    /** The bytes CPython writes for {@code ShareableList([7, "ab", None, True])}. */
    @Test
    void layoutIsCPythons() throws Exception {
        try (ShareableList l = ShareableList.create(Arrays.asList(7L, "ab", null, true))) {
            try {
                MemorySegment m = l.shm().segment();
                // N = 4, slot offsets 0, 8, 16, 24, 32; data at (4 + 2) * 8 = 48, K = 32
                assertEquals(4, m.get(ValueLayout.JAVA_LONG, 0));
                long[] slots = {0, 8, 16, 24, 32};
                for (int i = 0; i < slots.length; i++) {
                    assertEquals(slots[i], m.get(ValueLayout.JAVA_LONG, 8 + 8L * i));
                }
                assertEquals(48, ShareableListLayout.dataOffset(4));
                assertEquals(7L, m.get(ValueLayout.JAVA_LONG, 48));
                assertEquals("ab", new String(bytes(m, 56, 2), StandardCharsets.UTF_8));
                assertArrayEquals(new byte[6], bytes(m, 58, 6)); // NUL padding of "8s"
                assertArrayEquals(new byte[8], bytes(m, 64, 8)); // None: all zero
                assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 1}, bytes(m, 72, 8)); // True
                assertEquals(80, ShareableListLayout.formatsOffset(4, 32));
                String[] formats = {"q", "8s", "xxxxxx?x", "xxxxxxx?"};
                for (int i = 0; i < 4; i++) {
                    byte[] f = Arrays.copyOf(formats[i].getBytes(StandardCharsets.US_ASCII), 8);
                    assertArrayEquals(f, bytes(m, 80 + 8L * i, 8), formats[i]);
                }
                assertEquals(112, ShareableListLayout.codesOffset(4, 32));
                assertArrayEquals(new byte[] {0, 1, 3, 0}, bytes(m, 112, 4));
                // struct.calcsize("q" + "q"*5 + "q8sxxxxxx?xxxxxxxx?" + "8s"*4 + "b"*4) == 116
                assertEquals(116, ShareableListLayout.totalSize(4, 32));
                assertEquals(116, l.shm().size());
            } finally {
                l.unlink();
            }
        }
    }

    @Test
    void anEmptyListIsSixteenBytes() throws Exception {
        try (ShareableList l = ShareableList.create(List.of())) {
            try {
                assertEquals(0, l.size());
                assertEquals(16, l.shm().size());
                assertEquals("", l.format());
                try (ShareableList again = ShareableList.attach(l.name())) {
                    assertEquals(0, again.size());
                }
            } finally {
                l.unlink();
            }
        }
    }

    @Test
    void setFollowsPythonsSlotRules() throws Exception {
        try (ShareableList l = ShareableList.create(Arrays.asList("abc", 1L, new byte[9]))) {
            try {
                // "abc" has an 8-byte slot, 1L an 8-byte slot, 9 bytes a 16-byte slot.
                assertEquals("abc", l.set(0, "12345678"));
                assertEquals("12345678", l.get(0));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> l.set(0, "123456789"));
                assertTrue(e.getMessage().contains("exceed"), e.getMessage());
                assertEquals("12345678", l.get(0)); // unchanged
                // An item may change type, within its slot.
                assertEquals(1L, l.set(1, "xy"));
                assertEquals("xy", l.get(1));
                assertEquals("8s", l.format().substring(2, 4));
                l.set(1, 2.0);
                assertEquals(2.0, l.get(1));
                l.set(1, null);
                assertNull(l.get(1));
                l.set(1, false);
                assertEquals(false, l.get(1));
                l.set(2, "sixteen bytes!!!");
                assertEquals("sixteen bytes!!!", l.get(2));
                l.set(2, 5);
                assertEquals(5L, l.get(2));
                l.set(2, new byte[] {9});
                assertArrayEquals(new byte[] {9}, (byte[]) l.get(2));
                assertEquals("8sxxxxxxx?16s", l.format()); // a str/bytes slot keeps its size
                assertThrows(IllegalArgumentException.class, () -> l.set(0, new Object()));
                assertThrows(IndexOutOfBoundsException.class, () -> l.set(3, 1L));
                assertThrows(IndexOutOfBoundsException.class, () -> l.get(-1));
                assertThrows(UnsupportedOperationException.class, () -> l.add(1L));
                assertThrows(UnsupportedOperationException.class, () -> l.remove(0));
            } finally {
                l.unlink();
            }
        }
    }

    @Test
    void slotsAreSizedByEncodedLengthAndTrailingNulsAreLost() throws Exception {
        String text = "żółw 🐢"; // 7 characters, 12 bytes of UTF-8
        try (ShareableList l = ShareableList.create(Arrays.asList(text, "a\0", new byte[] {1, 0, 0}))) {
            try {
                assertEquals(text, l.get(0));
                assertEquals("16s", l.format().substring(0, 3));
                assertEquals("a", l.get(1)); // as in Python: rstrip(b'\x00')
                assertArrayEquals(new byte[] {1}, (byte[]) l.get(2));
            } finally {
                l.unlink();
            }
        }
    }

    @Test
    void searchesCompareBytesByContentAndNumbersAsStored() throws Exception {
        try (ShareableList l = ShareableList.create(Arrays.asList(1L, new byte[] {1}, 1, 1.0, "1", true, null))) {
            try {
                assertEquals(2, l.count(1));
                assertEquals(2, l.count(1L));
                assertEquals(1, l.count(1.0f));
                assertEquals(1, l.indexOf(new byte[] {1}));
                assertEquals(2, l.lastIndexOf(1));
                assertEquals(6, l.indexOf(null));
                assertTrue(l.contains("1"));
                assertFalse(l.contains(2L));
                assertEquals(-1, l.indexOf(new byte[] {2}));
            } finally {
                l.unlink();
            }
        }
    }

    @Test
    void attachedByNameSeesTheSameItems() throws Exception {
        try (ShareableList l = ShareableList.create(Arrays.asList(1L, "two"))) {
            try (ShareableList other = ShareableList.attach("/" + l.name())) {
                other.set(0, 10L);
                assertEquals(10L, l.get(0));
                l.set(1, "2");
                assertEquals("2", other.get(1));
            } finally {
                l.unlink();
            }
            assertThrows(NoSuchFileException.class, () -> ShareableList.attach(l.name()));
        }
    }

    @Test
    void aListCapturedByATaskIsSharedWithTheChild() throws Exception {
        try (ShareableList l = ShareableList.create(Arrays.asList(41L, "from parent"))) {
            try {
                l.unlink(); // the child gets the block's descriptor: no name needed
                try (ChildProcess p = new ChildProcess(() -> {
                    l.set(0, (Long) l.get(0) + 1);
                    l.set(1, "from child");
                    l.close();
                })) {
                    p.start();
                    p.join();
                    assertEquals(0, p.exitCode().getAsInt(), () -> p.failure().toString());
                }
                assertEquals(42L, l.get(0));
                assertEquals("from child", l.get(1));
            } finally {
                l.close();
            }
        }
    }

    @Test
    void aBlockThatIsNotAListIsRefused() throws Exception {
        try (SharedMemory shm = SharedMemory.createNamed(64)) {
            try {
                shm.segment().set(ValueLayout.JAVA_LONG, 0, 1000); // 1000 items cannot fit
                IOException e = assertThrows(IOException.class,
                        () -> ShareableList.attach(shm.name().orElseThrow()));
                assertTrue(e.getMessage().contains("not a ShareableList"), e.getMessage());
                shm.segment().set(ValueLayout.JAVA_LONG, 0, 2); // offsets 0, 0: empty slot
                assertThrows(IOException.class, () -> ShareableList.attach(shm.name().orElseThrow()));
            } finally {
                shm.unlink();
            }
        }
    }

    @Test
    void useAfterCloseThrows() throws Exception {
        ShareableList l = ShareableList.create(List.of(1L));
        l.close();
        l.close();
        assertThrows(IllegalStateException.class, () -> l.get(0));
        assertThrows(IllegalStateException.class, () -> l.set(0, 2L));
        assertTrue(l.toString().contains("closed"));
        l.unlink();
    }

    private static byte[] bytes(MemorySegment m, long offset, int length) {
        return m.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
    }
}
