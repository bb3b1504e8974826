package org.multiprocessing4j.bench;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.Client;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Listener;
import org.multiprocessing4j.Manager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Managers and listeners.
 *
 * <ul>
 *   <li>{@link #dictSetGet}: one {@code put} and one {@code get} through a {@link Manager#dict()}
 *       proxy to a manager server process, {@code us/op} (two round trips). Peer: CPython
 *       {@code Manager().dict()}, {@code d['k'] = i; d['k']} ({@code manager_dict_setget}).
 *   <li>{@link #connectAndAuthenticate}: {@link Client#connect} to a {@link Listener} in this
 *       JVM (TCP loopback, authkey: the full mutual handshake), then close, {@code us/op}; an
 *       acceptor thread accepts and closes. Peer: CPython {@code Client(address, authkey)} against
 *       a {@code Listener} served by a thread ({@code listener_connect_auth}).
 * </ul>
 */
@Fork(value = 5, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
public class ManagerBench {

    /** A manager server process and a dict on it. */
    @State(Scope.Thread)
    public static class Dict {
        Manager manager;
        Map<String, Integer> dict;
        int i;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            manager = Manager.start();
            dict = manager.dict();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            manager.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Integer dictSetGet(Dict s) {
        s.dict.put("k", s.i++);
        return s.dict.get("k");
    }

    /** A listener with an acceptor thread that closes what it accepts. */
    @State(Scope.Thread)
    public static class Server {
        static final byte[] KEY = "bench key".getBytes(StandardCharsets.UTF_8);
        Listener listener;
        Thread acceptor;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            listener = Listener.builder().tcp(0).authkey(KEY).open();
            acceptor = Thread.ofPlatform().daemon().start(() -> {
                for (;;) {
                    try (Connection c = listener.accept()) {
                        c.poll(); // nothing to do: the client closes
                    } catch (ClosedChannelException e) {
                        return;
                    } catch (IOException e) {
                        // a failed handshake: keep serving
                    }
                }
            });
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            listener.close();
            acceptor.join(10_000);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void connectAndAuthenticate(Server s) throws IOException {
        Client.connect(s.listener.address(), Server.KEY).close();
    }
}
