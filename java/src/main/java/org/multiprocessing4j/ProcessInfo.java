package org.multiprocessing4j;

/**
 * Who a process is, as {@link ChildProcess#currentProcess()} and
 * {@link ChildProcess#parentProcess()} report it (Python's {@code current_process()} /
 * {@code parent_process()} name, pid and daemon flag). Immutable.
 *
 * @param name {@code "MainProcess"} in a process not started by this library, else the name its
 *     parent gave it ({@code Process-N}, {@code Process-N:M}, … by default)
 * @param pid the OS process id
 * @param daemon whether it was started as a daemon (a daemon cannot start children)
 */
public record ProcessInfo(String name, int pid, boolean daemon) {
}
