package org.multiprocessing4j.platform.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.multiprocessing4j.platform.linux.LinuxCalls.Sys;
import org.multiprocessing4j.platform.linux.bindings.Libc;
import org.multiprocessing4j.platform.posix.Native;
import org.multiprocessing4j.platform.posix.PosixPlatform;
import org.multiprocessing4j.platform.posix.bindings.Posix;
import org.multiprocessing4j.platform.posix.bindings.flock;

/**
 * Process identity and liveness on Linux: a token from the pid and the start time in
 * {@code /proc/self/stat}, and liveness marks that are open-file-description locks.
 *
 * <p>A mark is an open-file-description ("OFD") read lock on one byte: {@code F_OFD_SETLK}
 * belongs to the open file description, not to the process, so it is not dropped when the process
 * closes some other descriptor of the file (as a classic {@code F_SETLK} lock would be), and it
 * is released by the kernel when the last descriptor of that description is closed — at the
 * latest when the process ends. A private description comes from opening
 * {@code /proc/self/fd/N} anew (a dup, an inherited or a received descriptor would share the
 * description, and so the lock, with other processes). {@code F_OFD_GETLK} reports a lock of
 * any other description, of this process too, whichever PID namespace its holder runs in. Byte
 * offsets up to 2<sup>63</sup> - 1 are valid whatever the file's size; nothing is read or
 * written there.
 *
 * <p>{@code struct flock} and the lock types are POSIX (the posix bindings); only the
 * {@code F_OFD_*} commands and {@code AT_FDCWD} come from the Linux bindings.
 */
final class LinuxLiveness implements PosixPlatform.Liveness {
    private static final int F_OFD_GETLK = Libc.F_OFD_GETLK();
    private static final int F_OFD_SETLK = Libc.F_OFD_SETLK();
    private static final short F_RDLCK = (short) Posix.F_RDLCK();
    private static final short F_WRLCK = (short) Posix.F_WRLCK();
    private static final short F_UNLCK = (short) Posix.F_UNLCK();
    private static final long AT_FDCWD = Libc.AT_FDCWD();

    private final LinuxArch.Syscalls syscalls;

    LinuxLiveness(LinuxArch arch) {
        this.syscalls = arch.syscalls();
    }

    /**
     * Here: the pid and the low 32 bits of the start time in {@code /proc/<pid>/stat}. Computed
     * anew on each call; {@code PosixPlatform.processToken()} keeps the result.
     */
    @Override
    public long processToken(int pid) {
        long start = startTime(pid);
        if (start < 0) {
            throw new IllegalStateException("cannot read this process's start time from /proc/"
                    + pid + "/stat: process-shared locks and queues need /proc");
        }
        return ((long) pid << 32) | (start & 0xFFFF_FFFFL);
    }

    /**
     * {@return the start time of process {@code pid} in clock ticks since boot (field 22 of
     * {@code /proc/<pid>/stat}); -1 if there is no such process or it is a zombie; -2 if it cannot
     * be told (no descriptor left, {@code hidepid}, a truncated read)}
     */
    static long startTime(int pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException | RuntimeException e) {
            return -2;
        }
        // Fields after the command name (which may contain spaces) start after the last ')'.
        try {
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            if (f[0].equals("Z") || f[0].equals("X")) {
                return -1;
            }
            return Long.parseLong(f[19]); // field 22, starttime
        } catch (RuntimeException e) {
            return -2;
        }
    }

    /** Here: an OFD read lock on the byte at {@code token}. */
    @Override
    public void place(int handle, long token) throws IOException {
        if (ofdLock(handle, F_OFD_SETLK, F_RDLCK, token) < 0) {
            throw new AssertionError("F_OFD_SETLK returned no lock type");
        }
    }

    /** Here: whether another description holds a lock that a write lock on the byte would meet. */
    @Override
    public boolean isPlaced(int handle, long token) throws IOException {
        return ofdLock(handle, F_OFD_GETLK, F_WRLCK, token) != F_UNLCK;
    }

    /** Here: nothing; the kernel drops the lock with the description's last descriptor. */
    @Override
    public void closing(int fd) {
    }

    /** Here: opens {@code /proc/self/fd/<fd>} anew, a description of this process's own. */
    @Override
    public int openPrivateHandle(int fd) throws IOException {
        String path = "/proc/self/fd/" + fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            // openat through the one syscall(2) shape: the path is its pointer argument.
            return (int) Native.retrying(() -> "open(\"" + path + "\", O_RDWR|O_CLOEXEC)",
                    st -> (long) Sys.MH.invokeExact(st, syscalls.openat(),
                    AT_FDCWD, p, (long) (Posix.O_RDWR() | Posix.O_CLOEXEC()), 0L, 0L, 0L));
        }
    }

    /** fcntl(handle, cmd, {type, SEEK_SET, index, 1}); @return l_type afterwards */
    private short ofdLock(int handle, int cmd, short type, long index) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fl = flock.allocate(a); // zeroed: l_whence = SEEK_SET, l_pid = 0 (required)
            flock.l_type(fl, type);
            flock.l_start(fl, index);
            flock.l_len(fl, 1L);
            // fcntl through the one syscall(2) shape: the command travels in the pointer slot
            // (asPointer), the struct's address as an integer; the confined arena keeps the
            // struct alive until the call has returned.
            Native.retrying(() -> "fcntl(" + handle + ", "
                            + (cmd == F_OFD_SETLK ? "F_OFD_SETLK" : "F_OFD_GETLK")
                            + ", {" + (type == F_RDLCK ? "F_RDLCK" : "F_WRLCK") + ", " + index + ", 1})",
                    st -> (long) Sys.MH.invokeExact(st, syscalls.fcntl(), (long) handle,
                    LinuxCalls.asPointer(cmd), fl.address(), 0L, 0L, 0L));
            return flock.l_type(fl);
        }
    }

}
