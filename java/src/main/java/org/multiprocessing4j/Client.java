package org.multiprocessing4j;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import org.multiprocessing4j.internal.connection.Handshake;
import org.multiprocessing4j.internal.jfr.ConnectionHandshakeEvent;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Connects to a {@link Listener}, or to a CPython {@code multiprocessing.connection.Listener}
 * (Python's {@code multiprocessing.connection.Client}), and authenticates with the shared key.
 *
 * <pre>{@code
 * try (Connection c = Client.connect(new InetSocketAddress("localhost", 6000), key)) {
 *     c.sendBytes("hello".getBytes());
 *     byte[] reply = c.recvBytes();
 * }
 * }</pre>
 *
 * <p>The handshake is CPython 3.12+'s mutual {@code {sha256}} HMAC challenge; CPython 3.11's
 * HMAC-MD5 dialect is answered only with {@link Builder#acceptLegacyMd5(boolean)}. Every
 * handshake message is capped at 256 bytes. One deadline, the
 * {@linkplain Builder#handshakeTimeout timeout} (default 10 s), covers connecting and the whole
 * handshake: a listener that does not accept, or answers part of a message and stalls, makes the
 * call fail when it passes, never hang. Thread-safe: every call makes its own connection.
 * Without an authkey the connection decodes only value types unless
 * {@link Builder#codec(Codec)} says otherwise (see {@link Codec}'s "Trust").
 */
public final class Client {
    private static final Platform OS = Platform.current();

    private Client() {
    }

    /**
     * Connects and authenticates with {@code authkey}.
     *
     * @param address a {@link UnixDomainSocketAddress} or a {@link InetSocketAddress}
     * @param authkey the listener's key
     * @return the connection; the caller closes it
     * @throws AuthenticationException if the listener has another key, or the handshake fails
     *     or does not complete within 10 s of the call
     * @throws SocketTimeoutException if not connected within 10 s
     * @throws java.net.ConnectException if nobody listens there
     * @throws IOException on any other error
     */
    public static Connection connect(SocketAddress address, byte[] authkey) throws IOException {
        return builder(address).authkey(authkey).connect();
    }

    /**
     * Connects to a listener that does not authenticate (Python's {@code authkey=None}). The
     * connection's {@code recv} decodes only value types ({@link Codec#forUntrustedPeers()}):
     * nothing proves who listens at the address.
     *
     * @param address a {@link UnixDomainSocketAddress} or a {@link InetSocketAddress}
     * @return the connection; the caller closes it
     * @throws SocketTimeoutException if not connected within 10 s
     * @throws java.net.ConnectException if nobody listens there
     * @throws IOException on any other error
     */
    public static Connection connect(SocketAddress address) throws IOException {
        return builder(address).connect();
    }

    /**
     * {@return a builder for a connection to {@code address}, for the less common options}
     *
     * @param address a {@link UnixDomainSocketAddress} or a {@link InetSocketAddress}
     */
    public static Builder builder(SocketAddress address) {
        return new Builder(address);
    }

    /** Configures a connection. Not thread-safe. */
    public static final class Builder {
        private final SocketAddress address;
        private byte[] authkey;
        private boolean legacy;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Codec codec; // null: chosen by authentication, see codec(Codec)

        private Builder(SocketAddress address) {
            Objects.requireNonNull(address, "address");
            if (address instanceof InetSocketAddress inet && inet.isUnresolved()) {
                throw new IllegalArgumentException("cannot resolve " + inet.getHostString());
            }
            if (!(address instanceof InetSocketAddress) && !(address instanceof UnixDomainSocketAddress)) {
                throw new IllegalArgumentException("not a Unix-domain or TCP address: " + address);
            }
            this.address = address;
        }

        /**
         * Authenticates with {@code key} (without one, no handshake takes place).
         *
         * @param key the key, not empty (copied)
         * @return this builder
         * @throws IllegalArgumentException if empty
         */
        public Builder authkey(byte[] key) {
            this.authkey = Handshake.checkKey(key);
            return this;
        }

        /**
         * Whether to speak CPython 3.11's HMAC-MD5 dialect when the listener does (default false).
         *
         * @param accept whether to
         * @return this builder
         */
        public Builder acceptLegacyMd5(boolean accept) {
            this.legacy = accept;
            return this;
        }

        /**
         * How long connecting and the handshake may take together, from the call to
         * {@link #connect()} (default 10 s).
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
         * The codec of the connection's {@code send}/{@code recv}. Default: {@link Codec#defaults()}
         * with an {@link #authkey(byte[]) authkey}, {@link Codec#forUntrustedPeers()} without one
         * (whoever listens at the address is then unauthenticated; see {@link Codec}'s "Trust").
         *
         * @param codec the codec
         * @return this builder
         */
        public Builder codec(Codec codec) {
            this.codec = Objects.requireNonNull(codec, "codec");
            return this;
        }

        /**
         * Connects and, with an authkey, authenticates: answers the listener's challenge, then
         * challenges it.
         *
         * @return the connection
         * @throws AuthenticationException if the handshake fails or does not complete within the
         *     {@linkplain #handshakeTimeout timeout} (the connection is closed)
         * @throws SocketTimeoutException if not connected within the timeout
         * @throws java.net.ConnectException if nobody listens there
         * @throws java.io.InterruptedIOException if interrupted while waiting for room in a
         *     Unix-domain listener's queue
         * @throws IOException on any other error
         */
        public Connection connect() throws IOException {
            long deadline = System.nanoTime() + handshakeTimeout.toNanos();
            Handle fd = OS.socket(address, false);
            try {
                connectBefore(fd, deadline);
            } catch (IOException | RuntimeException e) {
                OS.close(fd);
                throw e;
            }
            Connection c = new Connection(fd, true, true, codec != null ? codec
                    : authkey == null ? Codec.forUntrustedPeers() : Codec.defaults());
            if (authkey == null) {
                return c;
            }
            ConnectionHandshakeEvent event = ConnectionHandshakeEvent.started();
            String protocol = null;
            String result = "failed";
            try {
                byte[] challenge = receive(c, deadline);
                protocol = Handshake.challengeDialect(challenge);
                c.sendBytes(Handshake.respond(authkey, challenge, legacy));
                if (!Arrays.equals(receive(c, deadline), Handshake.WELCOME)) {
                    result = "refused";
                    throw new AuthenticationException("digest sent was rejected (different authkey?)");
                }
                byte[] message = Handshake.newMessage();
                c.sendBytes(Handshake.challengeFrame(message));
                byte[] response = receive(c, deadline);
                try {
                    Handshake.verify(authkey, message, response, legacy);
                } catch (AuthenticationException e) {
                    result = "refused";
                    try {
                        c.sendBytes(Handshake.FAILURE);
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                    throw e;
                }
                c.sendBytes(Handshake.WELCOME);
                ConnectionHandshakeEvent.finish(event, "client", address, protocol, "ok", null);
                return c;
            } catch (IOException | RuntimeException e) {
                ConnectionHandshakeEvent.finish(event, "client", address, protocol, result,
                        e.getMessage());
                c.close();
                if (e instanceof AuthenticationException) {
                    throw e;
                }
                throw new AuthenticationException("handshake with " + address + " failed: " + e, e);
            }
        }

        /**
         * Connects by {@code deadline}. A Unix-domain listener whose queue is full gives nothing
         * to wait on (the kernel's own wait has no timeout we can set here), so the attempt is
         * repeated with growing pauses of 1 to 20 ms.
         */
        private void connectBefore(Handle fd, long deadline) throws IOException {
            for (long pause = 1_000_000; ; pause = Math.min(2 * pause, 20_000_000)) {
                long left = deadline - System.nanoTime();
                if (left > 0 && OS.connect(fd, address, left)) {
                    return;
                }
                left = deadline - System.nanoTime();
                if (left <= 0 || !(address instanceof UnixDomainSocketAddress)) {
                    throw new SocketTimeoutException("could not connect to " + address + " within "
                            + handshakeTimeout);
                }
                LockSupport.parkNanos(Math.min(pause, left));
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedIOException("interrupted while connecting to " + address);
                }
            }
        }

        private static byte[] receive(Connection c, long deadline) throws IOException {
            try {
                return c.recvBytes(Handshake.MAX_MESSAGE, deadline);
            } catch (SocketTimeoutException e) {
                throw new AuthenticationException("no complete handshake message within the timeout", e);
            } catch (EOFException e) {
                throw new AuthenticationException("the listener closed the connection during the handshake", e);
            }
        }
    }
}
