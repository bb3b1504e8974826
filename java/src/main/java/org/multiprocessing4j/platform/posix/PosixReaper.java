package org.multiprocessing4j.platform.posix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.Reaper;

/**
 * The posix {@link Reaper}: a small JVM ({@link PosixReaperMain}) reading the read end of a pipe
 * as its inherited handle 0, of which this process holds the only write end. POSIX offers no shell tool
 * that removes a named shared-memory block (on macOS names are not files at all), so the helper
 * calls {@code shm_open}, {@code fstat} and {@code shm_unlink} itself; it costs a JVM start
 * (about 100 ms, in the background) once per process that creates named memory. Lines, one per
 * event:
 * <pre>
 * REG &lt;name&gt; &lt;inode&gt;          after a successful O_EXCL create
 * REG &lt;/absolute/dir&gt; &lt;inode&gt;  a private directory: removed with what it holds
 * UNREG &lt;name or dir&gt;          this process removed it, or gave up tracking it
 * </pre>
 * At end of file (this process closed the pipe, or died) the helper removes every name and
 * directory still registered whose inode is still the registered one, then exits.
 *
 * <p>Queues ({@link #watchQueue}) are not swept: POSIX has no way to list named shared memory
 * (Linux's {@code /dev/shm} is not POSIX, macOS has no such directory), so the spill blocks of
 * a queue that nobody maps any more cannot be found by their prefix; they stay until the system
 * restarts (as on Linux before the tracker learned about them).
 *
 * <p>Not thread-safe (the caller serializes).
 */
final class PosixReaper extends PipeReaper {
    private PosixReaper(PosixPlatform os, int pid, Handle writeEnd) {
        super(os, pid, writeEnd, StandardCharsets.UTF_8);
    }

    /** Starts the helper JVM; see {@link Platform#startReaper()}. */
    static PosixReaper start(PosixPlatform os) throws IOException {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        List<String> cmd = command();
        return start(os, readEnd -> new Platform.SpawnRequest(cmd.get(0), cmd, env,
                new Handle[] {readEnd}), (pid, writeEnd) -> new PosixReaper(os, pid, writeEnd));
    }

    /** {@return {@code java}, small-footprint options, this JVM's class or module path and the main class} */
    private static List<String> command() {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xmx16m",
                "-Xshare:auto", "-D" + Platform.BACKEND_PROPERTY + "=posix"));
        boolean modular = PosixReaper.class.getModule().isNamed();
        cmd.add(modular ? "--enable-native-access=org.multiprocessing4j" : "--enable-native-access=ALL-UNNAMED");
        String classPath = System.getProperty("java.class.path", "");
        String modulePath = System.getProperty("jdk.module.path", "");
        if (!classPath.isEmpty()) {
            cmd.addAll(List.of("-cp", classPath));
        }
        if (modular) {
            cmd.addAll(List.of("--module-path", modulePath, "-m",
                    "org.multiprocessing4j/" + PosixReaperMain.class.getName()));
        } else {
            if (!modulePath.isEmpty()) {
                cmd.addAll(List.of("--module-path", modulePath, "--add-modules", "ALL-MODULE-PATH"));
            }
            cmd.add(PosixReaperMain.class.getName());
        }
        return cmd;
    }

    /** Checks that the reaper runs; the spill blocks are not swept (see the class comment). */
    @Override
    public void watchQueue(long fileId, long key, String queueName, String spillPrefix) throws IOException {
        alive();
    }

    /** Checks that the reaper runs; the spill blocks are not swept (see the class comment). */
    @Override
    public void sweepQueue(long key) throws IOException {
        alive();
    }
}
