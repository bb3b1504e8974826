package org.multiprocessing4j.internal.manager;

import java.io.EOFException;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.multiprocessing4j.Client;
import org.multiprocessing4j.CodecException;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.internal.manager.ManagerProtocol.Call;
import org.multiprocessing4j.internal.manager.ManagerProtocol.Hello;
import org.multiprocessing4j.internal.manager.ManagerProtocol.Ref;
import org.multiprocessing4j.internal.manager.ManagerProtocol.Reply;
import org.multiprocessing4j.ManagerUnavailableException;

/**
 * The client side of manager objects: the invocation handler behind every proxy, and the
 * connections a process keeps to each manager server (one session, one per calling thread).
 * Serializable: a proxy captured by a task reaches the child as (address, key, object id) and
 * takes a reference of its own there.
 */
public final class ManagedProxy implements InvocationHandler, Serializable {
    @Serial
    private static final long serialVersionUID = 1L;
    private static final Cleaner CLEANER = Cleaner.create();
    private static final Map<SocketAddress, Clients> CLIENTS = new ConcurrentHashMap<>();

    private final SocketAddress address;
    private final byte[] authkey;
    private final long id;
    private final String iface;

    private ManagedProxy(SocketAddress address, byte[] authkey, long id, String iface) {
        this.address = address;
        this.authkey = authkey;
        this.id = id;
        this.iface = iface;
    }

    /** Makes the proxy for an object this process holds one reference to; the proxy owns it. */
    @SuppressWarnings("unchecked")
    static <T> T proxy(SocketAddress address, byte[] authkey, long id, Class<T> type) {
        ManagedProxy h = new ManagedProxy(address, authkey, id, type.getName());
        T p = (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h);
        h.releaseWhenUnreachable(p);
        return p;
    }

    private void releaseWhenUnreachable(Object proxy) {
        SocketAddress a = address;
        byte[] k = authkey;
        long objectId = id;
        CLEANER.register(proxy, () -> {
            Clients c = CLIENTS.get(a);
            if (c != null) {
                c.release(objectId, k);
            }
        });
    }

