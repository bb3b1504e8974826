package org.multiprocessing4j.platform.posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.posix.bindings.Posix;
import org.multiprocessing4j.platform.posix.bindings.posix_spawn_file_actions_t;
import org.multiprocessing4j.platform.posix.bindings.posix_spawnattr_t;
import org.multiprocessing4j.platform.posix.bindings.sigset_t;

/**
 * Spawning, reaping, sentinels and signals.
 *
 * <p>POSIX calls: {@code posix_spawn} with {@code posix_spawn_file_actions_adddup2} and
 * {@code _addclose}, {@code posix_spawnattr_setsigmask}/{@code _setsigdefault},
 * {@code waitpid}, {@code kill}, {@code getpid}, {@code getppid}, {@code poll} (to find open
 * descriptors: {@code POLLNVAL}), {@code fcntl(F_GETFD)}.
 *
 * <p><b>Exact inheritance without closefrom.</b> POSIX.1-2017 has no
 * {@code posix_spawn_file_actions_addclosefrom_np}. Every descriptor this backend creates is
 * close-on-exec ({@link DescriptorGate}); any other open descriptor without the flag (one the
 * application opened) gets an {@code addclose} action, found by one {@code poll} per 1024
 * descriptors up to {@code sysconf(_SC_OPEN_MAX)} ({@code POLLNVAL} marks the closed ones).
 *
 * <p><b>Sentinels without pidfd.</b> Each spawned child gets a reaper thread blocked in
 * {@code waitpid}; when the child ends it records the exit status and closes the writing end
 * of every sentinel pipe handed out for it, so the reading end becomes readable (end of
 * stream). {@link #waitForExit} then returns the recorded status. A reaped pid may be reused by
 * the system: {@link #signal} therefore never signals a child whose status is recorded. A
 * process that is not our child (the parent, watched by {@code ParentProcess}) is watched by
 * a virtual thread that checks every {@value #WATCH_INTERVAL_MILLIS} ms ({@code getppid} for
 * the parent: a reparented process has lost it; {@code kill(pid, 0)} for any other).
 *
 * <p><b>Parent death.</b> No {@code PR_SET_PDEATHSIG}: {@code PosixSignals} watches
 * {@code getppid()} from a daemon thread, and a child of this library also watches its
 * bootstrap socket, whose other end only the parent holds, for end of stream.
 *
 * <p>macOS: {@code POSIX_SPAWN_CLOEXEC_DEFAULT} would replace the scan; {@code kqueue} with
 * {@code EVFILT_PROC}/{@code NOTE_EXIT} would replace the reaper and watcher threads (and give
 * a parent-death notice); the wait status encoding is the same.
 */
final class PosixProcesses {
    static final long WATCH_INTERVAL_MILLIS = 20;
    private static final int SCAN_BATCH = 1024;

    private static final class Waitpid {
        static final MethodHandle MH = Native.downcall(Posix.waitpid$address(), Posix.waitpid$descriptor());
    }

    private static final class Kill {
        static final MethodHandle MH = Native.downcall(Posix.kill$address(), Posix.kill$descriptor());
    }

    /** A spawned, not yet collected child: its status once reaped, and its open sentinels. */
    private static final class Child {
        final CompletableFuture<Platform.ExitStatus> status = new CompletableFuture<>();
        /** Writing ends of sentinel pipes; null once the child has ended. Guarded by this. */
        List<Integer> sentinels = new ArrayList<>();
    }

    private static final ConcurrentHashMap<Integer, Child> CHILDREN = new ConcurrentHashMap<>();

    private PosixProcesses() {
    }

    static int pid() {
        return Posix.getpid();
    }

    static int parentPid() {
        return Posix.getppid();
    }

