package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.multiprocessing4j.testing.Pythons;

/**
 * {@link Listener} and {@link Client} against real CPython processes: CPython's
 * {@code multiprocessing.connection.Client} connects to our listener and our client to CPython's
 * {@code Listener}, over TCP and Unix sockets, with and without an authkey, exchanging
 * {@code send_bytes}/{@code recv_bytes} messages. 3.12+ speak the {@code {sha256}} handshake;
 * 3.11 ({@code python3} here) the legacy HMAC-MD5 one, accepted only when enabled. A missing
 * interpreter skips its case with the reason printed; every Python is killed after 60 s at most.
 */
@Timeout(120)
class PythonListenerInteropTest {
    private static final String KEY = "interop key";

    private static final String PY_CLIENT = """
            import sys
            from multiprocessing.connection import Client
            family, where, key = sys.argv[1], sys.argv[2], sys.argv[3]
            address = where if family == 'unix' else ('127.0.0.1', int(where))
            try:
                c = Client(address, authkey=key.encode() if key else None)
            except Exception as e:
                print('ERROR', type(e).__name__, e, flush=True)
                sys.exit(3)
            c.send_bytes(b'hello from python')
            reply = c.recv_bytes()
            print('GOT', reply.decode(), flush=True)
            c.close()
            """;

    private static final String PY_LISTENER = """
            import sys
            from multiprocessing.connection import Listener
            family, key = sys.argv[1], sys.argv[2]
            address = sys.argv[3] if family == 'unix' else ('127.0.0.1', 0)
            with Listener(address, authkey=key.encode() if key else None) as l:
                a = l.address
                print('ADDRESS', a if family == 'unix' else a[1], flush=True)
                try:
                    c = l.accept()
                except Exception as e:
                    print('ERROR', type(e).__name__, e, flush=True)
                    sys.exit(3)
                m = c.recv_bytes()
                c.send_bytes(m[::-1])
                c.close()
            print('DONE', flush=True)
            """;

    private static boolean legacy(String name, String python) throws Exception {
        Process p = new ProcessBuilder(python, "-c", "import sys; print(sys.version_info[:2] < (3, 12))").start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor(30, TimeUnit.SECONDS);
            return out.equals("True");
        } finally {
            p.destroyForcibly();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"python3.13", "python3.12", "python3"})
    void pythonClientsAreServedByOurListener(String name) throws Exception {
        String python = Pythons.interpreter(name, "PythonListenerInteropTest");
        boolean legacy = legacy(name, python);
        for (String family : List.of("tcp", "unix")) {
            for (String key : List.of(KEY, "")) {
                Listener.Builder b = family.equals("tcp") ? Listener.builder().tcp(0) : Listener.builder().unix();
                b = key.isEmpty() ? b.withoutAuthentication() : b.authkey(key.getBytes(StandardCharsets.UTF_8));
                try (Listener listener = b.acceptLegacyMd5(legacy).open()) {
                    try (Py py = Py.start(python, PY_CLIENT, family, where(listener.address()), key)) {
                        try (Connection c = listener.accept(Duration.ofSeconds(60))) {
                            assertEquals("hello from python", new String(c.recvBytes(), StandardCharsets.UTF_8));
                            c.sendBytes("hello from java".getBytes(StandardCharsets.UTF_8));
                        }
                        assertEquals("GOT hello from java", py.line(), family + " key=" + !key.isEmpty());
                        assertEquals(0, py.exit());
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"python3.13", "python3.12", "python3"})
    void ourClientTalksToPythonListeners(String name) throws Exception {
        String python = Pythons.interpreter(name, "PythonListenerInteropTest");
        boolean legacy = legacy(name, python);
        for (String family : List.of("tcp", "unix")) {
            for (String key : List.of(KEY, "")) {
                Path dir = java.nio.file.Files.createTempDirectory("mp4j-py-listener");
                String path = dir.resolve("s").toString();
                try (Py py = Py.start(python, PY_LISTENER, family, key, path)) {
                    String[] announced = py.line().split(" ", 2);
                    assertEquals("ADDRESS", announced[0]);
                    SocketAddress address = family.equals("unix")
                            ? UnixDomainSocketAddress.of(announced[1])
                            : new InetSocketAddress("127.0.0.1", Integer.parseInt(announced[1]));
                    Client.Builder cb = Client.builder(address).acceptLegacyMd5(legacy);
                    if (!key.isEmpty()) {
                        cb.authkey(key.getBytes(StandardCharsets.UTF_8));
                    }
                    try (Connection c = cb.connect()) {
                        c.sendBytes("abc".getBytes(StandardCharsets.UTF_8));
                        assertArrayEquals("cba".getBytes(StandardCharsets.UTF_8), c.recvBytes());
                    }
                    assertEquals("DONE", py.line());
                    assertEquals(0, py.exit());
                } finally {
                    java.nio.file.Files.deleteIfExists(Path.of(path));
                    java.nio.file.Files.deleteIfExists(dir);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"python3.13", "python3"})
    void aWrongKeyFailsOnBothSidesWithPython(String name) throws Exception {
        String python = Pythons.interpreter(name, "PythonListenerInteropTest");
        boolean legacy = legacy(name, python);
        try (Listener listener = Listener.builder().tcp(0).authkey("right".getBytes()).acceptLegacyMd5(legacy).open();
             Py py = Py.start(python, PY_CLIENT, "tcp", where(listener.address()), "wrong")) {
            assertThrows(AuthenticationException.class, () -> listener.accept(Duration.ofSeconds(60)));
            String line = py.line();
            assertTrue(line.startsWith("ERROR AuthenticationError"), line);
            assertEquals(3, py.exit());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"python3"})
    void legacyMd5IsRefusedUnlessEnabled(String name) throws Exception {
        String python = Pythons.interpreter(name, "PythonListenerInteropTest");
        if (!legacy(name, python)) {
            org.junit.jupiter.api.Assumptions.abort(name + " speaks the modern handshake here");
        }
        try (Listener listener = Listener.builder().tcp(0).authkey(KEY.getBytes()).open();
             Py py = Py.start(python, PY_CLIENT, "tcp", where(listener.address()), KEY)) {
            AuthenticationException e = assertThrows(AuthenticationException.class,
                    () -> listener.accept(Duration.ofSeconds(60)));
            assertTrue(e.getMessage().contains("legacy HMAC-MD5"), e.getMessage());
            assertNotEquals(0, py.exit());
        }
    }

    private static String where(SocketAddress a) {
        return a instanceof UnixDomainSocketAddress u ? u.getPath().toString()
                : String.valueOf(((InetSocketAddress) a).getPort());
    }

    /** A Python process running a script, its stdout read line by line, killed at close. */
    private static final class Py implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;

        private Py(Process process) {
            this.process = process;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        static Py start(String python, String script, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(python, "-c", script));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Py py = new Py(p);
            Thread.ofPlatform().daemon().start(() -> { // bound every Python's life
                try {
                    if (!p.waitFor(60, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException ignored) {
                    p.destroyForcibly();
                }
            });
            return py;
        }

        /** {@return the next line Python printed that is not a warning} */
        String line() throws IOException {
            for (;;) {
                String l = out.readLine();
                if (l == null) {
                    return "<end of output>";
                }
                if (!l.isBlank() && !l.contains("Warning")) {
                    return l;
                }
            }
        }

        int exit() throws InterruptedException {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            return process.waitFor();
        }

        @Override
        public void close() throws IOException {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.close();
            process.getOutputStream().close();
        }
    }
}
