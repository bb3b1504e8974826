package org.multiprocessing4j;

/**
 * Something {@link Connection#wait(java.util.Collection, java.time.Duration)} can wait on: a
 * {@link Connection} (ready when a message or end of stream can be read) or a process
 * {@linkplain ChildProcess#sentinel() sentinel} (ready when the process has ended). Python's
 * {@code multiprocessing.connection.wait} takes the same two kinds.
 */
public sealed interface Waitable permits Connection, ChildProcess.Sentinel {
}
