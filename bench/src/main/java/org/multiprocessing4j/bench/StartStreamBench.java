package org.multiprocessing4j.bench;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Multiprocessing;
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
 * Does the forkserver keep up with a stream of starts? {@link #startJoinStream}: one
 * {@code start()} + {@code join()} of an empty task per iteration, 20 iterations back to back
 * after the context's {@code warmUp} (no warm-up iterations: the first start after
 * {@code warmUp} is part of the stream, and the trial's raw data holds it first), for
 * {@code method} {@code spawn} (with its start archive) and {@code forkserver}. Nothing waits
 * between iterations for idle JVMs to become warm: that is the point. Peer: CPython
 * {@code start_join_forkserver} (also back to back, one discarded run first).
 *
 * <p>SingleShotTime, ms; the runner reports the median ({@code scorePercentiles["50.0"]}).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 5, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 0)
@Measurement(iterations = 20)
public class StartStreamBench {

    /** One context for the trial, warmed up once before the stream. */
    @State(Scope.Thread)
    public static class Stream {
        /** {@code spawn} (with its start archive) or {@code forkserver}. */
        @Param({"spawn", "forkserver"})
        public String method;

        Multiprocessing context;
        ChildProcess child;

        @Setup(Level.Trial)
        public void setUpTrial() throws Exception {
            context = Multiprocessing.context(method);
            if (!context.warmUp(Duration.ofMinutes(2))) {
                throw new IllegalStateException(method + ": warm-up failed");
            }
        }

        @Setup(Level.Iteration)
        public void setUp() {
            child = context.process(() -> { });
        }

        @TearDown(Level.Iteration)
        public void tearDown() {
            child.close();
        }
    }

    @Benchmark
    public int startJoinStream(Stream s) throws Exception {
        s.child.start();
        s.child.join();
        return s.child.exitCode().orElse(-1);
    }
}
