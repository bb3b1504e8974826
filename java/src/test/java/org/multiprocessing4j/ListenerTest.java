package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.connection.Handshake;

/**
 * {@link Listener} and {@link Client} between Java ends: both address families, the handshake
 * (right key, wrong key, no key), and the hostile cases — random bytes, a replayed response,
 * silent connections, a flood beyond the pending cap — each rejected with a clear exception while
 * a legitimate client is still served. Peers here are threads or raw sockets; the cross-process
 * and CPython cases are in {@link PythonListenerInteropTest}.
 */
@Timeout(60)
class ListenerTest {
    private static final byte[] KEY = "a shared secret".getBytes(StandardCharsets.UTF_8);
    private ExecutorService pool;

    @BeforeEach
    void setUp() {
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
    }

    @Test
    void tcpClientAndListenerAuthenticateAndExchangeMessages() throws Exception {
        try (Listener listener = Listener.builder().tcp(0).authkey(KEY).open()) {
            InetSocketAddress a = (InetSocketAddress) listener.address();
            assertTrue(a.getAddress().isLoopbackAddress(), "loopback by default: " + a);
            assertNotEquals(0, a.getPort());
            Future<Object> client = pool.submit(() -> {
                try (Connection c = Client.connect(a, KEY)) {
                    c.send("ping " + c.recv());
                    return c.recvBytes().length;
                }
            });
            try (Connection c = listener.accept()) {
                c.send(42);
                assertEquals("ping 42", c.recv());
                c.sendBytes(new byte[70_000]);
            }
            assertEquals(70_000, client.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void unixListenerSocketIsPrivateAndRemovedOnClose() throws Exception {
        Path file;
        try (Listener listener = Listener.builder().unix().authkey(KEY).open()) {
            file = ((UnixDomainSocketAddress) listener.address()).getPath();
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
            Future<byte[]> client = pool.submit(() -> {
                try (Connection c = Client.connect(listener.address(), KEY)) {
                    return c.recvBytes();
                }
            });
            try (Connection c = listener.accept(Duration.ofSeconds(30))) {
                c.sendBytes("over a unix socket".getBytes(StandardCharsets.UTF_8));
            }
            assertArrayEquals("over a unix socket".getBytes(StandardCharsets.UTF_8), client.get(30, TimeUnit.SECONDS));
        }
        assertFalse(Files.exists(file), "socket file removed");
        assertFalse(Files.exists(file.getParent()), "its directory removed");
    }

    @Test
    void aWrongKeyFailsOnBothSidesAndTheListenerGoesOn() throws Exception {
        try (Listener listener = Listener.builder().tcp(0).authkey(KEY).open()) {
            Future<Connection> bad = pool.submit(() -> Client.connect(listener.address(), "wrong".getBytes()));
            AuthenticationException server = assertThrows(AuthenticationException.class, listener::accept);
            assertTrue(server.getMessage().contains("wrong"), server.getMessage());
            ExecutionException client = assertThrows(ExecutionException.class, () -> bad.get(30, TimeUnit.SECONDS));
            assertInstanceOf(AuthenticationException.class, client.getCause());
            assertServesALegitimateClient(listener);
        }
    }

    @Test
    void withoutAnAuthkeyNoHandshakeTakesPlace() throws Exception {
        try (Listener listener = Listener.builder().unix().withoutAuthentication().open()) {
            Future<Object> client = pool.submit(() -> {
                try (Connection c = Client.connect(listener.address())) {
                    return c.recv();
                }
            });
            try (Connection c = listener.accept()) {
                c.send("no key");
            }
            assertEquals("no key", client.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void randomBytesAndOversizedFramesAreRejected() throws Exception {
        try (Listener listener = Listener.builder().tcp(0).authkey(KEY).open()) {
            try (Connection raw = rawConnect(listener.address(), new byte[] {0x7f, 0, 0, 0, 1, 2, 3})) { // declares ~2 GB
                AuthenticationException e = assertThrows(AuthenticationException.class, listener::accept);
                assertTrue(e.getMessage().contains("at most 256"), e.getMessage());
            }
            try (Connection raw = rawConnect(listener.address(), new byte[0])) {
                byte[] junk = new byte[40];
                new java.util.Random(1).nextBytes(junk);
                raw.sendBytes(junk);
                assertThrows(AuthenticationException.class, listener::accept);
            }
            assertServesALegitimateClient(listener);
        }
    }

    @Test
    void aReplayedResponseDoesNotAuthenticate() throws Exception {
        try (Listener listener = Listener.builder().tcp(0).authkey(KEY).open()) {
            byte[] recorded;
            try (Connection raw = rawConnect(listener.address(), new byte[0])) {
                Future<Connection> accepted = pool.submit(() -> listener.accept());
                byte[] challenge = raw.recvBytes();
                recorded = Handshake.respond(KEY, challenge, false); // an eavesdropper records this
                raw.sendBytes(recorded);
                assertArrayEquals(Handshake.WELCOME, raw.recvBytes());
                raw.close();
                assertThrows(ExecutionException.class, () -> accepted.get(30, TimeUnit.SECONDS),
                        "the recording connection then went away mid-handshake");
            }
            try (Connection raw = rawConnect(listener.address(), new byte[0])) {
                Future<Connection> accepted = pool.submit(() -> listener.accept());
                raw.recvBytes(); // a fresh challenge
                raw.sendBytes(recorded);
                assertArrayEquals(Handshake.FAILURE, raw.recvBytes());
                ExecutionException e = assertThrows(ExecutionException.class, () -> accepted.get(30, TimeUnit.SECONDS));
                assertInstanceOf(AuthenticationException.class, e.getCause());
            }
            assertServesALegitimateClient(listener);
        }
    }

    @Test
    void silentConnectionsTimeOutWithoutDelayingALegitimateClient() throws Exception {
        try (Listener listener = Listener.builder().tcp(0).authkey(KEY)
                .handshakeTimeout(Duration.ofMillis(500)).open();
             Connection silent = rawConnect(listener.address(), new byte[0])) {
            Future<Object> legit = pool.submit(() -> {
                try (Connection c = Client.connect(listener.address(), KEY)) {
                    return c.recv();
                }
            });
            try (Connection c = listener.accept(Duration.ofSeconds(30))) {
                c.send("served while another connection stays silent");
            }
            assertEquals("served while another connection stays silent", legit.get(30, TimeUnit.SECONDS));
            // The silent connection expires while accept() waits: it is closed, and accept()
            // goes on waiting instead of reporting it.
            Future<Connection> accepted = pool.submit(() -> listener.accept(Duration.ofSeconds(30)));
            assertEquals(-1, drainToEnd(silent), "the silent connection was closed by the listener");
            assertServesALegitimateClient(listener, accepted);
        }
    }

    @Test
    void silentConnectionsFillingThePendingCapMakeRoomForALegitimateClient() throws Exception {
        int cap = 4;
        java.util.List<Connection> silent = new java.util.ArrayList<>();
        try (Listener listener = Listener.builder().tcp(0).authkey(KEY).maxPendingHandshakes(cap)
                .handshakeTimeout(Duration.ofSeconds(50)).open()) {
            Future<Connection> accepted = pool.submit(() -> listener.accept(Duration.ofSeconds(50)));
            for (int i = 0; i < cap; i++) {
                Connection c = rawConnect(listener.address(), new byte[0]);
                silent.add(c);
                assertTrue(Handshake.startsWith(c.recvBytes(), Handshake.CHALLENGE), "pending");
            }
            // The cap is reached and every pending handshake is silent: a newcomer evicts the
            // oldest instead of being refused.
            assertServesALegitimateClient(listener, accepted);
            assertEquals(-1, drainToEnd(silent.get(0)), "the oldest silent connection was evicted");
        } finally {
            silent.forEach(Connection::close);
        }
    }

    @Test
    void aUnixSocketFileIsPrivateFromTheMomentItExists(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        // What the kernel creates at bind(), before the listener could change anything.
        org.multiprocessing4j.platform.Platform os = org.multiprocessing4j.platform.Platform.current();
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("s"));
        org.multiprocessing4j.platform.Handle fd = os.socket(address, true);
        try {
            os.bindAndListen(fd, address, 1);
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(address.getPath())));
        } finally {
            os.close(fd);
            Files.deleteIfExists(address.getPath());
        }
    }

    @Test
    void closeWakesABlockedAcceptAndUseAfterCloseThrows() throws Exception {
        Listener listener = Listener.builder().unix().authkey(KEY).open();
        Future<Connection> blocked = pool.submit(() -> listener.accept());
        assertThrows(java.util.concurrent.TimeoutException.class, () -> blocked.get(100, TimeUnit.MILLISECONDS));
        listener.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> blocked.get(30, TimeUnit.SECONDS));
        assertInstanceOf(ClosedChannelException.class, e.getCause());
        assertThrows(ClosedChannelException.class, listener::accept);
        listener.close();
        assertThrows(java.net.ConnectException.class, () -> Client.connect(new InetSocketAddress("127.0.0.1", 1), KEY));
    }

    @Test
    void theClientDeadlineCoversAServerThatSendsOneByteAndStalls() throws Exception {
        try (Listener server = Listener.builder().unix().withoutAuthentication().open()) {
            Future<Connection> client = pool.submit(() -> Client.builder(server.address()).authkey(KEY)
                    .handshakeTimeout(Duration.ofMillis(300)).connect());
            try (Connection c = server.accept(Duration.ofSeconds(30))) {
                sendRaw(c, new byte[] {0}); // the first byte of a frame header, then nothing
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> client.get(30, TimeUnit.SECONDS), "the client is still waiting");
                assertInstanceOf(AuthenticationException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("within"), e.getCause().getMessage());
            } finally {
                client.cancel(true);
            }
        }
    }

    @Test
    void theClientDeadlineCoversConnectingToAListenerWhoseQueueIsFull() throws Exception {
        java.util.List<Connection> queued = new java.util.ArrayList<>();
        try (Listener server = Listener.builder().unix().withoutAuthentication().backlog(1).open()) {
            org.multiprocessing4j.platform.Platform os = org.multiprocessing4j.platform.Platform.current();
            for (int i = 0; i < 100; i++) { // fill the kernel's queue: nobody accepts
                org.multiprocessing4j.platform.Handle fd = os.socket(server.address(), true);
                queued.add(new Connection(fd, true, true, Codec.defaults()));
                try {
                    os.connect(fd, server.address());
                } catch (IOException full) {
                    break;
                }
            }
            Future<Connection> client = pool.submit(() -> Client.builder(server.address())
                    .handshakeTimeout(Duration.ofMillis(300)).connect());
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.get(30, TimeUnit.SECONDS), "the client is still connecting");
            assertInstanceOf(SocketTimeoutException.class, e.getCause());
        } finally {
            queued.forEach(Connection::close);
        }
    }

