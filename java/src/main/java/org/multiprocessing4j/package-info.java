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
 * <p>This is the only package the module exports, and its public types are the whole API. It
 * also holds, package-private, the machinery behind them: the start-method launchers, the child
 * JVM's main class and start archives, the task stream, the pool scheduler and its worker, the
 * manager protocol and proxies, and the CPython authentication handshake. Those classes are not
 * API and may change at any time.
 *
 * <p>Rules: code here may use the {@code internal} packages and the {@code platform} seam, never
 * an operating-system backend or its generated bindings. Every shared object is
 * {@link java.lang.AutoCloseable}; {@code close()} releases this process's handle only, and the
 * named kinds separate it from {@code unlink()} as Python does. Only Linux has a backend today.
 */
package org.multiprocessing4j;