    /**
     * A proxy arriving in another process takes a reference of its own, so that the object lives
     * as long as some process uses it. Deserialization yields this handler; {@link Proxy} builds
     * the proxy instance around it and then the cleaner is registered by the first call.
     */
    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        clients(address).session(authkey).request(new Ref(id, 1));
        registered = false;
    }

    private transient volatile boolean registered = true;

    /** Creates an object of {@code typeid} on the server and returns its proxy. */
    public static <T> T create(SocketAddress address, byte[] authkey, String typeid,
            Class<T> type) {
        Object id = clients(address).session(authkey).request(new ManagerProtocol.Create(typeid));
        return proxy(address, authkey, (Long) id, type);
    }

    public static Clients clients(SocketAddress address) {
        return CLIENTS.computeIfAbsent(address, Clients::new);
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (!registered) {
            registered = true;
            releaseWhenUnreachable(proxy);
        }
        switch (method.getName()) {
            case "equals" -> {
                if (method.getParameterCount() == 1 && method.getParameterTypes()[0] == Object.class) {
                    return args[0] != null && Proxy.isProxyClass(args[0].getClass())
                            && Proxy.getInvocationHandler(args[0]) instanceof ManagedProxy o
                            && o.id == id && o.address.equals(address);
                }
            }
            case "hashCode" -> {
                if (method.getParameterCount() == 0) {
                    return Long.hashCode(id) * 31 + address.hashCode();
                }
            }
            default -> {
                // forwarded below
            }
        }
        Class<?> declaring = method.getDeclaringClass();
        String target = declaring == Object.class ? iface : declaring.getName();
        if (declaring == Object.class && !method.getName().equals("toString")) {
            throw new UnsupportedOperationException(method.getName() + " on a manager proxy");
        }
        Class<?>[] types = method.getParameterTypes();
        String[] names = new String[types.length];
        for (int i = 0; i < types.length; i++) {
            names[i] = types[i].getName();
        }
        Object[] a = args == null ? new Object[0] : args;
        Object result;
        try {
            result = clients(address).calls(authkey).request(new Call(id, target, method.getName(), names, a));
        } catch (RemoteChecked e) {
            throw e.getCause(); // declared by the method: rethrown as is; else undeclared
        }
        if (result == null && method.getReturnType().isInstance(proxy)) {
            return proxy; // the server's "return this"
        }
        if (method.getReturnType() == Iterator.class && result instanceof List<?> l) {
            return Collections.unmodifiableList(l).iterator();
        }
        return result;
    }

    @Override
    public String toString() {
        return "ManagedProxy[" + iface + " #" + id + " at " + address + "]";
    }

    /** This process's connections to one manager server. */
    public static final class Clients {
        private final SocketAddress address;
        private Channel session;
        private final ThreadLocal<Channel> calls = new ThreadLocal<>();
        private final List<Channel> all = new ArrayList<>();

        Clients(SocketAddress address) {
            this.address = address;
        }

        public synchronized Channel session(byte[] authkey) {
            if (session == null || session.broken) {
                session = open(authkey, true);
            }
            return session;
        }

        Channel calls(byte[] authkey) {
            Channel c = calls.get();
            if (c == null || c.broken) {
                c = open(authkey, false);
                calls.set(c);
            }
            return c;
        }

        private Channel open(byte[] authkey, boolean isSession) {
            Connection c;
            try {
                c = Client.connect(address, authkey);
                c.send(new Hello(isSession));
            } catch (IOException e) {
                throw new ManagerUnavailableException("cannot reach the manager at " + address, e);
            }
            Channel ch = new Channel(c, address, isSession ? null : new WeakReference<>(Thread.currentThread()));
            synchronized (this) {
                // Connections of threads that ended are closed here, so their server threads end.
                all.removeIf(o -> {
                    if (o.owner != null && (o.owner.get() == null || !o.owner.get().isAlive())) {
                        o.connection.close();
                        return true;
                    }
                    return o.broken;
                });
                all.add(ch);
            }
            return ch;
        }

        void release(long id, byte[] authkey) {
            Channel s;
            synchronized (this) {
                s = session;
            }
            if (s != null && !s.broken) {
                try {
                    s.request(new Ref(id, -1));
                } catch (RuntimeException ignored) {
                    // the server is gone, and the object with it
                }
            }
        }

        /** Closes every connection to this server (after a shutdown). */
        public synchronized void closeAll() {
            for (Channel c : all) {
                c.broken = true;
                c.connection.close();
            }
            all.clear();
            session = null;
        }
    }

    /** One connection: a request and its reply at a time. */
    public static final class Channel {
        final Connection connection;
        final SocketAddress address;
        final WeakReference<Thread> owner;
        volatile boolean broken;

        Channel(Connection connection, SocketAddress address, WeakReference<Thread> owner) {
            this.connection = connection;
            this.address = address;
            this.owner = owner;
        }

        public synchronized Object request(Object message) {
            Reply r;
            try {
                connection.send(message);
            } catch (CodecException e) {
                throw new IllegalArgumentException("cannot send this call to the manager: " + e.getMessage(), e);
            } catch (IOException e) {
                broken = true;
                connection.close();
                throw new ManagerUnavailableException("lost the manager at " + address, e);
            }
            try {
                r = (Reply) connection.recv();
            } catch (CodecException e) {
                throw new IllegalStateException("cannot decode the manager's reply: " + e.getMessage(), e);
            } catch (EOFException | ClosedChannelException e) {
                broken = true;
                connection.close();
                throw new ManagerUnavailableException("the manager at " + address
                        + " closed the connection (shut down or killed)", e);
            } catch (IOException e) {
                broken = true;
                connection.close();
                throw new ManagerUnavailableException("lost the manager at " + address, e);
            }
            if (r.failure() != null) {
                throw rethrow(r.failure());
            }
            return r.value();
        }

        private static RuntimeException rethrow(Throwable remote) {
            // The server's exception, with the server's stack trace; where it was called from
            // here is added as a suppressed exception.
            remote.addSuppressed(new Exception("called through a manager proxy from here"));
            if (remote instanceof RuntimeException r) {
                return r;
            }
            if (remote instanceof Error e) {
                throw e;
            }
            return new RemoteChecked(remote);
        }
    }

    /** Carries a checked exception from the server to {@link #invoke}, which rethrows it. */
    static final class RemoteChecked extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;

        RemoteChecked(Throwable cause) {
            super(cause);
        }
    }
}
