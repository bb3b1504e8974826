package org.multiprocessing4j;

import java.io.Serializable;

/**
 * The code a {@link ChildProcess} runs (Python's {@code target} with its {@code args}): a
 * serializable functional interface, so a lambda works and may throw checked exceptions.
 *
 * <pre>{@code
 * Pipe pipe = Pipe.open();
 * Connection child = pipe.second();
 * new ChildProcess(() -> child.send("hello from " + ChildProcess.currentProcess().name())).start();
 * }</pre>
 *
 * <p>Everything the lambda captures travels to the child. Plain values (strings, boxed
 * primitives) travel in a compact form; other values are serialized with Java serialization (so
 * they must be {@link Serializable}; this is checked in {@code start()}). {@link Connection}s and
 * every object backed by shared memory ({@link SharedMemory}, the shared locks, queues, events,
 * numbers, ...) travel as inherited descriptors — handles, not copies, like Python's pickling of
 * a {@code Connection} or a {@code Lock} when a process starts.
 */
@FunctionalInterface
public interface Task extends Serializable {
    /**
     * Runs in the child. Returning normally ends the child with exit code 0; an uncaught
     * exception prints its stack trace in the child and ends it with exit code 1, and the parent
     * can retrieve it through {@link ChildProcess#failure()}.
     *
     * @throws Exception anything
     */
    void run() throws Exception;
}
