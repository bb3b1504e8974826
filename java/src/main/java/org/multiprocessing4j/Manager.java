package org.multiprocessing4j;

import java.io.IOException;
import java.io.Serializable;
import java.net.SocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.multiprocessing4j.internal.connection.Handshake;
import org.multiprocessing4j.internal.manager.ManagedProxy;
import org.multiprocessing4j.internal.manager.ManagerProtocol;

/**
 * A server process that owns objects which other processes use through proxies (Python's
 * {@code multiprocessing.Manager()} and {@code BaseManager}). A proxy implements the object's
 * interface ({@link Map}, {@link List}, {@link BlockingQueue}, {@link Lock}, or one of yours); every
 * call runs on the server, so all processes see one object.
 *
 * <pre>{@code
 * try (Manager m = Manager.start()) {
 *     Map<String, Integer> scores = m.dict();
 *     List<ChildProcess> workers = new ArrayList<>();
 *     for (int i = 0; i < 4; i++) {
 *         int n = i;
 *         workers.add(new ChildProcess(() -> scores.put("worker-" + n, n * n)));
 *     }
 *     for (ChildProcess w : workers) { w.start(); }
 *     for (ChildProcess w : workers) { w.join(); }
 *     System.out.println(scores);                   // {worker-0=0, worker-1=1, ...}
 * }
 * }</pre>
 *
 * <h2>Proxies</h2>
 * Arguments and results travel by value, encoded with the default codec (so they must be
 * serializable); a result that is a collection view or an iterator arrives as a copy (Python's
 * {@code DictProxy.keys()} returns a list too). A method that returns the object itself returns the
 * proxy. Proxies are thread-safe: each calling thread has its own connection to the server, served
 * by its own server thread, so a {@link Lock} proxy is owned by the thread that locked it, and a
 * blocking call ({@code take()} of a queue proxy) blocks only its caller. A proxy captured by a task
 * travels to the child, which then uses the same object. An exception thrown by the object is
 * rethrown by the proxy with the server-side stack trace (a suppressed exception shows where the
 * call was made). A blocked call is not interrupted by {@link Thread#interrupt()}.
 *
 * <h2>Lifetime and failures</h2>
 * An object lives while a process holds a proxy to it: a proxy that becomes unreachable releases
 * its reference, and a process that ends (also when killed) releases all of its references at once.
 * If the server dies, calls in progress and every later call fail at once with
 * {@link ManagerUnavailableException}; nothing hangs. The server started by {@link #start()} is a
 * daemon child of this process: it dies with it.
 *
 * <h2>Remote managers</h2>
 * {@link Builder#serve(Listener.Builder)} runs a server in this process on an address of your
 * choice (TCP or Unix socket, with an authkey); {@link #connect(SocketAddress, byte[])} uses it from
 * any other process, started by whoever — the way to share objects between processes that were not
 * started by one parent (Python's {@code BaseManager(address, authkey).connect()}).
 *
 * <p>A {@code Manager} handle is thread-safe.
 */
public final class Manager implements AutoCloseable {
    /** Built-in types every server offers. */
    private static final Map<String, Supplier<?>> BUILT_INS = Map.of(
            "dict", () -> Collections.synchronizedMap(new LinkedHashMap<>()),
            "list", () -> Collections.synchronizedList(new ArrayList<>()),
            "namespace", () -> Collections.synchronizedMap(new LinkedHashMap<>()),
            "value", SimpleValue::new,
            "queue", LinkedBlockingQueue::new,
            "lock", ReentrantLock::new);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final SocketAddress address;
    private final byte[] authkey;
    private final ChildProcess server; // null when connected to someone else's server
    private volatile boolean closed;

    private Manager(SocketAddress address, byte[] authkey, ChildProcess server) {
        this.address = address;
        this.authkey = authkey;
        this.server = server;
    }

    /**
     * A factory for a registered type: serializable, so that it can run in the server process.
     *
     * @param <T> the type of the objects it makes
     */
    @FunctionalInterface
    public interface Factory<T> extends Supplier<T>, Serializable {
    }

    /**
     * A single shared value (Python's {@code Manager().Value}).
     *
     * @param <T> the type of the value
     */
    public interface Value<T> {
        /** {@return the value} */
        T get();

        /**
         * Replaces the value.
         *
         * @param value the new value
         */
        void set(T value);
    }

    private static final class SimpleValue<T> implements Value<T> {
        private T value;

        @Override
        public synchronized T get() {
            return value;
        }

        @Override
        public synchronized void set(T value) {
            this.value = value;
        }

