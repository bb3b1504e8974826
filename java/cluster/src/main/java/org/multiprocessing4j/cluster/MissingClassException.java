package org.multiprocessing4j.cluster;

/**
 * A cluster member cannot load a class a {@link ClusterPool} task needs (the task's own class,
 * the class of a lambda's capturing code, an argument's class, or a class the task's code uses).
 * Members run tasks with the classes on their own class path: this library does not ship classes
 * to members (Hazelcast's user code deployment is deprecated, and its successor is not in the
 * community edition). Members started with {@link Cluster.Builder#localMembers(int)} have this
 * program's class path; for other members, put the application's jars on their class path. Delivered as the
 * cause of an {@link java.util.concurrent.ExecutionException} (or a
 * {@link java.util.concurrent.CompletionException}); only the tasks that need the class fail.
 */
public final class MissingClassException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The member's address. */
    private final String member;
    /** The class it cannot load. */
    private final String className;

    /**
     * Creates the exception.
     *
     * @param member the member's {@code host:port}
     * @param className the binary name of the class
     * @param detail the member's description of the failure
     */
    public MissingClassException(String member, String className, String detail) {
        super("cluster member " + member + " cannot load class " + className
                + ", which the task needs: put it on the member's class path (" + detail + ")");
        this.member = member;
        this.className = className;
    }

    /** {@return the member's address, {@code host:port}} */
    public String member() {
        return member;
    }

    /** {@return the binary name of the class the member cannot load} */
    public String className() {
        return className;
    }
}
