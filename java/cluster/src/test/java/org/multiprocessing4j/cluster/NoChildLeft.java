package org.multiprocessing4j.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class that leaves a child process of this JVM alive (a member it did not stop).
 * The core's leak check, for this module's tests.
 */
final class NoChildLeft implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) {
        List<String> alive = ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList();
        assertEquals(List.of(), alive, "child processes left by " + context.getDisplayName());
    }
}