    static int spawn(Platform.SpawnRequest request) throws IOException {
        int[] sources = PosixPlatform.fds(request.handles());
        int n = sources.length;
        int[] moved = new int[n];
        Lock gate = DescriptorGate.spawning();
        gate.lock();
        try (Arena a = Arena.ofConfined()) {
            // Sources inside the target range 3..3+n-1 could be overwritten by an earlier dup2:
            // move every source above the range first (closed again below).
            for (int i = 0; i < n; i++) {
                moved[i] = PosixIo.duplicateAbove(sources[i], 3 + n);
            }
            MemorySegment actions = posix_spawn_file_actions_t.allocate(a);
            MemorySegment attr = posix_spawnattr_t.allocate(a);
            Native.check("posix_spawn_file_actions_init", Posix.posix_spawn_file_actions_init(actions));
            Native.check("posix_spawnattr_init", Posix.posix_spawnattr_init(attr));
            try {
                for (int fd : inheritableDescriptors()) {
                    Native.check("posix_spawn_file_actions_addclose",
                            Posix.posix_spawn_file_actions_addclose(actions, fd));
                }
                for (int i = 0; i < n; i++) {
                    Native.check("posix_spawn_file_actions_adddup2",
                            Posix.posix_spawn_file_actions_adddup2(actions, moved[i], 3 + i));
                }
                MemorySegment none = sigset_t.allocate(a);
                MemorySegment all = sigset_t.allocate(a);
                Posix.sigemptyset(none);
                Posix.sigfillset(all);
                Native.check("posix_spawnattr_setsigmask", Posix.posix_spawnattr_setsigmask(attr, none));
                Native.check("posix_spawnattr_setsigdefault", Posix.posix_spawnattr_setsigdefault(attr, all));
                Native.check("posix_spawnattr_setflags", Posix.posix_spawnattr_setflags(attr,
                        (short) (Posix.POSIX_SPAWN_SETSIGMASK() | Posix.POSIX_SPAWN_SETSIGDEF())));
                MemorySegment pid = a.allocate(ValueLayout.JAVA_INT);
                MemorySegment path = a.allocateFrom(request.executable());
                MemorySegment argv = Native.cStrings(a, request.arguments());
                MemorySegment envp = Native.cStrings(a, request.environment());
                Native.check("posix_spawn(\"" + request.executable() + "\")",
                        Posix.posix_spawn(pid, path, actions, attr, argv, envp));
                int child = pid.get(ValueLayout.JAVA_INT, 0);
                startReaper(child);
                return child;
            } finally {
                Posix.posix_spawn_file_actions_destroy(actions);
                Posix.posix_spawnattr_destroy(attr);
            }
        } finally {
            gate.unlock();
            for (int m : moved) {
                if (m > 0) {
                    PosixIo.closeQuietly(m);
                }
            }
        }
    }

    /**
     * {@return the open descriptors from 3 up that are not close-on-exec} Closed ones are found
     * in bulk with {@code poll} ({@code POLLNVAL}), then each open one is asked with
     * {@code fcntl(F_GETFD)}.
     */
    private static List<Integer> inheritableDescriptors() throws IOException {
        long max = Posix.sysconf(Posix._SC_OPEN_MAX());
        int limit = (int) Math.min(max <= 0 ? 65536 : max, 1 << 20);
        List<Integer> found = new ArrayList<>();
        for (int start = 3; start < limit; start += SCAN_BATCH) {
            int count = Math.min(SCAN_BATCH, limit - start);
            int[] fds = new int[count];
            short[] events = new short[count];
            short[] ready = new short[count];
            for (int i = 0; i < count; i++) {
                fds[i] = start + i;
            }
            PosixIo.poll(fds, events, ready, 0);
            for (int i = 0; i < count; i++) {
                if ((ready[i] & PosixIo.POLL_NVAL) == 0) {
                    int flags = PosixIo.descriptorFlags(fds[i]);
                    if (flags >= 0 && (flags & Posix.FD_CLOEXEC()) == 0) {
                        found.add(fds[i]);
                    }
                }
            }
        }
        return found;
    }

