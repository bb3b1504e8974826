package org.multiprocessing4j;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.internal.connection.Handshake;
import org.multiprocessing4j.internal.jfr.ConnectionHandshakeEvent;
import org.multiprocessing4j.internal.shm.ShmTracker;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Accepts connections from other processes, related or not (Python's
 * {@code multiprocessing.connection.Listener}), over a Unix-domain socket or TCP, speaking
 * CPython's wire format and authentication handshake: a CPython
 * {@code multiprocessing.connection.Client} connects to it and exchanges
 * {@code send_bytes}/{@code recv_bytes} messages with the {@link Connection} returned here.
 *
 * <pre>{@code
 * byte[] key = "secret".getBytes();
 * try (Listener listener = Listener.builder().tcp(0).authkey(key).open()) {
 *     System.out.println(listener.address());        // /127.0.0.1:41234
 *     try (Connection c = listener.accept()) {
 *         c.sendBytes("hello".getBytes());
 *     }
 * }
 * }</pre>
 *
 * <h2>Security</h2>
 * <ul>
 *   <li>An authkey is required unless {@link Builder#withoutAuthentication()} says otherwise.
 *       With one, both sides prove they know it (CPython 3.12+'s {@code {sha256}} HMAC
 *       challenge, mutual); CPython 3.11's HMAC-MD5 dialect only after
 *       {@link Builder#acceptLegacyMd5(boolean)}. Nothing the peer sends is decoded before it is
 *       authenticated; handshake messages are capped at 256 bytes; MACs are compared in
 *       constant time.</li>
 *   <li>Without authentication, {@link Connection#recv()} decodes only value types
 *       ({@link Codec#forUntrustedPeers()}) unless {@link Builder#codec(Codec)} says otherwise.</li>
 *   <li>Each connection must complete its handshake within {@link Builder#handshakeTimeout}
 *       (default 10 s), else it is closed; at most {@link Builder#maxPendingHandshakes}
 *       (default 64) are in progress at once, and a connection beyond that evicts (closes) the
 *       oldest. A connection closed for either reason is not reported by {@link #accept()}, which
 *       goes on waiting. Handshakes progress concurrently, so a silent or slow client never
 *       delays another, and silent connections cannot keep a legitimate client out: to evict
 *       it, an attacker must open {@code maxPendingHandshakes} connections within the few
 *       milliseconds its handshake takes.</li>
 *   <li>A Unix-domain listener's socket file is created with mode 0600 (never wider, not even
 *       between {@code bind} and a {@code chmod}); without a path, inside
 *       a fresh 0700 directory, removed again by {@link #close()} — or, if this JVM ends without
 *       closing it (a forced kill included), shortly after by the JVM's tracker process (see
 *       {@link SharedMemory}, "Who removes a name"). Abstract-namespace names are never used.
 *       TCP listens on the loopback interface unless an address is given.</li>
 * </ul>
 *
 * <p>Thread-safe: concurrent {@link #accept()} calls are served one at a time. {@link #close()}
 * wakes a blocked {@code accept}, which then throws {@link ClosedChannelException}; closing twice
 * is harmless; connections already accepted stay open.
 */
public final class Listener implements AutoCloseable {
    private static final Platform OS = Platform.current();
    private static final int HEADER = 4;
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final Descriptor socket;
    private final SocketAddress address;
    private final byte[] authkey; // null: no authentication
    private final boolean legacy;
    private final long handshakeNanos;
    private final int maxPending;
    private final Codec codec;
    private final Path socketFile; // null for TCP
    private final Path createdDirectory; // null unless we made it
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment scratch = arena.allocate(HEADER + 8 + Handshake.MAX_MESSAGE + 64);
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean closed;

    private Listener(Builder b, Handle fd, SocketAddress address, Path socketFile, Path createdDirectory) {
        this.socket = new Descriptor(fd);
        this.address = address;
        this.authkey = b.authkey;
        this.legacy = b.legacy;
        this.handshakeNanos = b.handshakeTimeout.toNanos();
        this.maxPending = b.maxPending;
        this.codec = b.codec != null ? b.codec
                : authkey == null ? Codec.forUntrustedPeers() : Codec.defaults();
        this.socketFile = socketFile;
        this.createdDirectory = createdDirectory;
    }

    /** {@return a builder; choose the address family, then an authkey or no authentication} */
    public static Builder builder() {
        return new Builder();
    }

    /** Configures a listener. Not thread-safe. */
    public static final class Builder {
        private SocketAddress address;
        private boolean chooseUnixPath;
        private byte[] authkey;
        private boolean noAuthentication;
        private boolean legacy;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private int maxPending = 64;
        private int backlog = 128;
        private Codec codec; // null: chosen by authentication, see codec(Codec)

        private Builder() {
        }

        /**
         * Listens on a Unix-domain socket at a fresh path in a new directory that only this user
         * can enter (0700; under the OS's runtime directory for this user, on Linux
         * {@code $XDG_RUNTIME_DIR} if set, else the temporary directory); {@link #address()}
         * tells the path.
         *
         * @return this builder
         */
        public Builder unix() {
            this.address = null;
            this.chooseUnixPath = true;
            return this;
        }

        /**
         * Listens on a Unix-domain socket at {@code path}, which must not exist; its directory
         * should be private to the user (the socket file itself is created 0600).
         *
         * @param path the socket path, at most 107 bytes
         * @return this builder
         */
        public Builder unix(Path path) {
            this.address = UnixDomainSocketAddress.of(Objects.requireNonNull(path, "path"));
            this.chooseUnixPath = false;
            return this;
        }

        /**
         * Listens on TCP {@code port} of the loopback interface (127.0.0.1).
         *
         * @param port the port, or 0 for any free one ({@link #address()} tells which)
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder tcp(int port) {
            return tcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), checkPort(port)));
        }

        /**
         * Listens on a TCP address given explicitly, for example {@code 0.0.0.0} to accept
         * connections from other machines (then an authkey is the only protection: use one).
         *
         * @param address a resolved address
         * @return this builder
         * @throws IllegalArgumentException if it is unresolved
         */
        public Builder tcp(InetSocketAddress address) {
            if (address.isUnresolved()) {
                throw new IllegalArgumentException("unresolved address " + address);
            }
            this.address = address;
            this.chooseUnixPath = false;
            return this;
        }

        /**
         * Requires every client to prove it knows {@code key} (and proves it to them).
         *
         * @param key the key, not empty (copied)
         * @return this builder
         * @throws IllegalArgumentException if empty
         */
        public Builder authkey(byte[] key) {
            this.authkey = Handshake.checkKey(key);
            this.noAuthentication = false;
            return this;
        }

        /**
         * Accepts any client without a handshake (Python's {@code authkey=None}): anyone who can
         * reach the address can send messages. Suitable for a Unix socket in a private directory.
         * Unless {@link #codec(Codec)} says otherwise, the accepted connections' {@code recv}
         * then decodes only value types ({@link Codec#forUntrustedPeers()}).
         *
         * @return this builder
         */
        public Builder withoutAuthentication() {
            this.authkey = null;
            this.noAuthentication = true;
            return this;
        }

        /**
         * Whether to accept, and answer, CPython 3.11's HMAC-MD5 handshake (default false).
         *
         * @param accept whether to
         * @return this builder
         */
        public Builder acceptLegacyMd5(boolean accept) {
            this.legacy = accept;
            return this;
        }

        /**
         * How long a connection may take to complete its handshake (default 10 s); one that takes
         * longer is closed, without {@link Listener#accept()} reporting it.
         *
         * @param timeout a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder handshakeTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("handshake timeout must be positive, got " + timeout);
            }
            this.handshakeTimeout = timeout;
            return this;
        }

        /**
         * How many handshakes may be in progress at once (default 64); a connection beyond that
         * evicts the oldest handshake in progress (closes it, without
         * {@link Listener#accept()} reporting it).
         *
         * @param max at least 1
         * @return this builder
         * @throws IllegalArgumentException if below 1
         */
        public Builder maxPendingHandshakes(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxPendingHandshakes must be at least 1, got " + max);
            }
            this.maxPending = max;
            return this;
        }

        /**
         * The kernel's queue of connections not yet accepted (default 128; Python's default 1).
         *
         * @param backlog at least 1
         * @return this builder
         * @throws IllegalArgumentException if below 1
         */
        public Builder backlog(int backlog) {
            if (backlog < 1) {
                throw new IllegalArgumentException("backlog must be at least 1, got " + backlog);
            }
            this.backlog = backlog;
            return this;
        }

        /**
         * The codec of the accepted connections' {@code send}/{@code recv};
         * {@code sendBytes}/{@code recvBytes} are raw either way. Default: {@link Codec#defaults()}
         * with an authkey, {@link Codec#forUntrustedPeers()} {@link #withoutAuthentication()}
         * (see {@link Codec}'s "Trust": a codec that decodes more lets every client that can reach
         * the address make this process deserialize it).
         *
         * @param codec the codec
         * @return this builder
         */
        public Builder codec(Codec codec) {
            this.codec = Objects.requireNonNull(codec, "codec");
            return this;
        }

        /**
         * Binds and listens.
         *
         * @return the listener
         * @throws IllegalStateException if no address family, or neither an authkey nor
         *     {@link #withoutAuthentication()}, was chosen
         * @throws java.net.BindException if the address is in use
         * @throws IOException on any other error (nothing is left behind)
         */
        public Listener open() throws IOException {
            if (address == null && !chooseUnixPath) {
                throw new IllegalStateException("choose an address: unix(), unix(path) or tcp(port)");
            }
            if (authkey == null && !noAuthentication) {
                throw new IllegalStateException("give an authkey, or call withoutAuthentication() explicitly");
            }
            Path dir = null;
            SocketAddress bindTo = address;
            if (chooseUnixPath) {
                dir = OS.privateFiles().createDirectory(OS.privateFiles().runtimeDirectory(),
                        "mp4j-listener-");
                bindTo = UnixDomainSocketAddress.of(dir.resolve("socket"));
            }
            Path file = bindTo instanceof UnixDomainSocketAddress u ? u.getPath() : null;
            Handle fd = null;
            boolean bound = false;
            try {
                if (dir != null) {
                    track(dir);
                }
                fd = OS.socket(bindTo, true);
                OS.bindAndListen(fd, bindTo, backlog);
                bound = true;
                if (file != null) {
                    OS.privateFiles().restrict(file);
                }
                SocketAddress actual = file != null ? bindTo : OS.localAddress(fd);
                return new Listener(this, fd, actual, file, dir);
            } catch (IOException | RuntimeException e) {
                if (fd != null) {
                    OS.close(fd);
                }
                try {
                    if (bound && file != null) {
                        Files.deleteIfExists(file);
                    }
                    if (dir != null) {
                        Files.deleteIfExists(dir);
                        ShmTracker.get().unregisterDirectory(dir);
                    }
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }

        /**
         * Has this JVM's tracker remove the directory if this JVM dies (a forced kill included) before
         * {@link Listener#close()}: a daemon manager server, for one, is killed with its parent.
         * A directory whose path the tracker cannot take (unusual characters in the temporary
         * directory's path) stays untracked, as before.
         */
        private static void track(Path dir) throws IOException {
            if (ShmTracker.isTrackableDirectory(dir)) {
                ShmTracker.get().registerDirectory(dir, OS.privateFiles().fileId(dir));
            }
        }

        private static int checkPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
            }
            return port;
        }
    }

    /**
     * {@return the address clients connect to: a {@link UnixDomainSocketAddress}, or an
     * {@link InetSocketAddress} with the actual port}
     */
    public SocketAddress address() {
        return address;
    }

    /**
     * Waits for a client and returns its authenticated connection (Python's {@code accept()}).
     *
     * @return the connection, open for reading and writing; the caller closes it
     * @throws AuthenticationException if a client failed its handshake (wrong key, protocol
     *     error): that connection is closed, the listener stays usable. A connection that stays
     *     silent until its deadline or is evicted is closed without a report.
     * @throws ClosedChannelException if the listener is or gets closed
     * @throws IOException on any other error
     */
    public Connection accept() throws IOException {
        return acceptWithin(-1);
    }

    /**
     * As {@link #accept()}, waiting at most {@code timeout} for an authenticated client.
     *
     * @param timeout how long to wait
     * @return the connection
     * @throws SocketTimeoutException once the timeout has fully elapsed
     * @throws AuthenticationException as for {@link #accept()}
     * @throws ClosedChannelException if the listener is or gets closed
     * @throws IOException on any other error
     */
    public Connection accept(Duration timeout) throws IOException {
        return acceptWithin(Math.max(0, timeout.toNanos()));
    }

    private Connection acceptWithin(long timeoutNanos) throws IOException {
        long start = System.nanoTime();
        lock.lock();
        try {
            for (;;) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                long now = System.nanoTime();
                expireHandshakes(now);
                long wait = timeoutNanos < 0 ? Long.MAX_VALUE : timeoutNanos - (now - start);
                if (wait <= 0 && timeoutNanos != 0) {
                    throw new SocketTimeoutException("no client authenticated within "
                            + Duration.ofNanos(timeoutNanos));
                }
                Pending first = pending.peekFirst();
                if (first != null) {
                    wait = Math.min(wait, Math.max(0, first.deadline - now));
                }
                Handle[] fds = new Handle[1 + pending.size()];
                boolean[] ready = new boolean[fds.length];
                Handle listenFd = socket.acquire();
                try {
                    fds[0] = listenFd;
                    int i = 1;
                    for (Pending p : pending) {
                        fds[i++] = p.fd;
                    }
                    OS.awaitReadable(fds, ready, wait == Long.MAX_VALUE ? -1 : wait);
                    if (closed) {
                        throw new ClosedChannelException();
                    }
                    // Progress the handshakes first: the oldest finished one is returned.
                    List<Pending> readable = new ArrayList<>();
                    i = 1;
                    for (Pending p : pending) {
                        if (ready[i++]) {
                            readable.add(p);
                        }
                    }
                    for (Pending p : readable) {
                        Connection done = advance(p);
                        if (done != null) {
                            return done;
                        }
                    }
                    if (ready[0]) {
                        Connection c = acceptPendingClients(listenFd);
                        if (c != null) {
                            return c;
                        }
                    }
                } finally {
                    socket.release();
                }
                if (timeoutNanos == 0) {
                    throw new SocketTimeoutException("no authenticated client is waiting");
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Accepts what the kernel has queued; returns a connection at once when not authenticating. */
    private Connection acceptPendingClients(Handle listenFd) throws IOException {
        for (;;) {
            Handle fd = OS.accept(listenFd);
            if (fd == null) {
                return null;
            }
            if (authkey == null) {
                return new Connection(fd, true, true, codec);
            }
            if (pending.size() >= maxPending) {
                // Too many in progress: the oldest makes room. Refusing the newcomer instead
                // would let a few silent connections, renewed at each expiry, keep everyone out.
                drop(pending.peekFirst(), "failed", "evicted to make room for a newer handshake");
            }
            Pending p = new Pending(fd, System.nanoTime() + handshakeNanos);
            pending.addLast(p);
            try {
                p.message = Handshake.newMessage();
                send(p.fd, Handshake.challengeFrame(p.message));
            } catch (IOException e) {
                drop(p, "failed", e.getMessage());
                throw new AuthenticationException("handshake with a new client failed: " + e.getMessage(), e);
            }
        }
    }

    /** Reads what a pending handshake has received; completes a step when a frame is whole. */
    private Connection advance(Pending p) throws IOException {
        byte[] frame;
        try {
            frame = p.readFrame(scratch);
        } catch (IOException e) {
            drop(p, "failed", e.getMessage());
            throw e instanceof AuthenticationException a ? a
                    : new AuthenticationException("handshake failed: " + e.getMessage(), e);
        }
        if (frame == null) {
            return null; // more to come
        }
        try {
            switch (p.step) {
                case AWAIT_RESPONSE -> {
                    p.protocol = Handshake.responseDialect(frame);
                    try {
                        Handshake.verify(authkey, p.message, frame, legacy);
                    } catch (AuthenticationException e) {
                        p.result = "refused";
                        trySend(p.fd, Handshake.FAILURE);
                        throw e;
                    }
                    send(p.fd, Handshake.WELCOME);
                    p.step = Step.AWAIT_CHALLENGE;
                }
                case AWAIT_CHALLENGE -> {
                    send(p.fd, Handshake.respond(authkey, frame, legacy));
                    p.step = Step.AWAIT_WELCOME;
                }
                case AWAIT_WELCOME -> {
                    if (!java.util.Arrays.equals(frame, Handshake.WELCOME)) {
                        p.result = "refused";
                        throw new AuthenticationException("digest sent was rejected (different authkey?)");
                    }
                    pending.remove(p);
                    ConnectionHandshakeEvent.finish(p.event, "listener", address, p.protocol, "ok", null);
                    return new Connection(p.fd, true, true, codec);
                }
                default -> throw new AssertionError(p.step);
            }
            return null;
        } catch (IOException | RuntimeException e) {
            drop(p, p.result, e.getMessage());
            throw e instanceof AuthenticationException a ? a
                    : new AuthenticationException("handshake failed: " + e.getMessage(), e);
        }
    }

    /** Closes the handshakes past their deadline (the oldest are first), without a report. */
    private void expireHandshakes(long now) {
        for (Pending p = pending.peekFirst(); p != null && now - p.deadline >= 0; p = pending.peekFirst()) {
            drop(p, "failed", "no complete handshake before its deadline");
        }
    }

    /** Closes a handshake that failed ({@code result}: see the handshake event) or expired. */
    private void drop(Pending p, String result, String reason) {
        ConnectionHandshakeEvent.finish(p.event, "listener", address, p.protocol, result, reason);
        pending.remove(p);
        try {
            OS.close(p.fd);
        } catch (IOException ignored) {
            // the descriptor is released anyway
        }
    }

    private void send(Handle fd, byte[] payload) throws IOException {
        scratch.set(INT_BE, 0, payload.length);
        MemorySegment.copy(payload, 0, scratch, ValueLayout.JAVA_BYTE, HEADER, payload.length);
        OS.sendFully(fd, scratch, HEADER + payload.length);
    }

    private void trySend(Handle fd, byte[] payload) {
        try {
            send(fd, payload);
        } catch (IOException ignored) {
            // the peer may be gone already; the failure is reported either way
        }
    }

    private enum Step { AWAIT_RESPONSE, AWAIT_CHALLENGE, AWAIT_WELCOME }

    /** A connection in its handshake: reads frames without ever reading past one. */
    private static final class Pending {
        final Handle fd;
        final long deadline;
        Step step = Step.AWAIT_RESPONSE;
        byte[] message;
        /** The handshake event, begun at the accept; null without a recording. */
        final ConnectionHandshakeEvent event = ConnectionHandshakeEvent.started();
        /** The client's dialect once its response came, for the event. */
        String protocol;
        /** The event's result if the handshake fails now. */
        String result = "failed";
        private final byte[] header = new byte[HEADER + 8];
        private int headerFilled;
        private int headerNeeded = HEADER;
        private byte[] body;
        private int bodyFilled;

        Pending(Handle fd, long deadline) {
            this.fd = fd;
            this.deadline = deadline;
        }

        /** {@return the next whole frame, or null if it has not all arrived} */
        byte[] readFrame(MemorySegment scratch) throws IOException {
            while (body == null) {
                long n = OS.readNow(fd, scratch, headerNeeded - headerFilled);
                if (n == 0) {
                    throw new EOFException("the client closed the connection during the handshake");
                }
                if (n < 0) {
                    return null;
                }
                MemorySegment.copy(scratch, ValueLayout.JAVA_BYTE, 0, header, headerFilled, (int) n);
                headerFilled += (int) n;
                if (headerFilled < headerNeeded) {
                    continue;
                }
                long size = MemorySegment.ofArray(header).get(INT_BE, 0);
                if (size == -1 && headerNeeded == HEADER) {
                    headerNeeded = HEADER + 8; // CPython's large-frame form
                    continue;
                }
                if (headerNeeded > HEADER) {
                    size = MemorySegment.ofArray(header).get(ValueLayout.JAVA_LONG_UNALIGNED
                            .withOrder(ByteOrder.BIG_ENDIAN), HEADER);
                }
                if (size < 0 || size > Handshake.MAX_MESSAGE) {
                    throw new AuthenticationException("handshake message of " + size
                            + " bytes (at most " + Handshake.MAX_MESSAGE + " accepted)");
                }
                body = new byte[(int) size];
            }
            while (bodyFilled < body.length) {
                long n = OS.readNow(fd, scratch, body.length - bodyFilled);
                if (n == 0) {
                    throw new EOFException("the client closed the connection during the handshake");
                }
                if (n < 0) {
                    return null;
                }
                MemorySegment.copy(scratch, ValueLayout.JAVA_BYTE, 0, body, bodyFilled, (int) n);
                bodyFilled += (int) n;
            }
            byte[] frame = body;
            body = null;
            bodyFilled = 0;
            headerFilled = 0;
            headerNeeded = HEADER;
            return frame;
        }
    }

    /**
     * Stops listening: wakes a blocked {@link #accept()} (it throws
     * {@link ClosedChannelException}), closes connections still in their handshake, and removes
     * the socket file (and the directory the listener created for it). Accepted connections stay
     * open. Idempotent.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        closed = true;
        socket.close(true); // shutdown wakes a poll in accept
        lock.lock();
        try {
            for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
                Pending p = it.next();
                it.remove();
                ConnectionHandshakeEvent.finish(p.event, "listener", address, p.protocol, "failed",
                        "the listener was closed during the handshake");
                try {
                    OS.close(p.fd);
                } catch (IOException ignored) {
                    // released anyway
                }
            }
            if (arena.scope().isAlive()) {
                arena.close();
            }
        } finally {
            lock.unlock();
        }
        try {
            if (socketFile != null) {
                Files.deleteIfExists(socketFile);
            }
            if (createdDirectory != null) {
                Files.deleteIfExists(createdDirectory);
                ShmTracker.get().unregisterDirectory(createdDirectory);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the socket file " + socketFile, e);
        }
    }

    @Override
    public String toString() {
        return "Listener[" + address + (closed ? ", closed" : "") + (authkey != null ? ", authenticated" : "") + "]";
    }
}
