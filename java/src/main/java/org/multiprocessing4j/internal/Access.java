package org.multiprocessing4j.internal;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.ParentProcess;
import org.multiprocessing4j.ProcessInfo;
import org.multiprocessing4j.SharedMemory;
import org.multiprocessing4j.WorkerDiedException;
import org.multiprocessing4j.internal.task.Inheritable;
import org.multiprocessing4j.platform.Handle;

/**
 * The access bridge from the internal packages to the package-private parts of public types
 * (the JDK's {@code SharedSecrets} pattern): one small interface per public class that has such
 * a part, implemented by that class and installed from its static initializer. This keeps
 * internal hooks out of the public API: the public classes gain no public method, and the
 * module does not export this package.
 *
 * <p>Initialization order: a getter forces the public class's initialization before it reads its
 * hook, so a caller never sees {@code null}, whichever class happens to be initialized first. Each
 * hook is set once; setting it again throws {@link IllegalStateException}. Thread-safe: the hooks
 * are stateless and published through volatile fields.
 */
public final class Access {
    private static volatile ConnectionHooks connection;
    private static volatile SharedMemoryHooks sharedMemory;
    private static volatile ChildProcessHooks childProcess;
    private static volatile ParentProcessHooks parentProcess;
    private static volatile WorkerDiedHooks workerDied;

    private Access() {
    }

    /** The package-private parts of {@link Connection}. */
    public interface ConnectionHooks {
        /**
         * {@return a new connection that owns {@code fd}}
         *
         * @param fd an open handle this process owns
         * @param readable whether it may receive
         * @param writable whether it may send
         * @param codec how its objects become bytes
         */
        Connection open(Handle fd, boolean readable, boolean writable, Codec codec);

        /**
         * {@return a connection a child rebuilds around {@code fd}, which it inherited}
         *
         * @param fd the inherited handle
         * @param readable whether it may receive
         * @param writable whether it may send
         * @param maxFrameSize the largest frame it accepts
         * @param codec how its objects become bytes
         */
        Connection inherited(Handle fd, boolean readable, boolean writable, long maxFrameSize,
                             Codec codec);

        /** {@return the descriptor of {@code c}, for passing to a child} @param c the connection */
        Descriptor descriptor(Connection c);

        /**
         * {@return what travels to a child instead of {@code c}; marks it shared}
         *
         * @param c the connection
         */
        Inheritable.Handle childHandle(Connection c);

        /** {@return whether {@code c} uses {@link Codec#defaults()}} @param c the connection */
        boolean hasDefaultCodec(Connection c);
    }

    /** The package-private parts of {@link SharedMemory}. */
    public interface SharedMemoryHooks {
        /** {@return the descriptor of {@code m}, for passing to a child} @param m the block */
        Descriptor descriptor(SharedMemory m);

        /** {@return what travels to a child instead of {@code m}} @param m the block */
        Inheritable.Handle childHandle(SharedMemory m);
    }

    /** The package-private parts of {@link ChildProcess}. */
    public interface ChildProcessHooks {
        /** Records that this JVM exits on a termination signal: its children are not joined. */
        void exitingOnSignal();
    }

    /** The package-private parts of {@link ParentProcess}. */
    public interface ParentProcessHooks {
        /**
         * {@return a handle on this process's parent {@code info}} If the parent is already gone,
         * the handle is one that is ready at once.
         *
         * @param info the parent
         * @throws IOException if the handle cannot be made
         */
        ParentProcess open(ProcessInfo info) throws IOException;
    }

    /** The package-private parts of {@link WorkerDiedException}. */
    public interface WorkerDiedHooks {
        /**
         * {@return an exit code in words: the number, or the signal's name}
         *
         * @param exitCode the code
         */
        String describe(int exitCode);
    }

    /** {@return the hooks of {@link Connection}} */
    public static ConnectionHooks connection() {
        ConnectionHooks h = connection;
        return h != null ? h : initialized(Connection.class, () -> connection);
    }

    /** {@return the hooks of {@link SharedMemory}} */
    public static SharedMemoryHooks sharedMemory() {
        SharedMemoryHooks h = sharedMemory;
        return h != null ? h : initialized(SharedMemory.class, () -> sharedMemory);
    }

    /** {@return the hooks of {@link ChildProcess}} */
    public static ChildProcessHooks childProcess() {
        ChildProcessHooks h = childProcess;
        return h != null ? h : initialized(ChildProcess.class, () -> childProcess);
    }

    /** {@return the hooks of {@link ParentProcess}} */
    public static ParentProcessHooks parentProcess() {
        ParentProcessHooks h = parentProcess;
        return h != null ? h : initialized(ParentProcess.class, () -> parentProcess);
    }

    /** {@return the hooks of {@link WorkerDiedException}} */
    public static WorkerDiedHooks workerDied() {
        WorkerDiedHooks h = workerDied;
        return h != null ? h : initialized(WorkerDiedException.class, () -> workerDied);
    }

    /**
     * Installs {@link Connection}'s hooks; called once, from its static initializer.
     *
     * @param h the hooks
     */
    public static void setConnection(ConnectionHooks h) {
        check(connection);
        connection = h;
    }

    /**
     * Installs {@link SharedMemory}'s hooks; called once, from its static initializer.
     *
     * @param h the hooks
     */
    public static void setSharedMemory(SharedMemoryHooks h) {
        check(sharedMemory);
        sharedMemory = h;
    }

    /**
     * Installs {@link ChildProcess}'s hooks; called once, from its static initializer.
     *
     * @param h the hooks
     */
    public static void setChildProcess(ChildProcessHooks h) {
        check(childProcess);
        childProcess = h;
    }

    /**
     * Installs {@link ParentProcess}'s hooks; called once, from its static initializer.
     *
     * @param h the hooks
     */
    public static void setParentProcess(ParentProcessHooks h) {
        check(parentProcess);
        parentProcess = h;
    }

    /**
     * Installs {@link WorkerDiedException}'s hooks; called once, from its static initializer.
     *
     * @param h the hooks
     */
    public static void setWorkerDied(WorkerDiedHooks h) {
        check(workerDied);
        workerDied = h;
    }

    private static void check(Object current) {
        if (current != null) {
            throw new IllegalStateException("access hooks already installed");
        }
    }

    /** Forces {@code type}'s static initializer (which installs its hooks), then reads them. */
    private static <T> T initialized(Class<?> type, java.util.function.Supplier<T> hooks) {
        try {
            MethodHandles.lookup().ensureInitialized(type);
        } catch (IllegalAccessException e) {
            throw new AssertionError(type + " is public in this module", e);
        }
        T h = hooks.get();
        if (h == null) {
            throw new AssertionError(type.getName() + " did not install its access hooks");
        }
        return h;
    }
}