    private static void startReaper(int pid) {
        Child child = new Child();
        CHILDREN.put(pid, child);
        Thread.ofPlatform().daemon().name("mp4j-reaper-" + pid).stackSize(128 * 1024).start(() -> {
            Platform.ExitStatus status;
            try {
                status = waitpid(pid, true);
            } catch (IOException | RuntimeException e) {
                status = new Platform.ExitStatus(-1, 0); // ECHILD: someone else reaped it
            }
            List<Integer> sentinels;
            synchronized (child) {
                child.status.complete(status);
                sentinels = child.sentinels;
                child.sentinels = null;
            }
            for (int fd : sentinels) {
                PosixIo.closeQuietly(fd);
            }
        });
    }

    static int openProcessHandle(int pid) throws IOException {
        Child child = CHILDREN.get(pid);
        if (child == null && !exists(pid)) {
            throw PosixErrno.exception("kill(" + pid + ", 0)", PosixErrno.ESRCH);
        }
        int[] pipe = PosixIo.pipe();
        if (child != null) {
            synchronized (child) {
                if (child.sentinels != null) {
                    child.sentinels.add(pipe[1]);
                    return pipe[0];
                }
            }
            PosixIo.closeQuietly(pipe[1]); // already ended
            return pipe[0];
        }
        boolean parent = pid == parentPid();
        Thread.ofVirtual().name("mp4j-watch-" + pid).start(() -> watch(pid, parent, pipe[1]));
        return pipe[0];
    }

    /**
     * Closes {@code writeEnd} once process {@code pid} is gone, or once nobody reads the pipe
     * any more ({@code poll} reports an error on a pipe's writing end without readers).
     */
    private static void watch(int pid, boolean parent, int writeEnd) {
        try {
            short[] ready = new short[1];
            for (;;) {
                if (parent ? parentPid() != pid : !exists(pid)) {
                    return;
                }
                PosixIo.poll(new int[] {writeEnd}, new short[] {0}, ready, 0);
                if ((ready[0] & (PosixIo.POLL_ERR | PosixIo.POLL_HUP)) != 0) {
                    return;
                }
                Thread.sleep(WATCH_INTERVAL_MILLIS);
            }
        } catch (IOException | InterruptedException e) {
            // give up watching: report the process gone rather than never
        } finally {
            PosixIo.closeQuietly(writeEnd);
        }
    }

    /** {@return whether a process {@code pid} exists ({@code kill(pid, 0)} is not ESRCH)} */
    private static boolean exists(int pid) {
        long r = Native.attempt(st -> (int) Kill.MH.invokeExact(st, pid, 0));
        return r == 0 || (int) -r != PosixErrno.ESRCH;
    }

    static Platform.ExitStatus waitForExit(int pid, boolean block) throws IOException {
        Child child = CHILDREN.get(pid);
        if (child == null) {
            return waitpid(pid, block);
        }
        Platform.ExitStatus status = block ? child.status.join() : child.status.getNow(null);
        if (status != null) {
            CHILDREN.remove(pid, child);
        }
        return status;
    }

    /** {@code waitpid}; the status decoded as the traditional encoding every POSIX system uses. */
    private static Platform.ExitStatus waitpid(int pid, boolean block) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment status = a.allocate(ValueLayout.JAVA_INT);
            int options = block ? 0 : Posix.WNOHANG();
            long r = Native.retrying(() -> "waitpid(" + pid + ")",
                    st -> (int) Waitpid.MH.invokeExact(st, pid, status, options));
            if (r == 0) {
                return null;
            }
            int s = status.get(ValueLayout.JAVA_INT, 0);
            int low = s & 0x7f;
            if (low == 0) {
                return new Platform.ExitStatus((s >> 8) & 0xff, 0); // WIFEXITED, WEXITSTATUS
            }
            return new Platform.ExitStatus(-1, low); // WIFSIGNALED, WTERMSIG
        }
    }

    static void signal(int pid, int signal) throws IOException {
        Child child = CHILDREN.get(pid);
        if (child != null && child.status.isDone()) {
            return; // reaped: the pid may already name another process
        }
        long r = Native.attempt(st -> (int) Kill.MH.invokeExact(st, pid, signal));
        if (r < 0 && (int) -r != PosixErrno.ESRCH) {
            throw PosixErrno.exception("kill(" + pid + ", " + signal + ")", (int) -r);
        }
    }
}
