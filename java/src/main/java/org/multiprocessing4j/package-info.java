/**
 * Python's {@code multiprocessing} for Java: child JVMs ({@link org.multiprocessing4j.ChildProcess},
 * {@link org.multiprocessing4j.Multiprocessing}), pipes and connections
 * ({@link org.multiprocessing4j.Pipe}, {@link org.multiprocessing4j.Connection},
 * {@link org.multiprocessing4j.Listener}, {@link org.multiprocessing4j.Client}), shared memory and
 * shared values ({@link org.multiprocessing4j.SharedMemory}, {@link org.multiprocessing4j.SharedInt},
 * ...), process-shared locks that survive a dead holder ({@link org.multiprocessing4j.SharedLock},
 * ...), queues ({@link org.multiprocessing4j.SharedQueue}), process pools
 * ({@link org.multiprocessing4j.ProcessPool}) and managers ({@link org.multiprocessing4j.Manager}),
 * with the {@link org.multiprocessing4j.Codec} SPI that turns values into bytes.
 *
 * <p>This is the only package the module exports, and it holds only the API: every top-level type
 * here is public ({@code ArchitectureTest} checks it). The machinery behind it lives in the
 * non-exported {@code internal} packages, one per concept (ARCHITECTURE.md has the map): the
 * start-method launchers, the child JVM's main class and start archives
 * ({@code internal.launch}), the task stream ({@code internal.task}), the pool scheduler and its
 * worker ({@code internal.pool}), the manager protocol and proxies ({@code internal.manager}), the
 * CPython authentication handshake ({@code internal.connection}). Public types reveal nothing to
 * them but through the access bridge ({@code internal.Access}), so no public method exists only
 * for them.
 *
 * <p>Rules: code here may use the {@code internal} packages and the {@code platform} seam, never
 * an operating-system backend or its generated bindings. Every shared object is
 * {@link java.lang.AutoCloseable}; {@code close()} releases this process's handle only, and the
 * named kinds separate it from {@code unlink()} as Python does. Only Linux has a backend today.
 */
package org.multiprocessing4j;
