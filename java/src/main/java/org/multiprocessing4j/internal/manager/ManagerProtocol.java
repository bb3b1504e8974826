package org.multiprocessing4j.internal.manager;

import java.io.Serial;
import java.io.Serializable;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.ManagerServer;

/**
 * Messages between manager clients and a {@link ManagerServer}, encoded with the default codec
 * over an authenticated {@link Connection}. A client process opens one <em>session</em>
 * connection, which holds the references its proxies have (so the server drops them all when the
 * process dies: its session ends), and one <em>call</em> connection per thread, served by one
 * server thread each (so a {@link java.util.concurrent.locks.Lock} proxy's owner is the calling
 * thread, as with a local lock).
 */
public final class ManagerProtocol {
    private ManagerProtocol() {
    }

    /**
     * First message on every connection.
     *
     * @param session whether this is the process's session connection (else a call connection)
     */
    public record Hello(boolean session) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /**
     * Session: create an object of a registered type; reply: its id (one reference held).
     *
     * @param typeid the registered type
     */
    public record Create(String typeid) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /**
     * Session: hold one more reference ({@code delta} 1) or one fewer (-1) to an object.
     *
     * @param id the object
     * @param delta 1 or -1
     */
    public record Ref(long id, int delta) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /** Session: stop the server (its owner's {@code shutdown()}). */
    public record Shutdown() implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /**
     * Call: invoke a method of an interface the object implements.
     *
     * @param id the object
     * @param iface the interface's binary name
     * @param method the method's name
     * @param parameterTypes the binary names of the method's parameter types
     * @param args the arguments
     */
    public record Call(long id, String iface, String method, String[] parameterTypes, Object[] args)
            implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /**
     * Reply to anything: a value, or the exception the server raised (its stack trace intact).
     *
     * @param value the result, or null
     * @param failure the exception, or null on success
     */
    public record Reply(Object value, Throwable failure) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }
}
