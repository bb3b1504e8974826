package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.testing.Pythons;

/**
 * Proves that {@link Connection}'s frames are byte-compatible with CPython's
 * {@code multiprocessing.connection.Connection}: a real Python process gets one end of our socket
 * pair as its descriptor 3 (through the library's own {@link Platform#spawn}) and talks to us with
 * {@code send_bytes} / {@code recv_bytes}.
 *
 * <p>Interpreters: each name is looked up on {@code PATH}, then under pyenv's versions directory
 * (pyenv's shims on {@code PATH} only run the globally selected version), and checked by running
 * it; a missing one skips its test with the reason printed. Every wait is bounded: a watchdog
 * kills a Python that outlives {@link #PEER_LIMIT}, which turns a hang into end of stream here.
 */
class PythonConnectionInteropTest {

    private static final Platform OS = Platform.current();
    private static final Duration PEER_LIMIT = Duration.ofSeconds(60);

    /** Points descriptors 1 and 2 at our capture pipe (descriptor 4). */
    private static final String PRELUDE = """
            import os
            os.dup2(4, 1)
            os.dup2(4, 2)
            os.close(4)
            from multiprocessing.connection import Connection
            c = Connection(3)
            """;

    private static final String ECHO_REVERSED = PRELUDE + """
            while True:
                try:
                    m = c.recv_bytes()
                except EOFError:
                    break
                c.send_bytes(m[::-1])
            c.close()
            """;