        @Override
        public synchronized String toString() {
            return "Value[" + value + "]";
        }
    }

    /**
     * Starts a manager server in a child process with the built-in types (Python's
     * {@code Manager()}); blocks until it is ready.
     *
     * @return the manager; {@link #close()} shuts the server down
     * @throws IOException if the server cannot be started
     */
    public static Manager start() throws IOException {
        return builder().start();
    }

    /**
     * Connects to a server another process {@linkplain Builder#serve serves} (Python's
     * {@code BaseManager(address, authkey).connect()}). Nothing is contacted yet: the first proxy
     * call connects.
     *
     * @param address the server's address
     * @param authkey its key
     * @return a handle; {@link #close()} closes this process's connections, not the server
     */
    public static Manager connect(SocketAddress address, byte[] authkey) {
        return new Manager(Objects.requireNonNull(address, "address"), Handshake.checkKey(authkey), null);
    }

    /** {@return a builder, to register your own types} */
    public static Builder builder() {
        return new Builder();
    }

    /** Registers types, then starts or serves a server. Not thread-safe. */
    public static final class Builder {
        private final Map<String, Supplier<?>> types = new LinkedHashMap<>(BUILT_INS);
        private final List<String> jvmOptions = new ArrayList<>();

        private Builder() {
        }

        /**
         * Registers a type (Python's {@code BaseManager.register(typeid, callable)}): each
         * {@link Manager#create(String, Class)} of {@code typeid} calls {@code factory} in the
         * server (which may return the same object every time, to share one).
         *
         * @param typeid the name clients use
         * @param factory makes the object; it must implement the interface clients ask for
         * @return this builder
         * @throws IllegalArgumentException if {@code typeid} is a built-in type or already registered
         */
        public Builder register(String typeid, Factory<?> factory) {
            Objects.requireNonNull(factory, "factory");
            if (types.containsKey(Objects.requireNonNull(typeid, "typeid"))) {
                throw new IllegalArgumentException("type '" + typeid + "' is already registered");
            }
            types.put(typeid, factory);
            return this;
        }

        /**
         * JVM options of the server process started by {@link #start()}.
         *
         * @param options options, for example {@code -Xmx256m}
         * @return this builder
         */
        public Builder jvmOptions(String... options) {
            jvmOptions.addAll(List.of(options));
            return this;
        }

        /**
         * Starts the server in a daemon child process, listening on a private Unix socket with a
         * random key, and waits (up to 60 s) until it is ready.
         *
         * @return the manager
         * @throws IOException if it cannot be started (the child is stopped)
         */
        public Manager start() throws IOException {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Map<String, Supplier<?>> registered = new LinkedHashMap<>(types);
            BUILT_INS.keySet().forEach(registered::remove); // the child has them already
            for (Map.Entry<String, Supplier<?>> e : registered.entrySet()) {
                if (!(e.getValue() instanceof Serializable)) {
                    throw new IllegalArgumentException("factory of '" + e.getKey() + "' is not serializable");
                }
            }
            @SuppressWarnings("unchecked")
            LinkedHashMap<String, Factory<?>> factories = new LinkedHashMap<>((Map<String, Factory<?>>) (Map<?, ?>) registered);
            Pipe pipe = Pipe.open(false);
            Connection ready = pipe.second();
            ChildProcess child = Multiprocessing.context().withJvmOptions(jvmOptions.toArray(String[]::new))
                    .process(() -> runServer(factories, key, ready));
            child.setName("Manager").setDaemon(true);
            try (pipe) {
                child.start();
                ready.close();
                if (!pipe.first().poll(START_TIMEOUT)) {
                    throw new IOException("the manager process did not start within " + START_TIMEOUT);
                }
                SocketAddress address = (SocketAddress) pipe.first().recv();
                return new Manager(address, key, child);
            } catch (IOException | RuntimeException e) {
                stop(child);
                if (e instanceof java.io.EOFException) {
                    throw new IOException("the manager process ended before it was ready"
                            + child.failure().map(f -> ": " + f).orElse(""), e);
                }
                throw e;
            }
        }

        /**
         * Serves the registered types in this process on {@code listener}'s address (Python's
         * {@code get_server().serve_forever()} — without the blocking: call
         * {@link ManagerServer#awaitTermination()} for that).
         *
         * @param listener the address and authentication clients must use
         * @return the running server
         * @throws IOException if it cannot listen
         */
        public ManagerServer serve(Listener.Builder listener) throws IOException {
            return new ManagerServer(listener.open(), types);
        }
    }

