package org.multiprocessing4j.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** How {@code -Dmp4j.platform} chooses the backend. */
class PlatformSelectionTest {

    @Test
    void linuxIsTheDefaultOnLinux() {
        assertTrue(Holder.select(null, "Linux", "amd64").name().startsWith("linux-"));
        assertTrue(Holder.select(" ", "Linux", "amd64").name().startsWith("linux-"));
        assertTrue(Holder.select("linux", "Linux", "amd64").name().startsWith("linux-"));
    }

    @Test
    void anUnknownBackendIsRefusedNamingTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Holder.select("windows", "Linux", "amd64"));
        assertTrue(e.getMessage().contains("mp4j.platform=windows"), e.getMessage());
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
    void theRunningBackendIsTheOneThePropertyNames() {
        String chosen = System.getProperty(Platform.BACKEND_PROPERTY, "linux");
        assertEquals(chosen, Platform.current().name().substring(0, chosen.length()));
    }
}