    private static final String SEND_THEN_CLOSE = PRELUDE + """
            c.send_bytes(b'hello' * 1000)
            c.close()
            """;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"python3.13", "python3.12", "python3"})
    void pythonEchoesOurFramesReversed(String name) throws Exception {
        String python = Pythons.interpreter(name, "PythonConnectionInteropTest");
        try (PythonPeer peer = PythonPeer.start(python, ECHO_REVERSED)) {
            Connection c = peer.connection();
            for (int size : new int[] {0, 1, 1024, 1 << 20}) {
                byte[] msg = pattern(size);
                c.sendBytes(msg);
                assertArrayEquals(reversed(msg), peer.recvBytes(), () -> "size " + size);
            }
            // Offset/length and a native segment (gathering write) frame the same way.
            byte[] msg = pattern(5000);
            c.sendBytes(msg, 100, 3000);
            assertArrayEquals(reversed(Arrays.copyOfRange(msg, 100, 3100)), peer.recvBytes());
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = arena.allocate(3 << 20);
                for (long i = 0; i < seg.byteSize(); i += 4) {
                    seg.set(ValueLayout.JAVA_INT_UNALIGNED, i, (int) (i * 2654435761L));
                }
                c.sendBytes(seg);
                assertArrayEquals(reversed(seg.toArray(ValueLayout.JAVA_BYTE)), peer.recvBytes());
            }
            // Several frames in flight at once stay separate.
            c.sendBytes(new byte[] {1, 2});
            c.sendBytes(new byte[] {});
            c.sendBytes(new byte[] {3, 4, 5});
            assertArrayEquals(new byte[] {2, 1}, peer.recvBytes());
            assertArrayEquals(new byte[] {}, peer.recvBytes());
            assertArrayEquals(new byte[] {5, 4, 3}, peer.recvBytes());
            peer.finishNormally();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"python3.13", "python3.12", "python3"})
    void framesPythonSendsBeforeClosingArriveThenEof(String name) throws Exception {
        String python = Pythons.interpreter(name, "PythonConnectionInteropTest");
        try (PythonPeer peer = PythonPeer.start(python, SEND_THEN_CLOSE)) {
            byte[] expected = "hello".repeat(1000).getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(expected, peer.recvBytes());
            assertThrows(EOFException.class, () -> peer.connection().recvBytes());
            peer.finishNormally();
        }
    }

    private static final String HANDLES = PRELUDE + """
            from multiprocessing.reduction import recv_handle, send_handle
            h = recv_handle(c)
            w = Connection(h, readable=False)
            w.send_bytes(b'written by python through our handle')
            w.close()
            r, wfd = os.pipe()
            c.send_bytes(b'a message before the handle')
            send_handle(c, r, 0)
            os.close(r)
            w = Connection(wfd, readable=False)
            w.send_bytes(b'written by python into its own pipe')
            w.close()
            c.recv_bytes()
            c.close()
            """;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"python3.13", "python3.12", "python3"})
    void handlesTravelBothWaysWithPythonsSendHandleAndRecvHandle(String name) throws Exception {
        String python = Pythons.interpreter(name, "PythonConnectionInteropTest");
        try (PythonPeer peer = PythonPeer.start(python, HANDLES); Pipe carried = Pipe.open(false)) {
            Connection c = peer.connection().expectHandles();
            c.sendHandle((int) carried.second().descriptor().handle().value());
            carried.second().close();
            assertArrayEquals("written by python through our handle".getBytes(StandardCharsets.US_ASCII),
                    carried.first().recvBytes());
            assertArrayEquals("a message before the handle".getBytes(StandardCharsets.US_ASCII),
                    peer.recvBytes());
            try (Connection theirs = new Connection(org.multiprocessing4j.platform.Handle.of(c.recvHandle()), true, false,
                    Codec.defaults())) {
                assertArrayEquals("written by python into its own pipe".getBytes(StandardCharsets.US_ASCII),
                        theirs.recvBytes());
            }
            c.sendBytes(new byte[0]);
            peer.finishNormally();
        }
    }

    // ------------------------------------------------------------------ helpers

    private static byte[] pattern(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 7 + (i >>> 8));
        }
        return b;
    }

    private static byte[] reversed(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }


    /**
     * A Python process holding the other end of a socket pair as descriptor 3, with its stdout and
     * stderr captured through a pipe (descriptor 4). A watchdog kills it after
     * {@link #PEER_LIMIT}; {@link #close()} closes our end, waits a bounded time for it to exit,
     * kills it if it has not, and reaps it.
     */
    private static final class PythonPeer implements AutoCloseable {
        private final int pid;
        private final Connection connection;
        private final Connection output; // read end of the capture pipe
        private final Object lock = new Object();
        private final Thread watchdog;
        private Platform.ExitStatus status; // guarded by lock; set once reaped
        private boolean killedByWatchdog; // guarded by lock

        private PythonPeer(int pid, Connection connection, Connection output) {
            this.pid = pid;
            this.connection = connection;
            this.output = output;
            this.watchdog = Thread.ofPlatform().daemon().name("python-watchdog-" + pid)
                    .start(this::watch);
        }

        static PythonPeer start(String python, String script) throws IOException {
            Pipe channel = Pipe.open();
            Pipe capture = Pipe.open(false);
            List<String> env = new ArrayList<>();
            System.getenv().forEach((k, v) -> env.add(k + "=" + v));
            int pid;
            try {
                pid = OS.spawn(new Platform.SpawnRequest(python, List.of(python, "-c", script),
                        env, new org.multiprocessing4j.platform.Handle[] {channel.second().descriptor().handle(),
                                capture.second().descriptor().handle()}));
            } catch (IOException | RuntimeException | Error e) {
                channel.close();
                capture.close();
                throw e;
            }
            // Python now holds these; ours must go so that each side sees the other's EOF.
            channel.second().close();
            capture.second().close();
            return new PythonPeer(pid, channel.first(), capture.first());
        }

        Connection connection() {
            return connection;
        }

        /** Receives one frame, naming the Python process's output on failure. */
        byte[] recvBytes() throws IOException {
            try {
                return connection.recvBytes();
            } catch (IOException e) {
                throw new IOException(e + "; python: " + describeEnd(), e);
            }
        }

        /** Closes our end and asserts that Python exited with status 0. */
        void finishNormally() throws IOException, InterruptedException {
            connection.close();
            Platform.ExitStatus s = reap();
            assertEquals(new Platform.ExitStatus(0, 0), s, () -> "python: " + describe(s));
        }

        private String describeEnd() {
            try {
                connection.close();
                return describe(reap());
            } catch (Exception e) {
                return "(could not reap: " + e + ")";
            }
        }

        private String describe(Platform.ExitStatus s) {
            boolean killed;
            synchronized (lock) {
                killed = killedByWatchdog;
            }
            return "exit " + s + (killed ? " (killed by the watchdog after " + PEER_LIMIT + ")" : "")
                    + ", output:\n" + readOutput();
        }

        private void watch() {
            try {
                Thread.sleep(PEER_LIMIT);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (lock) {
                if (status == null) {
                    killedByWatchdog = true;
                    try {
                        OS.stop(pid, Platform.Stop.KILL);
                    } catch (IOException ignored) {
                        // reaping in close() reports the outcome
                    }
                }
            }
        }

        /** Waits up to 10 s for an exit, then kills; reaps exactly once. */
        private Platform.ExitStatus reap() throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (;;) {
                synchronized (lock) {
                    if (status != null) {
                        return status;
                    }
                    Platform.ExitStatus s = OS.waitForExit(pid, false);
                    if (s != null) {
                        status = s;
                        watchdog.interrupt();
                        return s;
                    }
                    if (System.nanoTime() - deadline > 0) {
                        OS.stop(pid, Platform.Stop.KILL);
                        status = OS.waitForExit(pid, true);
                        watchdog.interrupt();
                        return status;
                    }
                }
                Thread.sleep(10);
            }
        }

        /** What Python wrote to stdout/stderr (it has exited, so the pipe is at end). */
        private String readOutput() {
            StringBuilder sb = new StringBuilder();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(8192);
                var fd = output.descriptor().acquire();
                try {
                    while (OS.awaitReadable(fd, TimeUnit.SECONDS.toNanos(1))) {
                        long n = OS.read(fd, buf, buf.byteSize());
                        if (n <= 0 || sb.length() > 100_000) {
                            break;
                        }
                        sb.append(new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE),
                                StandardCharsets.UTF_8));
                    }
                } finally {
                    output.descriptor().release();
                }
            } catch (IOException e) {
                sb.append("(could not read: ").append(e).append(')');
            }
            return sb.toString();
        }

        @Override
        public void close() throws IOException, InterruptedException {
            try {
                connection.close();
                reap();
            } finally {
                output.close();
            }
        }
    }
}
