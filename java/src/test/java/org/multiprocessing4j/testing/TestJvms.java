package org.multiprocessing4j.testing;

import org.multiprocessing4j.platform.Platform;

/** What a JVM that a test starts itself (not through the library) needs to match this one. */
public final class TestJvms {
    private TestJvms() {
    }

    /**
     * {@return {@code -Dmp4j.platform=…} naming this JVM's backend} A test JVM started with
     * {@code -Dmp4j.platform=posix} starts its own parents and peers on the same backend, as the
     * library does for the children it starts.
     */
    public static String backendOption() {
        String chosen = System.getProperty(Platform.BACKEND_PROPERTY, "").strip();
        return "-D" + Platform.BACKEND_PROPERTY + "=" + (chosen.isEmpty() ? "linux" : chosen);
    }
}