    private static void runServer(Map<String, Factory<?>> registered, byte[] key, Connection ready) throws Exception {
        Map<String, Supplier<?>> types = new LinkedHashMap<>(BUILT_INS);
        types.putAll(registered);
        try (ManagerServer s = new ManagerServer(Listener.builder().unix().authkey(key).open(), types)) {
            ready.send(s.address());
            ready.close();
            s.awaitTermination();
        }
    }

    private static void stop(ChildProcess child) {
        try {
            if (child.isAlive()) {
                child.kill();
            }
            child.join(Duration.ofSeconds(10));
        } catch (Exception e) {
            // best effort
        } finally {
            child.close();
        }
    }

    /** {@return the pid of the server process this handle started; empty after {@link #connect}} */
    public java.util.OptionalInt serverPid() {
        return server == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(server.pid());
    }

    /** {@return the server's address} */
    public SocketAddress address() {
        return address;
    }

    /**
     * {@return a new shared map (Python's {@code Manager().dict()}), insertion-ordered, nulls allowed}
     *
     * @param <K> the type of the keys
     * @param <V> the type of the values
     */
    public <K, V> Map<K, V> dict() {
        return create("dict", cast(Map.class));
    }

    /**
     * {@return a new shared list (Python's {@code Manager().list()})}
     *
     * @param <E> the type of the elements
     */
    public <E> List<E> list() {
        return create("list", cast(List.class));
    }

    /**
     * {@return a new shared namespace (Python's {@code Manager().Namespace()}): Java has no
     * attributes to set, so it is a map from names to values}
     */
    public Map<String, Object> namespace() {
        return create("namespace", cast(Map.class));
    }

    /**
     * Creates a shared value (Python's {@code Manager().Value(typecode, value)}).
     *
     * @param <T> the type of the value
     * @param initial the initial value
     * @return its proxy
     */
    public <T> Value<T> value(T initial) {
        Value<T> v = create("value", cast(Value.class));
        v.set(initial);
        return v;
    }

    /**
     * {@return a new shared unbounded queue (Python's {@code Manager().Queue()})}
     *
     * @param <E> the type of the elements
     */
    public <E> BlockingQueue<E> queue() {
        return create("queue", cast(BlockingQueue.class));
    }

    /**
     * {@return a new shared reentrant lock (Python's {@code Manager().RLock()}), owned by the
     * calling thread of the calling process; {@code newCondition()} is not supported}
     */
    public Lock lock() {
        return create("lock", Lock.class);
    }

    /**
     * Creates an object of a registered type and returns its proxy (Python's generated
     * {@code manager.typeid()} methods).
     *
     * @param <T> the interface's type
     * @param typeid a registered type
     * @param type the interface the proxy implements; the object must implement it
     * @return the proxy
     * @throws IllegalArgumentException if {@code typeid} is not registered, or {@code type} is not
     *     an interface
     * @throws ManagerUnavailableException if the server cannot be reached
     * @throws IllegalStateException if this handle is closed
     */
    public <T> T create(String typeid, Class<T> type) {
        Objects.requireNonNull(typeid, "typeid");
        if (!type.isInterface()) {
            throw new IllegalArgumentException("a proxy implements an interface; " + type.getName() + " is not one");
        }
        if (closed) {
            throw new IllegalStateException("manager handle is closed");
        }
        return ManagedProxy.create(address, authkey, typeid, type);
    }

    @SuppressWarnings("unchecked")
    private static <T> Class<T> cast(Class<?> c) {
        return (Class<T>) c;
    }

    /**
     * Stops the server this handle started (Python's {@code shutdown()}): every proxy, in every
     * process, fails with {@link ManagerUnavailableException} from then on. Waits for the server
     * process to end. For a handle from {@link #connect}, only closes this process's connections.
     * Idempotent.
     */
    public void shutdown() {
        if (closed) {
            return;
        }
        closed = true;
        ManagedProxy.Clients clients = ManagedProxy.clients(address);
        if (server != null) {
            try {
                clients.session(authkey).request(new ManagerProtocol.Shutdown());
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
        clients.closeAll();
        if (server != null) {
            try {
                server.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException ignored) {
                // stop() below makes sure
            }
            stop(server);
        }
    }

    /** Same as {@link #shutdown()}. */
    @Override
    public void close() {
        shutdown();
    }

    @Override
    public String toString() {
        return "Manager[" + address + (server != null ? ", pid " + server.pid() : "") + (closed ? ", shut down" : "") + "]";
    }
}
