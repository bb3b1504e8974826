package org.multiprocessing4j.cluster;

import java.util.OptionalLong;

/**
 * A {@link ClusterPool} task could not complete because the member it was sent to left the
 * cluster while it held it: the member's JVM died (SIGKILL, out of memory, a crash), was shut
 * down, or became unreachable. Only the tasks sent to that member fail this way, and they are not
 * retried (a task may have had effects before its member died: running it again is the caller's
 * decision); the pool sends no further task to that member and every other task completes on the
 * remaining members. The cluster's counterpart of {@link org.multiprocessing4j.WorkerDiedException},
 * delivered the same way: as the cause of an {@link java.util.concurrent.ExecutionException} (or
 * a {@link java.util.concurrent.CompletionException}).
 */
public final class MemberLostException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The member's address. */
    private final String member;
    /** Its pid if this program started it, else -1. */
    private final long pid;

    /**
     * Creates the exception.
     *
     * @param member the member's {@code host:port}
     * @param pid its process id if this program started it, else -1
     * @param cause what Hazelcast reported
     */
    public MemberLostException(String member, long pid, Throwable cause) {
        super("cluster member " + member + (pid > 0 ? " (pid " + pid + ")" : "")
                + " left the cluster while it held this task: " + cause, cause);
        this.member = member;
        this.pid = pid;
    }

    /** {@return the member's address, {@code host:port}} */
    public String member() {
        return member;
    }

    /** {@return the member's process id, if this program started it} */
    public OptionalLong pid() {
        return pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
    }
}
