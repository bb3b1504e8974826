package org.multiprocessing4j.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Multiprocessing;
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
 * How long until a new child process is useful?
 *
 * <ul>
 *   <li>{@link #startToFirstMessage}: {@code start()} until the first message the child sends
 *       arrives on a one-way pipe, for each {@code method}: {@code spawn} without the AOT cache,
 *       {@code spawn+aot} (the cache, built before the measurement) and {@code forkserver} (an
 *       idle JVM is warm before each start: the iteration set-up waits for the refill). Peers:
 *       CPython {@code start_first_message_{spawn,fork,forkserver}}.
 *   <li>{@link #bareJavaToFirstByte}: the floor for the two above. A trivial Java main
 *       ({@link BareChild}) started with the same JVM, flags and class path as our children, with
 *       its own start archive built the same way (a training run's class list, {@code -Xshare:dump}), that
 *       writes one byte to its inherited standard output (a pipe): start until the byte arrives.
 *       Started through {@link ProcessBuilder} (which execs through {@code jspawnhelper}, a
 *       millisecond or so more than our {@code posix_spawn}). The report states
 *       {@code spawn+aot} / bare; the target is 1.1.
 *   <li>{@link #startJoin}: {@code start()} + {@code join()} of an empty task, default context
 *       ({@code spawn} with the AOT cache, built before the measurement). Peers: CPython
 *       {@code start_join_{spawn,fork,forkserver}}.
 * </ul>
 *
 * <p>Each iteration is one child start (SingleShotTime, ms). Creating the pipe and the
 * {@link ChildProcess} object, and joining/closing afterwards, happen in iteration-level
 * setup/teardown, outside the timing, as in the CPython peer. The runner reports the median
 * ({@code scorePercentiles["50.0"]}) because the peer reports a median too.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 5, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2)
@Measurement(iterations = 6)
public class ChildStartBench {

    /** A child that sends one byte on a one-way pipe and exits. */
    @State(Scope.Thread)
    public static class FirstMessage {
        /** {@code spawn} (no AOT cache), {@code spawn+aot}, {@code forkserver}. */
        @Param({"spawn", "spawn+aot", "forkserver"})
        public String method;

        Multiprocessing context;
        Pipe pipe;
        Connection r;
        ChildProcess child;

        @Setup(Level.Trial)
        public void setUpTrial() throws Exception {
            System.setProperty("mp4j.aotCache", Boolean.toString(!method.equals("spawn")));
            context = Multiprocessing.context(method.equals("forkserver") ? "forkserver" : "spawn");
            if (!context.warmUp(Duration.ofMinutes(2)) && !method.equals("spawn")) {
                throw new IllegalStateException(method + ": warm-up failed (no AOT cache?)");
            }
        }

        @Setup(Level.Iteration)
        public void setUp() throws Exception {
            if (method.equals("forkserver") && !context.warmUp(Duration.ofSeconds(30))) {
                throw new IllegalStateException("no warm idle JVM");
            }
            pipe = Pipe.open(false);
            r = pipe.first();
            Connection w = pipe.second();
            child = context.process(() -> w.sendBytes(new byte[] {1}));
        }

        @TearDown(Level.Iteration)
        public void tearDown() throws Exception {
            try {
                ConnectionBench.stop(child);
            } finally {
                pipe.close();
            }
        }
    }

    /** A bare JVM child ({@link BareChild}) with its own AOT cache. */
    @State(Scope.Thread)
    public static class BareJava {
        Path cacheDir;
        List<String> command;
        ProcessBuilder builder;
        Process process;

        @Setup(Level.Trial)
        public void setUpTrial() throws Exception {
            cacheDir = Files.createTempDirectory("mp4j-bare-aot");
            Path cache = cacheDir.resolve("bare.jsa");
            Path classList = cacheDir.resolve("bare.classlist");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            // the options every multiprocessing4j child gets (ChildCommand.BASE_OPTIONS, native access)
            List<String> options = List.of("-XX:+UseSerialGC", "-XX:-UsePerfData",
                    "-XX:UserThreadWaitAttemptsAtExit=0", "--enable-native-access=ALL-UNNAMED");
            List<String> classPath = List.of("-cp", System.getProperty("java.class.path"));
            // built the way AotCache builds ours: a training run's class list, then -Xshare:dump
            List<String> training = new ArrayList<>(List.of(java));
            training.addAll(options);
            training.add("-XX:DumpLoadedClassList=" + classList);
            training.addAll(classPath);
            training.add(BareChild.class.getName());
            List<String> dump = new ArrayList<>(List.of(java));
            dump.addAll(options);
            dump.addAll(List.of("-Xshare:dump", "-XX:SharedClassListFile=" + classList,
                    "-XX:SharedArchiveFile=" + cache));
            dump.addAll(classPath);
            for (List<String> step : List.of(training, dump)) {
                Process p = new ProcessBuilder(step).redirectErrorStream(true)
                        .redirectOutput(cacheDir.resolve("build.log").toFile()).start();
                if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new IllegalStateException("building the bare archive failed: " + step
                            + ": " + Files.readString(cacheDir.resolve("build.log")));
                }
            }
            if (!Files.isRegularFile(cache)) {
                throw new IllegalStateException("no bare archive: "
                        + Files.readString(cacheDir.resolve("build.log")));
            }
            // the flags AotCache.useFlags gives our children
            command = new ArrayList<>(List.of(java));
            command.addAll(options);
            command.addAll(List.of("-Xshare:auto", "-XX:SharedArchiveFile=" + cache,
                    "-Xlog:aot*=off", "-Xlog:cds*=off"));
            command.addAll(classPath);
            command.add(BareChild.class.getName());
        }

        @Setup(Level.Iteration)
        public void setUp() {
            builder = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
        }

        @TearDown(Level.Iteration)
        public void tearDown() throws Exception {
            if (process != null) {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
                process.getInputStream().close();
                process.getOutputStream().close();
                process = null;
            }
        }

        @TearDown(Level.Trial)
        public void tearDownTrial() throws IOException {
            try (Stream<Path> files = Files.walk(cacheDir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** A child with nothing to do (default context: spawn, with the AOT cache when it can). */
    @State(Scope.Thread)
    public static class Empty {
        ChildProcess child;

        @Setup(Level.Trial)
        public void setUpTrial() throws Exception {
            Multiprocessing.context().warmUp(Duration.ofMinutes(2)); // every iteration alike
        }

        @Setup(Level.Iteration)
        public void setUp() {
            child = new ChildProcess(() -> { });
        }

        @TearDown(Level.Iteration)
        public void tearDown() throws Exception {
            child.close();
        }
    }

    @Benchmark
    public byte[] startToFirstMessage(FirstMessage s) throws Exception {
        s.child.start();
        return s.r.recvBytes();
    }

    @Benchmark
    public int bareJavaToFirstByte(BareJava s) throws Exception {
        s.process = s.builder.start();
        InputStream in = s.process.getInputStream();
        int b = in.read();
        if (b != 1) {
            throw new IllegalStateException("bare child wrote " + b + " instead of 1");
        }
        return b;
    }

    @Benchmark
    public void startJoin(Empty s) throws Exception {
        s.child.start();
        s.child.join();
    }
}
