package org.multiprocessing4j.bench;

import java.io.EOFException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Pipe;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How fast does a {@link Connection} move bytes between this JVM and a child process?
 *
 * <ul>
 *   <li>{@link #roundTrip}: latency of one request/echo exchange over a duplex pipe (socketpair),
 *       {@code us/op}. Peers: CPython {@code Pipe()} ({@code pipe_roundtrip_*}), the C socketpair
 *       floor ({@code c_socketpair_roundtrip_*}); C pipe, futex and spin floors for reference.
 *   <li>{@link #oneWay}: throughput of a child streaming messages to us, {@code ops/s} where one
 *       op is one message received. The runner reports 64 B as msg/s (= ops/s) and larger sizes
 *       as MB/s = ops/s &times; size / 10<sup>6</sup>. Peer: CPython {@code pipe_oneway_*}.
 * </ul>
 *
 * <p>Both run the child for the whole trial (started in a trial-level setup, outside the timing).
 * Lambdas given to {@link ChildProcess} capture only locals: capturing a field would capture the
 * (non-serializable) state object.
 */
@Fork(value = 5, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
public class ConnectionBench {

    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(10);

    /** A child that echoes every message back on the same duplex connection. */
    @State(Scope.Thread)
    public static class Echo {
        @Param({"8", "1024"})
        public int size;

        Connection mine;
        ChildProcess echo;
        byte[] buf;
        byte[] rbuf;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            Pipe pipe = Pipe.open(true);
            mine = pipe.first();
            Connection theirs = pipe.second();
            echo = new ChildProcess(() -> {
                byte[] b = new byte[4096];
                try {
                    while (true) {
                        int n = theirs.recvBytesInto(b);
                        theirs.sendBytes(b, 0, n);
                    }
                } catch (EOFException e) {
                    // parent closed its end: done
                }
            });
            echo.start();
            theirs.close();
            buf = new byte[size];
            rbuf = new byte[size];
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            mine.close();
            stop(echo);
        }
    }

    /** A child that sends {@code size}-byte messages until we close our end. */
    @State(Scope.Thread)
    public static class Stream {
        @Param({"64", "65536", "1048576"})
        public int size;

        Connection mine;
        ChildProcess sender;
        byte[] rbuf;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            Pipe pipe = Pipe.open(true);
            mine = pipe.first();
            Connection theirs = pipe.second();
            int n = size;
            sender = new ChildProcess(() -> {
                byte[] msg = new byte[n];
                try {
                    while (true) {
                        theirs.sendBytes(msg);
                    }
                } catch (IOException e) {
                    // EPIPE / EOF: the parent closed its end
                }
            });
            sender.start();
            theirs.close();
            rbuf = new byte[size];
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            mine.close();
            stop(sender);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int roundTrip(Echo s) throws IOException {
        s.mine.sendBytes(s.buf);
        return s.mine.recvBytesInto(s.rbuf);
    }

    /** One op = one message of {@code size} bytes received from the streaming child. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int oneWay(Stream s) throws IOException {
        return s.mine.recvBytesInto(s.rbuf);
    }

    static void stop(ChildProcess child) throws Exception {
        try {
            child.join(JOIN_TIMEOUT);
            if (child.exitCode().isEmpty()) {
                System.err.println("benchmark child did not exit within " + JOIN_TIMEOUT + "; killing it");
                child.kill();
                child.join();
            }
        } finally {
            child.close();
        }
    }
}
