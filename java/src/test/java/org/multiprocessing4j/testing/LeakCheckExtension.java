package org.multiprocessing4j.testing;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.multiprocessing4j.internal.LeakReports;

/**
 * On for the whole suite (registered through {@code META-INF/services} with extension
 * auto-detection): fails a test class that leaves behind a child process, an open descriptor of a
 * kind this library creates (socket, pipe, pidfd, memfd, /dev/shm mapping) or a {@code /dev/shm}
 * entry of ours, a lock file of a liveness mark whose process is gone or is this JVM (posix backend,
 * whose marks are lock files in {@code mp4j-live-<uid>} of the temporary directory), or whose
 * unclosed objects had to be freed by a Cleaner ({@link LeakReports}).
 * What is still there when the class ends gets up to {@link #SETTLE} to go away (children
 * still exiting, closes in flight); the check passes as soon as it has, and fails if it has not:
 * it waits for the state, not for a fixed time.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS =
            ExtensionContext.Namespace.create(LeakCheckExtension.class);

    /**
     * How long leftovers may take to go away before they count as leaks. A test joins or kills
     * and reaps its children, so what is left is a JVM's exit in progress (shutdown hooks,
     * threads leaving native code), which a machine loaded by parallel builds stretches to
     * seconds: 2 s flaked. A child still there after this ran on, unjoined: a leak.
     */
    private static final long SETTLE = java.util.concurrent.TimeUnit.SECONDS.toNanos(20);

    private record Snapshot(Set<String> fds, Set<Long> children, Set<String> shm, Set<String> marks) {
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        LeakReports.drain();
        context.getStore(NS).put("before", snapshot());
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        Snapshot before = context.getStore(NS).get("before", Snapshot.class);
        Snapshot after = snapshot();
        long deadline = System.nanoTime() + SETTLE;
        while (leaks(before, after) != null && System.nanoTime() - deadline < 0) {
            Thread.sleep(20); // polling the state: exiting children and in-flight closes settle
            after = snapshot();
        }
        // Give the Cleaners a chance to report what was never closed: they run on their own
        // threads some time after a collection.
        List<String> cleaned = List.of();
        for (int i = 0; i < 10 && cleaned.isEmpty(); i++) {
            System.gc();
            Thread.sleep(20);
            cleaned = LeakReports.drain();
        }
        if (!cleaned.isEmpty()) {
            throw new AssertionError(context.getDisplayName() + " left resources to the Cleaner: "
                    + cleaned);
        }
        String leak = leaks(before, after);
        if (leak != null) {
            throw new AssertionError(context.getDisplayName() + " leaked " + leak
                    + " (still there " + SETTLE / 1_000_000_000L + " s after the class ended)");
        }
    }

    private static String leaks(Snapshot before, Snapshot after) {
        List<String> out = new ArrayList<>();
        Set<String> fds = new TreeSet<>(after.fds());
        fds.removeAll(before.fds());
        if (!fds.isEmpty()) {
            out.add("descriptors " + fds.stream().map(LeakCheckExtension::describeSocket).toList());
        }
        Set<Long> kids = new TreeSet<>(after.children());
        kids.removeAll(before.children());
        if (!kids.isEmpty()) {
            out.add("child processes " + kids.stream().map(LeakCheckExtension::describe)
                    .collect(Collectors.toList()));
        }
        Set<String> shm = new TreeSet<>(after.shm());
        shm.removeAll(before.shm());
        if (!shm.isEmpty()) {
            out.add("/dev/shm entries " + shm);
        }
        Set<String> marks = new TreeSet<>(after.marks());
        marks.removeAll(before.marks());
        marks.removeIf(f -> !ofThisJvmOrTheDead(f));
        if (!marks.isEmpty()) {
            out.add("liveness lock files " + marks);
        }
        return out.isEmpty() ? null : String.join(", ", out);
    }

    /** Adds what the kernel says about a leaked socket: its /proc/net line (protocol, state, ports). */
    private static String describeSocket(String fd) {
        int open = fd.indexOf("socket:[");
        if (open < 0) {
            return fd;
        }
        String inode = fd.substring(open + 8, fd.length() - 1);
        for (String table : List.of("tcp", "tcp6", "unix")) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/net", table))) {
                    if (List.of(line.trim().split("\\s+")).contains(inode)) {
                        return fd + " (" + table + ": " + line.trim() + ")";
                    }
                }
            } catch (IOException e) {
                // not available: describe less
            }
        }
        return fd;
    }

    private static String describe(long pid) {
        return pid + ProcessHandle.of(pid).flatMap(h -> h.info().commandLine())
                .map(c -> " (" + (c.length() > 160 ? c.substring(0, 160) + "…" : c) + ")").orElse("");
    }

    static Snapshot snapshot() {
        return new Snapshot(openDescriptors(), children(), shmEntries(), markFiles());
    }

    /** Our kinds of descriptors, as "fd -> target". */
    static Set<String> openDescriptors() {
        Set<String> out = new TreeSet<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : dir) {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    if (target.startsWith("socket:") || target.startsWith("pipe:")
                            || target.contains("[pidfd]") || target.startsWith("/memfd:")
                            || target.startsWith("/dev/shm/")) {
                        out.add(p.getFileName() + "->" + target);
                    }
                } catch (IOException e) {
                    // closed while listing (the directory stream's own descriptor, for one)
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    static Set<Long> children() {
        Set<Long> out = new TreeSet<>();
        ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .forEach(h -> out.add(h.pid()));
        return out;
    }

    static Set<String> shmEntries() {
        Set<String> out = new TreeSet<>();
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm)) {
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(shm, "mp4j*")) {
                for (Path p : dir) {
                    out.add(p.getFileName().toString());
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /**
     * {@return the lock files of the posix backend's liveness marks, {@code <inode>.<token>} in
     * hex, when this JVM runs that backend} Only listed, never opened: opening and closing a
     * lock file that this JVM holds a lock on would drop the lock.
     */
    static Set<String> markFiles() {
        Set<String> out = new TreeSet<>();
        if (!TestJvms.backendOption().endsWith("=posix")) {
            return out;
        }
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            Path live = Path.of(System.getProperty("java.io.tmpdir"), "mp4j-live-" + uid);
            if (Files.isDirectory(live)) {
                try (DirectoryStream<Path> dir = Files.newDirectoryStream(live, "[0-9a-f]*.[0-9a-f]*")) {
                    for (Path p : dir) {
                        out.add(p.getFileName().toString());
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /**
     * {@return whether the lock file named {@code file} belongs to this JVM or to a process that is
     * gone} Its token holds the pid in its upper half; lock files of other live processes (other
     * test runs on this machine) are not this class's leaks.
     */
    private static boolean ofThisJvmOrTheDead(String file) {
        try {
            long pid = Long.parseUnsignedLong(file.substring(file.indexOf('.') + 1), 16) >>> 32;
            return pid == ProcessHandle.current().pid()
                    || ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
