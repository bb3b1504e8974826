package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.linux.LinuxCalls.asPointer;
import static org.multiprocessing4j.platform.posix.bindings.Posix.C_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.multiprocessing4j.platform.linux.LinuxCalls.Sys;
import org.multiprocessing4j.platform.linux.bindings.Libc;
import org.multiprocessing4j.platform.posix.Native;
import org.multiprocessing4j.platform.posix.PosixErrno;
import org.multiprocessing4j.platform.posix.PosixIo;
import org.multiprocessing4j.platform.posix.bindings.Posix;
import org.multiprocessing4j.platform.posix.bindings.posix_spawn_file_actions_t;
import org.multiprocessing4j.platform.posix.bindings.posix_spawnattr_t;
import org.multiprocessing4j.platform.posix.bindings.sigset_t;

/**
 * What Linux does better than the posix backend with processes: this process's and its
 * parent's pid in the {@code syscall(2)} shape a child has linked already, {@code posix_spawn}
 * with an exact set of descriptors ({@code posix_spawn_file_actions_addclosefrom_np}: no gate,
 * no scan of open descriptors), pidfd sentinels (no reaper thread per child) and the
 * parent-death signal ({@code prctl(PR_SET_PDEATHSIG)}, no watchdog thread). Reaping, stop
 * requests, signal names and the stop handlers are the posix backend's. Thread-safe.
 *
 * <p>Spawning: {@code posix_spawn} runs on one dedicated, never-ending platform thread, because
 * Linux's parent-death signal fires when the <em>thread</em> that created a child ends; children
 * therefore outlive the user thread that started them and die only with this process.
 */
final class LinuxProcesses {
    /** {@code long syscall(long n, long a, long b)}. */
    private static final class Syscall2 {
        static final MethodHandle MH = Linker.nativeLinker().downcallHandle(Libc.syscall.address(),
                FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    }

    /** The descriptor a child gets its first inherited handle as; the others follow it. */
    static final int FIRST_INHERITED_FD = 3;

    private final LinuxArch.Syscalls syscalls;
    private final LinuxIo io;
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "mp4j-spawner");
        t.setDaemon(true);
        return t;
    });

    LinuxProcesses(LinuxArch arch, LinuxIo io) {
        this.syscalls = arch.syscalls();
        this.io = io;
    }

    /** {@return this process's pid (getpid)} */
    int pid() {
        return (int) Native.attempt(st -> (long) Sys.MH.invokeExact(st, syscalls.getpid(), 0L,
                MemorySegment.NULL, 0L, 0L, 0L, 0L));
    }

    /** {@return the parent's pid as the kernel reports it now (getppid)} */
    int parentPid() {
        return (int) Native.attempt(st -> (long) Sys.MH.invokeExact(st, syscalls.getppid(), 0L,
                MemorySegment.NULL, 0L, 0L, 0L, 0L));
    }

    /**
     * Starts {@code executable}: descriptors 0-2 of this process, then {@code descriptors[i]} as
     * {@code FIRST_INHERITED_FD + i}, every other descriptor closed, an empty signal mask, default dispositions.
     *
     * @return the child's pid
     */
    int spawn(String executable, List<String> arguments, List<String> environment,
              int[] descriptors) throws IOException {
        Callable<Integer> call = () -> spawnOnThisThread(executable, arguments, environment,
                descriptors);
        Future<Integer> f = spawner.submit(call);
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the spawn is already under way: finish it, keep the flag
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw Native.rethrow(e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private int spawnOnThisThread(String executable, List<String> arguments,
                                  List<String> environment, int[] sources) throws IOException {
        int n = sources.length;
        int[] moved = new int[n];
        try (Arena a = Arena.ofConfined()) {
            // Sources inside the target range 3..3+n-1 could be overwritten by an earlier dup2:
            // move every source above the range first (closed again below).
            int first = FIRST_INHERITED_FD;
            for (int i = 0; i < n; i++) {
                moved[i] = PosixIo.duplicateAbove(sources[i], first + n);
            }
            MemorySegment actions = posix_spawn_file_actions_t.allocate(a);
            MemorySegment attr = posix_spawnattr_t.allocate(a);
            check("posix_spawn_file_actions_init", Posix.posix_spawn_file_actions_init(actions));
            check("posix_spawnattr_init", Posix.posix_spawnattr_init(attr));
            try {
                for (int i = 0; i < n; i++) {
                    check("posix_spawn_file_actions_adddup2",
                            Posix.posix_spawn_file_actions_adddup2(actions, moved[i], first + i));
                }
                check("posix_spawn_file_actions_addclosefrom_np",
                        Libc.posix_spawn_file_actions_addclosefrom_np(actions, first + n));
                MemorySegment none = sigset_t.allocate(a);
                MemorySegment all = sigset_t.allocate(a);
                Posix.sigemptyset(none);
                Posix.sigfillset(all);
                check("posix_spawnattr_setsigmask", Posix.posix_spawnattr_setsigmask(attr, none));
                check("posix_spawnattr_setsigdefault", Posix.posix_spawnattr_setsigdefault(attr, all));
                check("posix_spawnattr_setflags", Posix.posix_spawnattr_setflags(attr,
                        (short) (Posix.POSIX_SPAWN_SETSIGMASK() | Posix.POSIX_SPAWN_SETSIGDEF())));
                MemorySegment pid = a.allocate(ValueLayout.JAVA_INT);
                MemorySegment path = a.allocateFrom(executable);
                MemorySegment argv = Native.cStrings(a, arguments);
                MemorySegment envp = Native.cStrings(a, environment);
                int r = Posix.posix_spawn(pid, path, actions, attr, argv, envp);
                if (r != 0) {
                    throw PosixErrno.exception("posix_spawn(\"" + executable + "\")", r);
                }
                return pid.get(ValueLayout.JAVA_INT, 0);
            } finally {
                Posix.posix_spawn_file_actions_destroy(actions);
                Posix.posix_spawnattr_destroy(attr);
            }
        } finally {
            for (int m : moved) {
                if (m > 0) {
                    io.close(m);
                }
            }
        }
    }

    private static void check(String call, int result) throws IOException {
        Native.check(call, result);
    }

    /** {@return a pidfd of {@code pid} (close-on-exec), readable once it has exited} */
    int openProcessHandle(int pid) throws IOException {
        return (int) Native.retrying(() -> "pidfd_open(" + pid + ")",
                st -> (long) Syscall2.MH.invokeExact(st, (long) Libc.SYS_pidfd_open(), (long) pid,
                        0L));
    }

    /** {@code PR_SET_PDEATHSIG(SIGKILL)}, then whether the parent is still {@code parentPid}. */
    boolean dieWithParent(int parentPid) throws IOException {
        setParentDeathSignal(Posix.SIGKILL());
        return parentPid() == parentPid; // else the parent died before the line above
    }

    /** {@code prctl(PR_SET_PDEATHSIG, signal)}. */
    void setParentDeathSignal(int signal) throws IOException {
        Native.retrying(() -> "prctl(PR_SET_PDEATHSIG, " + signal + ")",
                st -> (long) Sys.MH.invokeExact(st, syscalls.prctl(),
                        (long) Libc.PR_SET_PDEATHSIG(), asPointer(signal), 0L, 0L, 0L, 0L));
    }
}
