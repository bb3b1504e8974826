package org.multiprocessing4j.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.opentest4j.TestAbortedException;

/**
 * A memory cgroup of its own for a program that might exhaust memory, so that the kernel's OOM
 * killer, if it fires, can only kill that program: cgroup v1
 * ({@code /sys/fs/cgroup/memory/<name>}, {@code memory.limit_in_bytes}) or v2
 * ({@code /sys/fs/cgroup/<name>}, {@code memory.max}). {@link #create} aborts the test (a skip, with
 * the reason) where no memory cgroup can be made. {@link #close()} waits up to 10 s for every
 * process in the cgroup to end, then removes it.
 */
public final class MemoryCgroup implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final Path dir;
    private final boolean v1;

    private MemoryCgroup(Path dir, boolean v1) {
        this.dir = dir;
        this.v1 = v1;
    }

    /**
     * Creates a cgroup limited to {@code limitBytes} of memory (and no more with swap, on v1 when
     * the kernel accounts swap).
     *
     * @throws TestAbortedException if memory cgroups cannot be created here
     */
    public static MemoryCgroup create(long limitBytes) {
        String name = "mp4j-size-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        Path v1root = Path.of("/sys/fs/cgroup/memory");
        Path v2root = Path.of("/sys/fs/cgroup");
        try {
            if (Files.isRegularFile(v1root.resolve("memory.limit_in_bytes"))
                    || Files.isDirectory(v1root) && Files.isRegularFile(v1root.resolve("cgroup.procs"))) {
                Path dir = Files.createDirectory(v1root.resolve(name));
                MemoryCgroup cg = new MemoryCgroup(dir, true);
                try {
                    Files.writeString(dir.resolve("memory.limit_in_bytes"), Long.toString(limitBytes));
                    Path memsw = dir.resolve("memory.memsw.limit_in_bytes");
                    if (Files.exists(memsw)) {
                        Files.writeString(memsw, Long.toString(limitBytes));
                    }
                } catch (IOException | RuntimeException e) {
                    cg.close();
                    throw e;
                }
                return cg;
            }
            if (Files.readString(v2root.resolve("cgroup.controllers")).contains("memory")
                    && Files.readString(v2root.resolve("cgroup.subtree_control")).contains("memory")) {
                Path dir = Files.createDirectory(v2root.resolve(name));
                MemoryCgroup cg = new MemoryCgroup(dir, false);
                try {
                    Files.writeString(dir.resolve("memory.max"), Long.toString(limitBytes));
                    Files.writeString(dir.resolve("memory.swap.max"), "0");
                } catch (IOException | RuntimeException e) {
                    cg.close();
                    throw e;
                }
                return cg;
            }
        } catch (IOException | RuntimeException e) {
            throw new TestAbortedException("cannot create a memory cgroup here: " + e, e);
        }
        throw new TestAbortedException("no writable memory cgroup hierarchy under /sys/fs/cgroup");
    }

    /** {@return {@code command}, run by a shell that first moves itself into this cgroup} */
    public List<String> wrap(List<String> command) {
        List<String> c = new ArrayList<>(List.of("/bin/sh", "-c",
                "echo $$ > \"$0\" && exec \"$@\"", dir.resolve("cgroup.procs").toString()));
        c.addAll(command);
        return c;
    }

    /** {@return how many processes the OOM killer killed in this cgroup, -1 if the kernel does not say} */
    public long oomKills() throws IOException {
        Path f = dir.resolve(v1 ? "memory.oom_control" : "memory.events");
        for (String line : Files.readAllLines(f)) {
            String[] kv = line.trim().split("\\s+");
            if (kv.length == 2 && kv[0].equals("oom_kill")) {
                return Long.parseLong(kv[1]);
            }
        }
        return -1;
    }

    /** {@return the most memory the cgroup has used, or -1 if the kernel does not say} */
    public long peakUsage() throws IOException {
        Path f = dir.resolve(v1 ? "memory.max_usage_in_bytes" : "memory.peak");
        return Files.exists(f) ? Long.parseLong(Files.readString(f).trim()) : -1;
    }

    /**
     * Waits up to 10 s for the cgroup to be empty, kills what is left and waits 5 s more, then
     * removes it.
     *
     * @throws IllegalStateException if processes are still in it after that
     */
    @Override
    public void close() {
        long start = System.nanoTime();
        boolean killed = false;
        try {
            for (;;) {
                List<String> pids = Files.readAllLines(dir.resolve("cgroup.procs"));
                if (pids.isEmpty()) {
                    break;
                }
                long waited = System.nanoTime() - start;
                if (killed && waited > TimeUnit.SECONDS.toNanos(15)) {
                    throw new IllegalStateException("processes " + pids + " are still in " + dir);
                }
                if (!killed && waited > TimeUnit.SECONDS.toNanos(10)) {
                    for (String p : pids) {
                        ProcessHandle.of(Long.parseLong(p.trim())).ifPresent(ProcessHandle::destroyForcibly);
                    }
                    killed = true;
                }
                Thread.sleep(10);
            }
            Files.delete(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot remove cgroup " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return dir.toString();
    }
}
