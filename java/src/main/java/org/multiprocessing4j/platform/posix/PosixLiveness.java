package org.multiprocessing4j.platform.posix;

import static org.multiprocessing4j.platform.posix.bindings.Posix.C_INT;
import static org.multiprocessing4j.platform.posix.bindings.Posix.C_POINTER;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.multiprocessing4j.platform.posix.bindings.Posix;
import org.multiprocessing4j.platform.posix.bindings.flock;

/**
 * Process tokens and liveness marks without {@code /proc} and without open-file-description
 * locks.
 *
 * <p>POSIX calls: {@code open}, {@code fcntl(F_SETLK / F_GETLK)} with a write lock on a whole
 * file (classic byte-range locks), {@code close}, {@code rename}, {@code unlink}, {@code fstat}.
 * The JDK's {@link ProcessHandle} gives this process's start time for its token.
 *
 * <p><b>Why not on the region's file.</b> Classic locks belong to a (process, file) pair: the
 * kernel drops them when the process ends, however it ends, whatever its pid or PID namespace —
 * but also as soon as the process closes <em>any</em> descriptor of the file, and they never
 * conflict within one process. A region's file is opened and closed through many descriptors, so
 * the marks live elsewhere: a mark for token {@code t} on the file with inode {@code i} is a write
 * lock on the lock file {@code <dir>/<i in hex>.<t in hex>}. Since locks are per process, so is
 * the bookkeeping (static: every instance of this class in a process shares it).
 *
 * <p><b>Life of a lock file.</b> Only the process of token {@code t} creates {@code <i>.<t>}:
 * under a temporary name, write-locked, then hard-linked into place ({@code link}, which never
 * replaces a file) and the temporary name removed — so a lock file under its final name is
 * locked while its owner holds the mark. Later marks of the process for the same pair count;
 * the last one's close removes the file and then closes its descriptor (which drops the lock).
 * A mark is placed iff its lock file exists and is locked by another process.
 *
 * <p><b>Removing the files of the dead.</b> A killed process cannot remove its lock file; others
 * remove it: whoever finds it unlocked while asking about the mark, the process that closes its
 * own last mark on the region (it looks at every lock file of the region's inode: so the
 * survivor that closes the region last leaves none), and each process's first mark (a sweep of
 * up to {@value #SWEEP_LIMIT} files of the directory). Removal keeps out of the classic-lock
 * traps: it never opens a file this process holds a lock on (the files of {@code held} are
 * skipped, under its lock), and it deletes a file only while holding a write lock on it
 * ({@code F_SETLK}, which fails while the owner — or another remover — holds one) and only if
 * the name still names the locked file. No one can put another file under that name meanwhile:
 * the owner is dead (or has removed the file itself), and {@code link} would not replace it
 * anyway. An owner whose own removal failed finds its stale file under the name it links to, and
 * removes it the same way before it links again. A remover's lock makes an asking process see
 * the mark for that instant: never a live process judged dead, at worst a dead one judged alive
 * once more (callers ask again).
 *
 * <p>An inode number is reused only once its file is gone, and no mark outlives the mapping that
 * needs it, so the inode names the region for as long as marks on it matter.
 *
 * <p>{@code dir} is {@code mp4j-live-<uid>} (0700) in {@code java.io.tmpdir}: processes that share
 * regions must share it (on Linux, containers that share only {@code /dev/shm} need the linux
 * backend).
 *
 * <p>macOS: the same calls work; {@code shm_open} descriptors cannot be locked there at all,
 * one more reason for lock files in a directory.
 */
