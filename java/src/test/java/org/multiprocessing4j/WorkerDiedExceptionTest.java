package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * What {@link WorkerDiedException} says about how a worker ended, without starting one (the
 * worker deaths themselves are in {@link ProcessPoolWorkerDeathTest}). Both backends that run
 * here are POSIX ones, so the names are POSIX's.
 */
class WorkerDiedExceptionTest {
    @Test
    void aWorkerTheOsEndedHasItsSignalNumberAndName() {
        WorkerDiedException killed = new WorkerDiedException("PoolWorker-1", 42, -9);
        assertEquals(OptionalInt.of(-9), killed.exitCode());
        assertEquals(OptionalInt.of(9), killed.signal());
        assertEquals(Optional.of("SIGKILL"), killed.signalName());
        assertEquals(Optional.of("SIGTERM"), new WorkerDiedException("w", 42, -15).signalName());
        assertTrue(killed.getMessage().contains("-9 (SIGKILL)"), killed.getMessage());
    }

    @Test
    void aWorkerThatExitedOrEndedUnknownHasNoSignal() {
        WorkerDiedException exited = new WorkerDiedException("w", 42, 3);
        assertEquals(OptionalInt.empty(), exited.signal());
        assertEquals(Optional.empty(), exited.signalName());
        WorkerDiedException unknown = new WorkerDiedException("w", 42, Integer.MIN_VALUE);
        assertEquals(OptionalInt.empty(), unknown.exitCode());
        assertEquals(Optional.empty(), unknown.signalName());
    }

    @Test
    void aNumberTheOsDoesNotNameIsStillNamed() {
        assertEquals(Optional.of("signal 77"), new WorkerDiedException("w", 42, -77).signalName());
    }
}
