package org.multiprocessing4j.platform.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.ProcessMark;
import org.multiprocessing4j.platform.posix.PosixMemory;
import org.multiprocessing4j.platform.posix.PosixPlatform;
import org.multiprocessing4j.platform.posix.RecordingLiveness;

/**
 * The Linux backend's identity and liveness, whichever backend the test run selected: tokens are
 * the pid and the start time of {@code /proc/self/stat}, and marks are OFD locks, which (unlike
 * the contract's minimum) are seen from every other mark, of this process too.
 */
class LinuxLivenessTest {
    private final LinuxPlatform os = LinuxPlatform.create(System.getProperty("os.arch"));

    @Test
    void theTokenIsThePidAndTheLowBitsOfTheStartTime() throws IOException {
        long token = os.processToken();
        long pid = ProcessHandle.current().pid();
        String stat = Files.readString(Path.of("/proc/self/stat"));
        long start = Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
        assertEquals(pid << 32 | (start & 0xFFFF_FFFFL), token);
        assertEquals(token, os.processToken(), "constant");
    }

    @Test
    void linuxPlugsItsLivenessIntoThePosixFacadeInsteadOfOverridingIt() throws Exception {
        // One placeMark for both backends: Linux gives PosixPlatform its Liveness (OFD locks,
        // the /proc token) instead of overriding placeMark and processToken beside a null one.
        for (String m : new String[] {"placeMark", "processToken"}) {
            assertTrue(Arrays.stream(LinuxPlatform.class.getDeclaredMethods())
                    .noneMatch(d -> d.getName().equals(m)), m + " is overridden");
        }
        assertTrue(PosixPlatform.Liveness.class.isAssignableFrom(LinuxLiveness.class));
        Constructor<PosixPlatform> c = PosixPlatform.class.getDeclaredConstructor(String.class,
                PosixMemory.class, PosixPlatform.Liveness.class);
        c.setAccessible(true);
        InvocationTargetException e = assertThrows(InvocationTargetException.class,
                () -> c.newInstance("x", new LinuxMemory(System.getProperty("os.arch").equals("aarch64")
                        ? LinuxArch.AARCH64 : LinuxArch.X86_64), null));
        assertTrue(e.getCause() instanceof NullPointerException, e.getCause().toString());
    }

    @Test
    void closingAHandleTellsTheLivenessFirstOnLinuxAsOnPosix() throws Exception {
        // Both backends close through PosixPlatform.close, which tells Liveness.closing before the
        // descriptor goes (Linux's OFD locks need nothing then, but a Liveness that does must not
        // be bypassed).
        for (PosixPlatform backend : new PosixPlatform[] {
                LinuxPlatform.create(System.getProperty("os.arch")),
                PosixPlatform.create("Linux", System.getProperty("os.arch"))}) {
            RecordingLiveness seen = RecordingLiveness.install(backend);
            Handle[] p = backend.pipe();
            backend.close(p[0]);
            backend.close(p[1]);
            assertEquals(List.of((int) p[0].value(), (int) p[1].value()), seen.closing,
                    backend.backendId());
        }
    }

    @Test
    void theProcessTokenIsAskedOfTheSystemOncePerProcess() throws Exception {
        // A process's token cannot change (a JVM keeps its pid; children are new JVMs), so
        // processToken() computes it once instead of a pid call and a start-time read per call.
        for (PosixPlatform backend : new PosixPlatform[] {
                LinuxPlatform.create(System.getProperty("os.arch")),
                PosixPlatform.create("Linux", System.getProperty("os.arch"))}) {
            RecordingLiveness seen = RecordingLiveness.install(backend);
            long token = backend.processToken();
            assertEquals(token, backend.processToken());
            assertEquals(token, backend.processToken());
            assertEquals(1, seen.tokensAsked.get(), backend.backendId());
            assertEquals(ProcessHandle.current().pid(), token >>> 32);
        }
    }

    @Test
    void aMarkIsSeenThroughEveryOtherMarkAndGoesWithItsOwn() throws Exception {
        Handle region = os.createAnonymousMemory("mp4j-test", 4096);
        try {
            long index = (1L << 62) - 1; // the largest token, far beyond the file's end
            ProcessMark a = os.placeMark(region, 5);
            ProcessMark b = os.placeMark(region, index);
            try {
                assertFalse(a.isPlaced(index - 1), "only the one byte is marked");
                assertTrue(a.isPlaced(index), "a sees b's mark");
                ProcessMark c = os.placeMark(region, index); // marks are shared: both hold one
                b.close();
                assertTrue(a.isPlaced(index), "c's mark stays after b's closed");
                c.close();
                assertFalse(a.isPlaced(index), "gone with the last one");
                b.close(); // idempotent
                assertThrows(ClosedChannelException.class, () -> c.isPlaced(index));
                assertThrows(IllegalArgumentException.class, () -> os.placeMark(region, 1L << 62));
                assertThrows(IllegalArgumentException.class, () -> a.isPlaced(-1));
            } finally {
                a.close();
                b.close();
            }
        } finally {
            os.close(region);
        }
    }

    @Test
    void aMarkStaysWhenTheProcessClosesOtherDescriptorsOfTheFile() throws Exception {
        Handle region = os.createAnonymousMemory("mp4j-test", 4096);
        try (ProcessMark watcher = os.placeMark(region, 1)) {
            Handle copy = os.duplicate(region);
            try (ProcessMark mark = os.placeMark(copy, 77)) {
                os.close(copy); // a classic POSIX lock would go with this close
                copy = null;
                assertTrue(watcher.isPlaced(77));
            } finally {
                if (copy != null) {
                    os.close(copy);
                }
            }
            assertFalse(watcher.isPlaced(77));
        } finally {
            os.close(region);
        }
    }

    @Test
    void linuxNamesAreLongAndShownInDevShm() {
        assertEquals(255, os.memoryNames().maxLength());
        assertEquals(27, os.memoryNames().generatedLength());
        assertTrue(os.memoryNames().isValid("a".repeat(255)));
        assertFalse(os.memoryNames().isValid("a".repeat(256)));
        assertEquals("/dev/shm/x", os.memoryNames().describe("x"));
    }
}
