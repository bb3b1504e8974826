package org.multiprocessing4j.platform.windows;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The parts of the Windows backend that make no native call, on every OS: pipe names, the spawn's
 * handle list and environment, the handle-transfer record, the wait-channel area, named-memory
 * names and sizes (and the interrupt event's), the DACL. Each class here loads no binding (the bindings initialize only on
 * Windows), which these tests also show by running on Linux.
 */
class WindowsPurePartsTest {

    @Test
    void pipeNamesAreRandomAndInThePipeNamespace() {
        byte[] bits = new byte[16];
        bits[15] = 0x7f;
        assertEquals("\\\\.\\pipe\\mp4j-4242-0000000000000000000000000000007f", WindowsPipeNames.of(4242, bits));
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            assertTrue(names.add(WindowsPipeNames.next(8)));
        }
        assertThrows(IllegalArgumentException.class, () -> WindowsPipeNames.of(1, new byte[8]));
    }

    @Test
    void theHandleListHoldsEachHandleOnceAndNoInvalidOne() {
        long[] list = WindowsSpawnPlan.handleList(new long[] {0x1a4, 0x1b0, 0x1a4}, new long[] {0, 0x1b0, -1});
        assertArrayEquals(new long[] {0x1a4, 0x1b0}, list);
        assertArrayEquals(new long[0], WindowsSpawnPlan.handleList(new long[0], new long[] {0, -1, 0}));
    }

    @Test
    void inheritedHandleValuesSurviveTheEnvironment() {
        long[] values = {4, 0x1b0, 0xFFFF_FFF0L};
        assertArrayEquals(values, WindowsSpawnPlan.decode(WindowsSpawnPlan.encode(values)));
        assertArrayEquals(new long[0], WindowsSpawnPlan.decode(null));
        assertArrayEquals(new long[0], WindowsSpawnPlan.decode(""));
        assertThrows(IllegalArgumentException.class, () -> WindowsSpawnPlan.decode("4,x"));
    }

    @Test
    void theEnvironmentBlockIsSortedNulSeparatedAndSetsTheHandlesAfresh() {
        String block = WindowsSpawnPlan.environmentBlock(
                List.of("zeta=1", "Path=C:\\bin", "PATH=C:\\other", "MP4J_INHERITED_HANDLES=99", "=C:=C:\\x"),
                new long[] {8, 12}, 500);
        assertTrue(block.endsWith("\0\0"), block);
        List<String> entries = List.of(block.substring(0, block.length() - 2).split("\0"));
        assertEquals(List.of("=C:=C:\\x", "MP4J_INHERITED_HANDLES=8,12", "MP4J_PARENT_PID=500", "PATH=C:\\other", "zeta=1"),
                entries);
        assertThrows(IllegalArgumentException.class, () -> WindowsSpawnPlan.environmentBlock(List.of("novalue"), new long[0], 1));
    }

    @Test
    void aHandleRecordReadsBackAsWritten() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            long[] values = {0x1c4, 0x2a8};
            MemorySegment record = arena.allocate(WindowsHandleMessage.size(values.length) + 1);
            WindowsHandleMessage.encode(record, 7788, values);
            assertTrue(WindowsHandleMessage.startsRecord(record));
            assertEquals(2, WindowsHandleMessage.count(record));
            assertEquals(7788, WindowsHandleMessage.pid(record));
            assertEquals(0x2a8, WindowsHandleMessage.value(record, 1));
            assertEquals(32, WindowsHandleMessage.size(2));
            record.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 8, 0);
            assertThrows(IOException.class, () -> WindowsHandleMessage.count(record));
            assertFalse(WindowsHandleMessage.startsRecord(arena.allocateFrom("MP4JHDL0")));
            assertThrows(IllegalArgumentException.class, () -> WindowsHandleMessage.encode(record, 1, new long[0]));
            assertThrows(IllegalArgumentException.class,
                    () -> WindowsHandleMessage.encode(record, 1, new long[WindowsHandleMessage.MAX_HANDLES + 1]));
        }
    }

    @Test
    void theWaitAreaLayoutIsTheTableOfItsClassComment() {
        assertEquals(0, WindowsWaitArea.BYTES % 64);
        assertEquals(0x08, WindowsWaitArea.ID_OFFSET);
        assertEquals(0x40, WindowsWaitArea.sleepersOffset(0));
        assertEquals(WindowsWaitArea.BYTES, WindowsWaitArea.sleepersOffset(WindowsWaitArea.BUCKETS));
        assertEquals(0, WindowsWaitArea.bucket(0));
        assertEquals(1, WindowsWaitArea.bucket(4));
        assertEquals(0, WindowsWaitArea.bucket(4 * WindowsWaitArea.BUCKETS));
        assertThrows(IllegalArgumentException.class, () -> WindowsWaitArea.bucket(2));
    }

    @Test
    void theWaitAreaNamesItsSemaphoresByItsIdAndTheWord() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment area = arena.allocate(WindowsWaitArea.BYTES, 64);
            assertThrows(IllegalStateException.class, () -> WindowsWaitArea.id(area));
            byte[] id = new byte[16];
            id[0] = (byte) 0xab;
            WindowsWaitArea.init(area, id);
            String hex = WindowsWaitArea.id(area);
            assertEquals("ab000000000000000000000000000000", hex);
            assertEquals("Local\\mp4j-w-ab000000000000000000000000000000-1c0", WindowsWaitArea.semaphoreName(hex, 0x1c0));
            assertTrue(WindowsWaitArea.semaphoreName(hex, Long.MAX_VALUE & ~3L).length() < 260);
            assertEquals(0, WindowsWaitArea.addSleepers(area, 3, 1));
            assertEquals(1, WindowsWaitArea.sleepers(area, 3));
            assertEquals(0, WindowsWaitArea.sleepers(area, 4));
            MemorySegment other = arena.allocate(WindowsWaitArea.BYTES, 64);
            WindowsWaitArea.init(other);
            assertNotEquals(hex, WindowsWaitArea.id(other));
        }
    }

    @Test
    void namedMemoryLivesInTheSessionNamespaceAndSizesRoundToPages() {
        assertEquals("Local\\mp4j-abc", WindowsMemoryNames.objectName("/mp4j-abc"));
        assertEquals("Local\\x", WindowsMemoryNames.objectName("x"));
        assertThrows(IllegalArgumentException.class, () -> WindowsMemoryNames.objectName("/a\\b"));
        assertThrows(IllegalArgumentException.class, () -> WindowsMemoryNames.objectName("/"));
        assertEquals(4096, WindowsMemoryNames.roundedSize(1, 4096));
        assertEquals(4096, WindowsMemoryNames.roundedSize(4096, 4096));
        assertEquals(8192, WindowsMemoryNames.roundedSize(4097, 4096));
        assertThrows(IllegalArgumentException.class, () -> WindowsMemoryNames.roundedSize(0, 4096));
        assertThrows(IllegalArgumentException.class, () -> WindowsMemoryNames.roundedSize(1, 3000));
        assertEquals("Local\\mp4j-int-4242-13400000000000", WindowsMemoryNames.interruptEventName(4242, 13_400_000_000_000L));
        assertNotEquals(WindowsMemoryNames.interruptEventName(8, 1), WindowsMemoryNames.interruptEventName(8, 2));
        String generated = WindowsMemoryNames.RULES.generate("mp4j-");
        assertTrue(WindowsMemoryNames.RULES.isValid(generated), generated);
        assertTrue(WindowsMemoryNames.NAMESPACE.length() + WindowsMemoryNames.RULES.maxLength() < 260);
    }

    @Test
    void theDaclGrantsTheCurrentUserOnly() {
        assertEquals("D:P(A;;GA;;;S-1-5-21-1-2-3-1001)", WindowsSecurityDescriptors.currentUserOnly("S-1-5-21-1-2-3-1001"));
        assertThrows(IllegalArgumentException.class, () -> WindowsSecurityDescriptors.currentUserOnly("S-1-5)(A;;GA;;;WD"));
    }
}