    @Test
    void badConfigurationFailsAtTheCall() {
        assertThrows(IllegalStateException.class, () -> Listener.builder().tcp(0).open(), "no key, no explicit opt-out");
        assertThrows(IllegalStateException.class, () -> Listener.builder().authkey(KEY).open(), "no address");
        assertThrows(IllegalArgumentException.class, () -> Listener.builder().authkey(new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> Listener.builder().tcp(70_000));
        assertThrows(IllegalArgumentException.class, () -> Listener.builder().handshakeTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class,
                () -> Client.builder(InetSocketAddress.createUnresolved("no.such.host.invalid", 1)));
        assertThrows(IllegalArgumentException.class, () -> Listener.builder()
                .unix(Path.of("/tmp/" + "x".repeat(200))).authkey(KEY).open(), "path too long for sun_path");
    }

    private void assertServesALegitimateClient(Listener listener) throws Exception {
        assertServesALegitimateClient(listener, pool.submit(() -> listener.accept(Duration.ofSeconds(30))));
    }

    /** A legitimate client connects; {@code accepted}, an accept() already waiting, serves it. */
    private void assertServesALegitimateClient(Listener listener, Future<Connection> accepted)
            throws Exception {
        Future<Object> legit = pool.submit(() -> {
            try (Connection c = Client.connect(listener.address(), KEY)) {
                return c.recv();
            }
        });
        try (Connection c = accepted.get(30, TimeUnit.SECONDS)) {
            c.send("still served");
        }
        assertEquals("still served", legit.get(30, TimeUnit.SECONDS));
    }

    /** Frames received until end of stream, then -1 (counting the frames is not the point). */
    private static long drainToEnd(Connection c) throws IOException {
        for (;;) {
            try {
                c.recvBytes();
            } catch (java.io.EOFException e) {
                return -1;
            }
        }
    }

    /** Writes {@code raw} bytes on {@code c} as they are, outside any frame. */
    private static void sendRaw(Connection c, byte[] raw) throws IOException {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment m = a.allocate(raw.length);
            m.copyFrom(java.lang.foreign.MemorySegment.ofArray(raw));
            org.multiprocessing4j.platform.Platform.current().sendFully(c.descriptor().handle(), m, raw.length);
        }
    }

    /** A connection with no handshake, after sending {@code raw} bytes as they are. */
    private static Connection rawConnect(java.net.SocketAddress address, byte[] raw) throws IOException {
        org.multiprocessing4j.platform.Platform os = org.multiprocessing4j.platform.Platform.current();
        org.multiprocessing4j.platform.Handle fd = os.socket(address, false);
        try {
            os.connect(fd, address);
            if (raw.length > 0) {
                try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                    java.lang.foreign.MemorySegment m = a.allocate(raw.length);
                    m.copyFrom(java.lang.foreign.MemorySegment.ofArray(raw));
                    os.sendFully(fd, m, raw.length);
                }
            }
        } catch (IOException | RuntimeException e) {
            os.close(fd);
            throw e;
        }
        return new Connection(fd, true, true, Codec.defaults());
    }
}