final class PosixLiveness implements PosixPlatform.Liveness {
    /** {@code int open(const char *path, int flags, mode_t mode)}. */
    private static final class Open {
        static final MethodHandle MH = Native.variadic(Posix.open.address(),
                FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT), 2);
    }

    /** One lock file this process holds: its descriptor and how many marks use it. */
    private static final class Held {
        final int fd;
        int marks;

        Held(int fd) {
            this.fd = fd;
        }
    }

    private static final int SWEEP_LIMIT = 256;

    private final PosixTarget target;
    /** Whether the lock directory was swept. Guarded by {@link #held}. */
    private static boolean swept;
    /** Lock files this process holds, by path. Guarded by itself. */
    private static final Map<Path, Held> held = new HashMap<>();
    /** The lock file of each mark handle (a descriptor from {@link #openPrivateHandle}). */
    private static final Map<Integer, Path> marks = new ConcurrentHashMap<>();

    PosixLiveness(PosixTarget target) {
        this.target = target;
    }

    /** Here: the pid and the low 32 bits of the JDK's start instant of this process in ms. */
    @Override
    public long processToken(int pid) {
        long start = processStartTime(pid);
        if (start < 0) {
            throw new IllegalStateException("cannot tell this process's start time (pid " + pid + ")");
        }
        return ((long) pid << 32) | (start & 0xFFFF_FFFFL);
    }

    /**
     * {@return a token-sized start time} This process: the JDK's start instant in milliseconds.
     * Another: the same if the JDK can tell, -1 if there is no such process, else -2 (unknown).
     */
    static long processStartTime(int pid) {
        java.util.Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty()) {
            return -1;
        }
        return h.get().info().startInstant().map(java.time.Instant::toEpochMilli)
                .map(ms -> ms & 0x7FFF_FFFF_FFFFL).orElse(-2L); // -2: cannot tell
    }

    @Override
    public int openPrivateHandle(int fd) throws IOException {
        // The mark is not on this file (see the class comment): any new descriptor will do.
        return PosixIo.duplicate(fd);
    }

    /** {@return the lock file of marks for {@code token} on the file behind {@code fd}} */
    private Path lockFile(int fd, long token) throws IOException {
        checkIndex(token);
        return directory().resolve(Long.toHexString(new PosixMemory(target).inode(fd)) + "."
                + Long.toHexString(token));
    }

    @Override
    public void place(int handle, long index) throws IOException {
        Path file = lockFile(handle, index);
        acquire(file);
        if (marks.putIfAbsent(handle, file) != null) {
            release(file);
            throw new IllegalStateException("descriptor " + handle + " already holds a mark");
        }
    }

    @Override
    public boolean isPlaced(int handle, long index) throws IOException {
        Path file = lockFile(handle, index);
        synchronized (held) {
            Held h = held.get(file);
            if (h != null) {
                // Ours: classic locks do not conflict within a process (and opening the file to
                // ask would drop the lock on closing it), so count our marks instead.
                int mine = file.equals(marks.get(handle)) ? 1 : 0;
                return h.marks > mine;
            }
            return lockedElseRemove(file); // under held's lock: not one of ours meanwhile
        }
    }

    /** Removes the mark placed through {@code fd}, which is being closed, if any. */
    @Override
    public void closing(int fd) {
        Path file = marks.remove(fd);
        if (file != null) {
            release(file);
        }
    }

    private static void checkIndex(long index) {
        if (index < 0 || index >= 1L << 62) {
            throw new IllegalArgumentException("mark index out of [0, 2^62): " + index);
        }
    }

    /** Counts one more mark on {@code file}; the first creates and locks it. */
    private void acquire(Path file) throws IOException {
        synchronized (held) {
            if (!swept) {
                swept = true;
                sweep(file.getParent(), "", SWEEP_LIMIT);
            }
            Held h = held.get(file);
            if (h == null) {
                h = new Held(createLocked(file));
                held.put(file, h);
            }
            h.marks++;
        }
    }

    /**
     * Counts one mark less on {@code file}; the last removes and unlocks it, and then removes the
     * lock files of dead processes' marks on the same region.
     */
    private void release(Path file) {
        synchronized (held) {
            Held h = held.get(file);
            if (h == null || --h.marks > 0) {
                return;
            }
            held.remove(file);
            try {
                Files.deleteIfExists(file);
            } catch (IOException | RuntimeException e) {
                // a later creator or remover finds it unlocked and removes it
            }
            PosixIo.closeQuietly(h.fd); // drops the lock
            String name = file.getFileName().toString();
            sweep(file.getParent(), name.substring(0, name.indexOf('.') + 1), Integer.MAX_VALUE);
        }
    }

    /**
     * Removes lock files of dead processes whose names start with {@code prefix} (up to
     * {@code limit} looked at), and temporary files older than a minute (a process killed while
     * creating one) if the prefix is empty. Never throws: housekeeping only. Called under
     * {@link #held}'s lock.
     */
    private void sweep(Path dir, String prefix, int limit) {
        int seen = 0;
        long minuteAgo = System.currentTimeMillis() - 60_000;
        try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (!name.startsWith(prefix) || held.containsKey(f)) {
                    continue;
                }
                if (++seen > limit) {
                    break;
                }
                try {
                    if (name.startsWith(".")) {
                        if (Files.getLastModifiedTime(f).toMillis() < minuteAgo) {
                            Files.deleteIfExists(f);
                        }
                    } else {
                        lockedElseRemove(f);
                    }
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile, or not ours to judge: the next sweep looks again
                }
            }
        } catch (IOException | RuntimeException e) {
            // housekeeping only
        }
    }

    /**
     * Creates {@code file} locked: under a temporary name, locked, then linked into place (see
     * the class comment). A stale file under the name (ours: only this process creates it) is
     * removed first. Called under {@link #held}'s lock.
     */
    private int createLocked(Path file) throws IOException {
        Path temporary = Files.createTempFile(file.getParent(), ".", ".tmp");
        int fd = -1;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(temporary.toString());
            fd = (int) Native.retrying(() -> "open(\"" + temporary + "\", O_RDWR|O_CLOEXEC)",
                    st -> (int) Open.MH.invokeExact(st, p, Posix.O_RDWR() | Posix.O_CLOEXEC(), 0));
            MemorySegment fl = lock(a, Posix.F_WRLCK());
            long r = PosixIo.fcntl(fd, target.setLock(), fl);
            if (r < 0) {
                throw PosixErrno.exception("fcntl(" + fd + ", F_SETLK, F_WRLCK)", (int) -r);
            }
            for (int attempt = 1; ; attempt++) {
                try {
                    Files.createLink(file, temporary);
                    break;
                } catch (FileAlreadyExistsException e) {
                    // Stale (only this process creates the name): removed unless locked, by a
                    // remover for an instant, or by another process that uses this token.
                    if (lockedElseRemove(file) && attempt >= 100) {
                        throw new IOException("the lock file " + file + " of this process's"
                                + " token stays locked by another process", e);
                    }
                    Thread.yield();
                }
            }
            Files.delete(temporary);
            return fd;
        } catch (IOException | RuntimeException e) {
            if (fd >= 0) {
                PosixIo.closeQuietly(fd);
            }
            Files.deleteIfExists(temporary);
            throw e;
        }
    }

    /**
     * {@return whether {@code file}, a lock file this process does not hold, exists and another
     * process holds a lock on it} If it exists unlocked, its owner is gone: removes it, under a
     * write lock of ours and only if the name still names the file we locked. Called under
     * {@link #held}'s lock (so that the file is not one of ours meanwhile: closing our descriptor
     * of it would drop our lock).
     */
    private boolean lockedElseRemove(Path file) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(file.toString());
            long fd = Native.attempt(st -> (int) Open.MH.invokeExact(st, p, Posix.O_RDWR() | Posix.O_CLOEXEC(), 0));
            if (fd < 0) {
                if ((int) -fd == PosixErrno.ENOENT) {
                    return false; // never existed, or its owner closed the mark, or was removed
                }
                throw PosixErrno.exception("open(\"" + file + "\", O_RDWR)", (int) -fd);
            }
            try {
                long r = PosixIo.fcntl((int) fd, target.setLock(), lock(a, Posix.F_WRLCK()));
                if (r < 0) {
                    int e = (int) -r;
                    if (e == PosixErrno.EAGAIN || e == Posix.EACCES()) {
                        return true; // its owner holds it (or, for an instant, another remover)
                    }
                    throw PosixErrno.exception("fcntl(F_SETLK, F_WRLCK) on " + file, e);
                }
                // Locked by us: its owner is dead, or closed the mark (and removed the name).
                long locked = new PosixMemory(target).inode((int) fd);
                try {
                    if ((long) Files.getAttribute(file, "unix:ino", LinkOption.NOFOLLOW_LINKS) == locked) {
                        Files.delete(file);
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // removed meanwhile by its owner
                }
                return false;
            } finally {
                PosixIo.closeQuietly((int) fd); // drops our lock, if any
            }
        }
    }

    /** {@return a {@code struct flock} of {@code type} over the whole file} */
    private static MemorySegment lock(Arena a, int type) {
        MemorySegment fl = flock.allocate(a); // zeroed: l_start 0, l_len 0 = to the end, l_pid 0
        flock.l_type(fl, (short) type);
        flock.l_whence(fl, (short) Posix.SEEK_SET());
        return fl;
    }

    /** {@return the directory of the lock files, created 0700 and checked to be this user's} */
    static Path directory() throws IOException {
        return Directory.get();
    }

    private static final class Directory {
        private static volatile Path path;

        static Path get() throws IOException {
            Path p = path;
            if (p == null) {
                p = Path.of(System.getProperty("java.io.tmpdir"), "mp4j-live-" + Posix.getuid());
                Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rwx------");
                try {
                    Files.createDirectory(p, PosixFilePermissions.asFileAttribute(owner));
                } catch (FileAlreadyExistsException e) {
                    // checked below
                }
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                        || !Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).equals(owner)
                        || (int) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) != Posix.getuid()) {
                    throw new AccessDeniedException(p.toString(), null,
                            "not a directory of this user with mode 0700");
                }
                path = p;
            }
            return p;
        }
    }
}
