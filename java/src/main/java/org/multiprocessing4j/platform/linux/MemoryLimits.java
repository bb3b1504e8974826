package org.multiprocessing4j.platform.linux;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many bytes of shared memory this process can have backed right now, so that
 * {@link LinuxPlatform#reserve} refuses a larger size before it commits a single page.
 *
 * <p>Why refuse instead of letting {@code fallocate} fail: on a memfd (or on a tmpfs larger than
 * the memory left) {@code fallocate} commits page after page and never returns {@code ENOMEM}; the
 * kernel's OOM killer ends it — and because shared memory pages are in no process's RSS, the
 * global OOM killer picks <em>other</em> processes first. A memory cgroup's OOM killer kills
 * within the cgroup, this process included.
 *
 * <p>The limit is the smallest of:
 * <ul>
 * <li>the system: {@code MemAvailable + SwapFree} from {@code /proc/meminfo};
 * <li>each memory cgroup from this process's own up to the root of the hierarchy it can see
 *     (cgroup v1 {@code memory.limit_in_bytes}, v2 {@code memory.max}), minus what the cgroup
 *     uses that it cannot reclaim without swapping: {@code usage - inactive_file} (v1
 *     {@code memory.usage_in_bytes}, {@code total_inactive_file}; v2 {@code memory.current},
 *     {@code inactive_file}) — the "working set" container runtimes report;
 * <li>for a file in a file system ({@code shm_open}'s {@code /dev/shm}), the space free there.
 * </ul>
 * A value that cannot be read counts as no limit: this check prevents a disaster, it does not
 * replace the kernel's accounting. It is a snapshot: two processes may each pass it and together
 * exceed the memory left, and memory the caller uses after creating a block is not counted. A
 * reading is reused for up to 100 ms for sizes that, added up, stay within half of it (see
 * {@link Snapshot}); a larger size always reads the limits afresh.
 *
 * <p>Where the cgroup is: {@code /proc/self/cgroup} names this process's cgroup in each
 * hierarchy; {@code /proc/self/mountinfo} tells where that hierarchy is mounted and which of its
 * directories the mount shows (a container sees its own cgroup as the root). Both are read with
 * the limits (a process may be moved to another cgroup).
 */
final class MemoryLimits {
    /** No limit known. */
    static final long UNLIMITED = Long.MAX_VALUE;
    /** cgroup v1 writes "no limit" as the largest page multiple below 2^63; treat 2^62+ as none. */
    private static final long NO_CGROUP_LIMIT = 1L << 62;
    /**
     * How long a reading stays good for small sizes (see {@link Snapshot}). Reading the limits costs
     * ~200 us here (/proc/self/mountinfo alone ~80 us), more than creating a small block, and a
     * queue creates a block for every record larger than a slot: one reading per 100 ms keeps
     * that off the hot path (a 64 KiB record travels in ~50 us).
     */
    private static final long FRESH_NANOS = 100_000_000L;

    /** The last reading per file system ("" for anonymous memory). */
    private static final ConcurrentHashMap<String, Snapshot> SNAPSHOTS =
            new ConcurrentHashMap<>();

    /** A limit and what it is, for the message. */
    record Limit(long bytes, String source) {
        static final Limit NONE = new Limit(UNLIMITED, "no limit known");

        Limit min(Limit other) {
            return other.bytes < bytes ? other : this;
        }
    }

    private MemoryLimits() {
    }

    /**
     * Throws if {@code size} bytes of shared memory cannot be backed now. Thread-safe.
     *
     * @param size the bytes about to be committed
     * @param fileSystem a directory in the file system that will hold the pages, or {@code null}
     *     for anonymous memory (a memfd: its pages count only against memory)
     * @param what the memory, for the message (for example {@code memfd "mp4j-shm"})
     * @throws IOException naming the size and the limit, if {@code size} exceeds it
     */
    static void check(long size, Path fileSystem, String what) throws IOException {
        String key = fileSystem == null ? "" : fileSystem.toString();
        long now = System.nanoTime();
        Snapshot last = SNAPSHOTS.get(key);
        if (last != null && last.admit(size, now)) {
            return;
        }
        Limit limit = current(fileSystem);
        if (size > limit.bytes()) {
            throw new IOException("cannot reserve " + size + " bytes of shared memory (" + what
                    + "): more than " + limit.source() + ", " + limit.bytes()
                    + " bytes; nothing was committed");
        }
        SNAPSHOTS.put(key, new Snapshot(limit.bytes(), now, size));
    }

    /**
     * A reading of the limit and what this process reserved since. A size is admitted without a
     * new reading only while the reading is under {@link #FRESH_NANOS} old and everything
     * admitted on it, this size included, stays within half the limit it read; anything larger,
     * or later, reads the limits again. Memory other processes take meanwhile is not seen — as
     * for any reading, which is a snapshot.
     */
    private static final class Snapshot {
        private final long limit;
        private final long takenAt;
        private long reserved; // guarded by this

        Snapshot(long limit, long takenAt, long reserved) {
            this.limit = limit;
            this.takenAt = takenAt;
            this.reserved = reserved;
        }

        synchronized boolean admit(long size, long now) {
            if (now - takenAt > FRESH_NANOS || size > limit / 2 - reserved) {
                return false;
            }
            reserved += size;
            return true;
        }
    }

    /** {@return what can be backed now, and where that limit comes from} */
    static Limit current(Path fileSystem) {
        Limit limit = system(read(Path.of("/proc/meminfo")));
        String cgroups = read(Path.of("/proc/self/cgroup"));
        String mountinfo = read(Path.of("/proc/self/mountinfo"));
        if (cgroups != null && mountinfo != null) {
            for (CgroupDir dir : cgroupDirs(cgroups, mountinfo)) {
                limit = limit.min(cgroup(dir));
            }
        }
        if (fileSystem != null) {
            limit = limit.min(fileSystem(fileSystem));
        }
        return limit;
    }

    /** {@return {@code MemAvailable + SwapFree} from the text of /proc/meminfo} */
    static Limit system(String meminfo) {
        if (meminfo == null) {
            return Limit.NONE;
        }
        long available = -1;
        long swapFree = 0;
        for (String line : meminfo.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals("MemAvailable:")) {
                available = kib(f);
            } else if (f.length >= 2 && f[0].equals("SwapFree:")) {
                swapFree = Math.max(0, kib(f));
            }
        }
        if (available < 0) {
            return Limit.NONE;
        }
        return new Limit(available + swapFree,
                "the memory this system can back now (MemAvailable + SwapFree in /proc/meminfo)");
    }

    private static long kib(String[] f) {
        try {
            long v = Long.parseLong(f[1]);
            if (f.length < 3 || !f[2].equals("kB")) {
                return v;
            }
            return v > UNLIMITED / 1024 ? UNLIMITED : v * 1024;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A memory cgroup directory, and whether it is v1 (else v2). */
    record CgroupDir(Path path, boolean v1) {
    }

    /**
     * {@return the memory cgroup directories of this process, its own first, then each parent up
     * to the root of the mounted hierarchy (excluded)} Empty if there is no memory controller.
     *
     * @param cgroups the text of {@code /proc/self/cgroup}
     * @param mountinfo the text of {@code /proc/self/mountinfo}
     */
    static List<CgroupDir> cgroupDirs(String cgroups, String mountinfo) {
        String v1Path = null;
        String v2Path = null;
        for (String line : cgroups.split("\n")) {
            int a = line.indexOf(':');
            int b = a < 0 ? -1 : line.indexOf(':', a + 1);
            if (b < 0) {
                continue;
            }
            String controllers = line.substring(a + 1, b);
            String path = line.substring(b + 1).trim();
            if (line.substring(0, a).equals("0") && controllers.isEmpty()) {
                v2Path = path;
            } else if (List.of(controllers.split(",")).contains("memory")) {
                v1Path = path;
            }
        }
        for (String line : mountinfo.split("\n")) {
            // id parent major:minor root mount-point options [optional...] - fstype source super-options
            String[] f = line.trim().split(" ");
            int dash = List.of(f).indexOf("-");
            if (dash < 5 || dash + 3 >= f.length) {
                continue;
            }
            String fsType = f[dash + 1];
            boolean v1 = fsType.equals("cgroup") && v1Path != null
                    && List.of(f[dash + 3].split(",")).contains("memory");
            boolean v2 = fsType.equals("cgroup2") && v2Path != null && v1Path == null;
            if (v1 || v2) {
                return ancestors(unescape(f[4]), unescape(f[3]), v1 ? v1Path : v2Path, v1);
            }
        }
        return List.of();
    }

    private static List<CgroupDir> ancestors(String mountPoint, String mountRoot, String path, boolean v1) {
        String relative;
        if (mountRoot.equals("/")) {
            relative = path;
        } else if (path.equals(mountRoot) || path.startsWith(mountRoot + "/")) {
            relative = path.substring(mountRoot.length());
        } else {
            relative = ""; // a cgroup namespace shows our own cgroup as the root
        }
        Path root = Path.of(mountPoint);
        Path dir = root;
        for (String part : relative.split("/")) {
            if (!part.isEmpty()) {
                dir = dir.resolve(part);
            }
        }
        List<CgroupDir> dirs = new ArrayList<>();
        for (Path d = dir; d != null && !d.equals(root) && d.startsWith(root); d = d.getParent()) {
            dirs.add(new CgroupDir(d, v1));
        }
        if (dirs.isEmpty()) {
            dirs.add(new CgroupDir(root, v1)); // the root of what we see: limited only in a container
        }
        return dirs;
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException e) {
                    // not an escape
                }
            }
            b.append(c);
        }
        return b.toString();
    }

    /** {@return what the cgroup can still take: its limit minus its working set} */
    static Limit cgroup(CgroupDir dir) {
        Path d = dir.path();
        long limit = number(read(d.resolve(dir.v1() ? "memory.limit_in_bytes" : "memory.max")));
        if (limit < 0 || limit >= NO_CGROUP_LIMIT) {
            return Limit.NONE;
        }
        long usage = number(read(d.resolve(dir.v1() ? "memory.usage_in_bytes" : "memory.current")));
        long inactiveFile = statField(read(d.resolve("memory.stat")),
                dir.v1() ? "total_inactive_file" : "inactive_file");
        long workingSet = Math.max(0, usage - Math.max(0, inactiveFile));
        return new Limit(Math.max(0, limit - workingSet), "what memory cgroup " + d
                + " can still hold (limit " + limit + " bytes, working set " + workingSet + " bytes)");
    }

    /** {@return the space free in the file system that holds {@code dir}} */
    static Limit fileSystem(Path dir) {
        try {
            FileStore store = Files.getFileStore(dir);
            if (store.getTotalSpace() == 0) {
                return Limit.NONE; // a tmpfs mounted with size=0 has no limit
            }
            return new Limit(store.getUsableSpace(), "the space free in " + dir);
        } catch (IOException | RuntimeException e) {
            return Limit.NONE;
        }
    }

    private static long statField(String stat, String field) {
        if (stat == null) {
            return -1;
        }
        for (String line : stat.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals(field)) {
                return number(f[1]);
            }
        }
        return -1;
    }

    /** {@return a non-negative number, {@link #UNLIMITED} for "max", -1 if unreadable} */
    private static long number(String s) {
        if (s == null) {
            return -1;
        }
        String t = s.trim();
        if (t.equals("max")) {
            return UNLIMITED;
        }
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** {@return the file's text, or null if it cannot be read} */
    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
