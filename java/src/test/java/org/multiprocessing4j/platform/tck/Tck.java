package org.multiprocessing4j.platform.tck;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * What the contract tests share: the backend under test, and children started through that
 * backend's own {@link Platform#spawn} running {@link TckChild} in a fresh JVM (no library
 * launcher in between, so a test sees exactly what the seam does).
 *
 * <p>Every wait here is bounded by {@link #PATIENCE}, long enough for a JVM to start on a loaded
 * machine: a broken backend fails the test instead of hanging it. No test asserts a duration
 * other than "not before the timeout" (a correctness property of a timed wait).
 */
final class Tck {
    /** The longest a test waits for something a correct backend does (a child JVM's start). */
    static final long PATIENCE = TimeUnit.SECONDS.toNanos(60);

    private Tck() {
    }

    /** {@return the backend this run selected (the default, or {@code -Dmp4j.platform=…})} */
    static Platform platform() {
        return Platform.current();
    }

    /**
     * Starts {@code java TckChild mode args…} through the backend's spawn, giving the child
     * exactly {@code handles} (and standard input, output and error).
     *
     * @param jvmOptions extra options for the child JVM (for example {@code -Xrs})
     */
    static int spawnChild(List<String> jvmOptions, Handle[] handles, String mode, String... args)
            throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(javaExecutable());
        argv.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                "-Xshare:auto", "--enable-native-access=ALL-UNNAMED"));
        String backend = System.getProperty("mp4j.platform");
        if (backend != null) {
            argv.add("-Dmp4j.platform=" + backend);
        }
        argv.addAll(jvmOptions);
        argv.addAll(List.of("-cp", System.getProperty("java.class.path"), TckChild.class.getName(), mode));
        argv.addAll(List.of(args));
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        return platform().spawn(new Platform.SpawnRequest(argv.getFirst(), argv, env, handles));
    }

    static int spawnChild(Handle[] handles, String mode, String... args) throws IOException {
        return spawnChild(List.of(), handles, mode, args);
    }

    static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Ends a child that a test may have left running (SIGKILL) and reaps it; idempotent. */
    static void killAndReap(int pid) {
        if (pid <= 0) {
            return;
        }
        try {
            platform().stop(pid, Platform.Stop.KILL);
            platform().waitForExit(pid, true);
        } catch (IOException e) {
            // already reaped by the test
        }
    }

    /** Closes what a test opened; a handle the test closed already (set to null) is skipped. */
    static void closeAll(Handle... handles) {
        for (Handle fd : handles) {
            if (fd != null) {
                try {
                    platform().close(fd);
                } catch (IOException e) {
                    // closed by the test already
                }
            }
        }
    }

    /**
     * Reads until end of stream, waiting at most {@link #PATIENCE} for each chunk (a child that
     * never writes nor exits fails the test).
     */
    static String readToEnd(Handle fd) throws IOException {
        StringBuilder out = new StringBuilder();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(4096);
            for (;;) {
                awaitReadable(fd);
                long n = platform().read(fd, buf, buf.byteSize());
                if (n == 0) {
                    return out.toString();
                }
                out.append(new String(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                        StandardCharsets.UTF_8));
            }
        }
    }

    /** Reads one line (up to and without its {@code '\n'}), or what came before end of stream. */
    static String readLine(Handle fd) throws IOException {
        StringBuilder out = new StringBuilder();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(1);
            for (;;) {
                awaitReadable(fd);
                if (platform().read(fd, b, 1) == 0) {
                    return out.toString();
                }
                char c = (char) b.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
                if (c == '\n') {
                    return out.toString();
                }
                out.append(c);
            }
        }
    }

    static void awaitReadable(Handle fd) throws IOException {
        if (!platform().awaitReadable(fd, PATIENCE)) {
            throw new AssertionError("nothing to read on " + fd + " within "
                    + TimeUnit.NANOSECONDS.toSeconds(PATIENCE) + " s");
        }
    }

    static void write(Handle fd, String text) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocateFrom(text, StandardCharsets.UTF_8);
            platform().writeFully(fd, s, s.byteSize() - 1);
        }
    }

    /** Waits (bounded) for a child to exit and reaps it. */
    static Platform.ExitStatus awaitExit(int pid) throws IOException {
        long deadline = System.nanoTime() + PATIENCE;
        for (;;) {
            Platform.ExitStatus s = platform().waitForExit(pid, false);
            if (s != null) {
                return s;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("child " + pid + " still runs after "
                        + TimeUnit.NANOSECONDS.toSeconds(PATIENCE) + " s");
            }
            try {
                Thread.sleep(10); // polling a state with a deadline, not sleeping for it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /**
     * Waits until a thread of process {@code pid} named {@code threadName} sleeps in the kernel,
     * where the test may read {@code /proc} (Linux); elsewhere returns at once, and the test then
     * proves less (its child may not yet sleep when it is woken) but still passes only on a
     * correct backend.
     */
    static void awaitThreadSleeping(int pid, String threadName) throws IOException {
        Path tasks = Path.of("/proc", Integer.toString(pid), "task");
        if (!Files.isDirectory(tasks)) {
            return;
        }
        long deadline = System.nanoTime() + PATIENCE;
        while (System.nanoTime() - deadline < 0) {
            try (var s = Files.list(tasks)) {
                for (Path t : s.toList()) {
                    try {
                        if (Files.readString(t.resolve("comm")).strip().equals(threadName)) {
                            String stat = Files.readString(t.resolve("stat"));
                            if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("S")) {
                                return;
                            }
                        }
                    } catch (IOException e) {
                        // the thread ended while listing
                    }
                }
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("thread " + threadName + " of " + pid + " never slept");
    }
}
