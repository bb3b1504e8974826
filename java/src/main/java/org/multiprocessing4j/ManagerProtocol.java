package org.multiprocessing4j;

import java.io.Serial;
import java.io.Serializable;

/**
 * Messages between manager clients and a {@link ManagerServer}, encoded with the default codec
 * over an authenticated {@link Connection}. A client process opens one <em>session</em>
 * connection, which holds the references its proxies have (so the server drops them all when the
 * process dies: its session ends), and one <em>call</em> connection per thread, served by one
 * server thread each (so a {@link java.util.concurrent.locks.Lock} proxy's owner is the calling
 * thread, as with a local lock).
 */
final class ManagerProtocol {
    private ManagerProtocol() {
    }

    /** First message on every connection. */
    record Hello(boolean session) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /** Session: create an object of a registered type; reply: its id (one reference held). */
    record Create(String typeid) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /** Session: hold one more reference ({@code delta} 1) or one fewer (-1) to an object. */
    record Ref(long id, int delta) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /** Session: stop the server (its owner's {@code shutdown()}). */
    record Shutdown() implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /** Call: invoke a method of an interface the object implements. */
    record Call(long id, String iface, String method, String[] parameterTypes, Object[] args)
            implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /** Reply to anything: a value, or the exception the server raised (its stack trace intact). */
    record Reply(Object value, Throwable failure) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }
}
