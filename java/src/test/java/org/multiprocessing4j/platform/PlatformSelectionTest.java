package org.multiprocessing4j.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.ChildProcess;

/** How {@code -Dmp4j.platform} chooses the backend. */
class PlatformSelectionTest {

    @Test
    void linuxIsTheDefaultOnLinux() {
        assertTrue(Holder.select(null, "Linux", "amd64").name().startsWith("linux-"));
        assertTrue(Holder.select(" ", "Linux", "amd64").name().startsWith("linux-"));
        assertTrue(Holder.select("linux", "Linux", "amd64").name().startsWith("linux-"));
    }

    @Test
    void posixIsChosenByName() {
        assertTrue(Holder.select("posix", "Linux", "amd64").name().startsWith("posix-"));
        assertTrue(Holder.select(" posix ", "Linux", "aarch64").name().startsWith("posix-"));
    }

    @Test
    void anUnknownBackendIsRefusedNamingTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Holder.select("solaris", "Linux", "amd64"));
        assertTrue(e.getMessage().contains("mp4j.platform=solaris"), e.getMessage());
        for (String choice : Platform.BACKENDS) {
            assertTrue(e.getMessage().contains(choice), e.getMessage());
        }
    }

    @Test
    void theLinuxBackendIsRefusedElsewhere() {
        assertThrows(UnsupportedPlatformException.class, () -> Holder.select(null, "Mac OS X", "aarch64"));
        assertThrows(UnsupportedPlatformException.class, () -> Holder.select("linux", "FreeBSD", "amd64"));
    }

    @Test
    void windowsIsTheDefaultOnWindowsAndChosenByName() {
        // by name only: backendFor loads no backend class (the Windows one initializes only there)
        for (String os : new String[] {"Windows 11", "Windows Server 2022", "windows 10"}) {
            assertEquals("windows", Holder.backendFor(null, os, "amd64"));
            assertEquals("windows", Holder.backendFor(" ", os, "amd64"));
            assertEquals("windows", Holder.backendFor("windows", os, "amd64"));
        }
        assertEquals("linux", Holder.backendFor(null, "Linux", "amd64"));
        assertEquals("posix", Holder.backendFor("posix", "Linux", "amd64"));
    }

    @Test
    void theWindowsBackendIsRefusedElsewhere() {
        for (String os : new String[] {"Linux", "Mac OS X", "FreeBSD"}) {
            assertThrows(UnsupportedPlatformException.class, () -> Holder.backendFor("windows", os, "amd64"));
            assertThrows(UnsupportedPlatformException.class, () -> Holder.select("windows", os, "amd64"));
        }
        assertThrows(UnsupportedPlatformException.class, () -> Holder.backendFor("linux", "Windows 11", "amd64"));
        assertTrue(Platform.BACKENDS.contains("windows"));
    }

    @Test
    void theRunningBackendIsTheOneThePropertyNames() {
        String chosen = System.getProperty(Platform.BACKEND_PROPERTY, "linux");
        assertEquals(chosen, Platform.current().name().substring(0, chosen.length()));
    }

    @Test
    @Timeout(60)
    void aChildUsesItsParentsBackend() throws Exception {
        String parent = Platform.current().name();
        try (ChildProcess p = new ChildProcess(() -> System.exit(
                Platform.current().name().equals(parent) ? 0 : 3))) {
            p.start();
            assertTrue(p.join(Duration.ofSeconds(50)));
            assertEquals(OptionalInt.of(0), p.exitCode());
        }
    }
}
