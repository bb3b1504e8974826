package org.multiprocessing4j.examples;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.Client;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Listener;

/**
 * A Java {@link Listener} answering a CPython {@code multiprocessing.connection.Client}: Python
 * connects with the authkey, sends bytes, and prints the reply. Runs the Python side with the
 * {@code python3} on PATH; without one, a Java {@link Client} plays its part.
 */
public final class PythonClientListener {
    private static final String PYTHON_CLIENT = """
            import sys
            from multiprocessing.connection import Client
            with Client(('127.0.0.1', int(sys.argv[1])), authkey=b'secret key') as c:
                c.send_bytes(b'hello from Python')
                print('python got:', c.recv_bytes().decode())
            """;

    private PythonClientListener() {
    }

    public static void main(String[] args) throws Exception {
        byte[] key = "secret key".getBytes(StandardCharsets.UTF_8);
        // CPython 3.11 speaks the legacy HMAC-MD5 handshake: accept it for this demo.
        try (Listener listener = Listener.builder().tcp(0).authkey(key).acceptLegacyMd5(true).open()) {
            int port = ((InetSocketAddress) listener.address()).getPort();
            Process python = startPython(port);
            Thread javaClient = null;
            if (python == null) {
                System.out.println("(python3 not found: a Java client plays its part)");
                javaClient = Thread.ofPlatform().start(() -> {
                    try (Connection c = Client.connect(listener.address(), key)) {
                        c.sendBytes("hello from Python".getBytes(StandardCharsets.UTF_8));
                        System.out.println("python got: " + new String(c.recvBytes(), StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
            try (Connection c = listener.accept(Duration.ofSeconds(60))) {
                String message = new String(c.recvBytes(), StandardCharsets.UTF_8);
                System.out.println("java got: " + message);
                c.sendBytes(("hello from Java, you said '" + message + "'").getBytes(StandardCharsets.UTF_8));
            }
            if (python != null) {
                python.getInputStream().transferTo(System.out);
                if (!python.waitFor(60, TimeUnit.SECONDS)) {
                    python.destroyForcibly();
                }
            } else {
                javaClient.join();
            }
        }
    }

    private static Process startPython(int port) {
        try {
            return new ProcessBuilder("python3", "-c", PYTHON_CLIENT, String.valueOf(port))
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            return null;
        }
    }
}
