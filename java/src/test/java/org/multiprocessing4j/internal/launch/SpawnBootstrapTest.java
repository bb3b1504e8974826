package org.multiprocessing4j.internal.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Multiprocessing;

/**
 * A spawned child reaches its task before it asks its backend for anything (its bootstrap frame
 * comes over the frame pipe, read with the JDK's file stream, and the native set-up runs on
 * another thread): shown with a child whose backend cannot be chosen at all.
 */
@Timeout(60)
class SpawnBootstrapTest {

    @Test
    void aSpawnedChildRunsATaskThatNeedsNoNativeCallEvenWithoutABackend() throws Exception {
        // names no backend: a child whose bootstrap asked the backend for anything exited with 1
        Multiprocessing context = Multiprocessing.context("spawn")
                .withJvmOptions("-Dmp4j.platform=no-such-backend");
        try (ChildProcess p = context.process(() -> System.exit(42))) {
            p.start();
            p.join();
            assertEquals(OptionalInt.of(42), p.exitCode());
        }
    }
}
