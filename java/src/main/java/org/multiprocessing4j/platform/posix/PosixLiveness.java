package org.multiprocessing4j.platform.posix;

import static org.multiprocessing4j.platform.posix.bindings.Posix.C_INT;
import static org.multiprocessing4j.platform.posix.bindings.Posix.C_POINTER;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.posix.bindings.Posix;
import org.multiprocessing4j.platform.posix.bindings.flock;

/**
 * Process tokens and the proof that the process of a token is alive, without {@code /proc} and
 * without open-file-description locks.
 *
 * <p>POSIX calls: {@code open}, {@code fcntl(F_SETLK / F_GETLK)} with a write lock on a whole
 * file (classic byte-range locks), {@code close}, {@code rename}, {@code unlink}. The JDK's
 * {@link ProcessHandle} gives this process's start time for its token.
 *
 * <p><b>The proof.</b> Classic locks belong to a (process, file) pair: the kernel drops them
 * when the process ends, however it ends, whatever its pid or PID namespace; they are also
 * dropped when the process closes <em>any</em> descriptor of the file, and they never conflict
 * within one process. So they are not placed on the shared region (which this process opens
 * and closes through many descriptors), but on one file per process that only this class ever
 * opens: {@code <dir>/<token in hex>}, created under a temporary name, write-locked, then
 * renamed into place, and held open until the process ends. A token's process is alive iff
 * that file exists and is locked ({@code F_GETLK} reports the holder); a file found unlocked
 * belongs to a dead process and is removed. {@code dir} is {@code mp4j-live-<uid>} (0700) in
 * {@code java.io.tmpdir}: processes that share regions must share it (on Linux, containers that
 * share only {@code /dev/shm} need the linux backend).
 *
 * <p><b>What a mark means here.</b> The seam's marks are per region: a mark is gone when its
 * process closed every object it had on the region. This backend's are per process: a live
 * process is reported alive on every region until it ends — the safe side of the contract (a
 * live process is never judged dead; one that closed everything but lives is not judged dead
 * either). Within this process, the marks are counted per handle so that
 * {@link #markPlaced} still answers "another handle" truthfully.
 *
 * <p>macOS: the same calls work (there, {@code F_GETLK} reports the holder's pid too);
 * {@code shm_open} descriptors cannot be locked at all, which is one more reason for a file in
 * a directory.
 */
final class PosixLiveness {
    /** {@code int open(const char *path, int flags, mode_t mode)}. */
    private static final class Open {
        static final MethodHandle MH = Native.variadic(Posix.open.address(),
                FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT), 2);
    }

    private static final int SWEEP_LIMIT = 64;

    private final PosixTarget target;
    /** Marks of this process: handle → (inode of its file, index). */
    private final Map<Integer, long[]> ownMarks = new ConcurrentHashMap<>();
    private final Object selfLock = new Object();
    /** The descriptor holding this process's lock; -1 until the first mark. Guarded by selfLock. */
    private int selfFile = -1;
    private long selfToken;

    PosixLiveness(PosixTarget target) {
        this.target = target;
    }

    /**
     * {@return a token-sized start time} This process: the JDK's start instant in milliseconds.
     * Another: the same if the JDK can tell, -1 if there is no such process, else unknown.
     */
    static long processStartTime(int pid) {
        java.util.Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty()) {
            return -1;
        }
        return h.get().info().startInstant().map(java.time.Instant::toEpochMilli)
                .map(ms -> ms & 0x7FFF_FFFF_FFFFL).orElse(Platform.START_TIME_UNKNOWN);
    }

    int openPrivateHandle(int fd) throws IOException {
        // The mark is not on this file (see the class comment): any new descriptor will do.
        return PosixIo.duplicate(fd);
    }

    void placeMark(int handle, long index, long selfToken) throws IOException {
        checkIndex(index);
        if (index != selfToken) {
            throw new IllegalArgumentException("the posix backend places marks for this process's"
                    + " own token only (" + Long.toHexString(selfToken) + "), not "
                    + Long.toHexString(index));
        }
        holdSelf(selfToken);
        ownMarks.put(handle, new long[] {new PosixMemory(target).inode(handle), index});
    }

    boolean markPlaced(int handle, long index, long selfToken) throws IOException {
        checkIndex(index);
        if (index == selfToken) {
            long inode = new PosixMemory(target).inode(handle);
            for (Map.Entry<Integer, long[]> e : ownMarks.entrySet()) {
                if (e.getKey() != handle && e.getValue()[0] == inode && e.getValue()[1] == index) {
                    return true;
                }
            }
            return false;
        }
        return alive(directory().resolve(Long.toHexString(index)));
    }

    /** Forgets the marks placed through {@code fd}, which is being closed. */
    void closing(int fd) {
        ownMarks.remove(fd);
    }

    private static void checkIndex(long index) {
        if (index < 0 || index >= 1L << 62) {
            throw new IllegalArgumentException("mark index out of [0, 2^62): " + index);
        }
    }

    /** Creates and locks this process's file once; it stays locked until the process ends. */
    private void holdSelf(long token) throws IOException {
        synchronized (selfLock) {
            if (selfFile >= 0) {
                return;
            }
            Path dir = directory();
            Path temporary = Files.createTempFile(dir, ".", ".tmp");
            int fd;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocateFrom(temporary.toString());
                fd = (int) Native.retrying(() -> "open(\"" + temporary + "\", O_RDWR|O_CLOEXEC)",
                        st -> (int) Open.MH.invokeExact(st, p, Posix.O_RDWR() | Posix.O_CLOEXEC(), 0));
                MemorySegment fl = lock(a, Posix.F_WRLCK());
                long r = PosixIo.fcntl(fd, target.setLock(), fl);
                if (r < 0) {
                    PosixIo.closeQuietly(fd);
                    throw PosixErrno.exception("fcntl(" + fd + ", F_SETLK, F_WRLCK)", (int) -r);
                }
                Files.move(temporary, dir.resolve(Long.toHexString(token)),
                        StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(temporary);
                throw e;
            }
            selfFile = fd;
            selfToken = token;
            sweep(dir);
        }
    }

    /** Removes up to {@value #SWEEP_LIMIT} files of dead processes. */
    private void sweep(Path dir) {
        int seen = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.startsWith(".") || name.equals(Long.toHexString(selfToken))) {
                    continue;
                }
                alive(f);
                if (++seen >= SWEEP_LIMIT) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // a sweep is housekeeping only
        }
    }

    /** {@return whether {@code file} exists and some process holds a lock on it} Removes it if not. */
    private boolean alive(Path file) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(file.toString());
            long fd = Native.attempt(st -> (int) Open.MH.invokeExact(st, p, Posix.O_RDONLY() | Posix.O_CLOEXEC(), 0));
            if (fd < 0) {
                if ((int) -fd == PosixErrno.ENOENT) {
                    return false; // never existed, or its dead owner's file was removed
                }
                throw PosixErrno.exception("open(\"" + file + "\", O_RDONLY)", (int) -fd);
            }
            MemorySegment fl = lock(a, Posix.F_WRLCK());
            long r;
            try {
                r = PosixIo.fcntl((int) fd, target.getLock(), fl);
            } finally {
                PosixIo.closeQuietly((int) fd);
            }
            if (r < 0) {
                throw PosixErrno.exception("fcntl(F_GETLK) on " + file, (int) -r);
            }
            if (flock.l_type(fl) != Posix.F_UNLCK()) {
                return true;
            }
            Files.deleteIfExists(file); // its owner died: the lock went with it
            return false;
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
    private static Path directory() throws IOException {
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
