package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.linux.Calls.asPointer;
import static org.multiprocessing4j.platform.linux.Calls.rethrow;
import static org.multiprocessing4j.platform.linux.bindings.Libc.C_LONG;
import static org.multiprocessing4j.platform.linux.bindings.Libc.C_POINTER;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.Platform.ExitStatus;
import org.multiprocessing4j.platform.linux.Calls.Sys;
import org.multiprocessing4j.platform.linux.bindings.Libc;
import org.multiprocessing4j.platform.linux.bindings.posix_spawn_file_actions_t;
import org.multiprocessing4j.platform.linux.bindings.posix_spawnattr_t;
import org.multiprocessing4j.platform.linux.bindings.sigset_t;

/**
 * Processes on Linux: this process's and its parent's pid, {@code posix_spawn} with an exact set
 * of descriptors, pidfd sentinels, {@code waitpid} and its status, stop requests as signals
 * ({@code kill}) and their names, the handlers that report a SIGINT/SIGTERM before exiting with
 * {@code 128 + N}, and the parent-death signal. Thread-safe.
 *
 * <p>Spawning: {@code posix_spawn} runs on one dedicated, never-ending platform thread, because
 * Linux's parent-death signal fires when the <em>thread</em> that created a child ends; children
 * therefore outlive the user thread that started them and die only with this process.
 */
final class LinuxProcesses {
    private static final class Waitpid {
        static final MethodHandle MH = Calls.errno(Libc.waitpid$address(), Libc.waitpid$descriptor());
    }

    private static final class Kill {
        static final MethodHandle MH = Calls.errno(Libc.kill$address(), Libc.kill$descriptor());
    }

    /** {@code long syscall(long n, long a, long b)}. */
    private static final class Syscall2 {
        static final MethodHandle MH = Calls.LINKER.downcallHandle(Libc.syscall.address(),
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
        return (int) Calls.once(st -> (long) Sys.MH.invokeExact(st, syscalls.getpid(), 0L,
                MemorySegment.NULL, 0L, 0L, 0L, 0L));
    }

    /** {@return the parent's pid as the kernel reports it now (getppid)} */
    int parentPid() {
        return (int) Calls.once(st -> (long) Sys.MH.invokeExact(st, syscalls.getppid(), 0L,
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
            throw rethrow(e.getCause());
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
                moved[i] = io.duplicateAbove(sources[i], first + n);
            }
            MemorySegment actions = posix_spawn_file_actions_t.allocate(a);
            MemorySegment attr = posix_spawnattr_t.allocate(a);
            check("posix_spawn_file_actions_init", Libc.posix_spawn_file_actions_init(actions));
            check("posix_spawnattr_init", Libc.posix_spawnattr_init(attr));
            try {
                for (int i = 0; i < n; i++) {
                    check("posix_spawn_file_actions_adddup2",
                            Libc.posix_spawn_file_actions_adddup2(actions, moved[i], first + i));
                }
                check("posix_spawn_file_actions_addclosefrom_np",
                        Libc.posix_spawn_file_actions_addclosefrom_np(actions, first + n));
                MemorySegment none = sigset_t.allocate(a);
                MemorySegment all = sigset_t.allocate(a);
                Libc.sigemptyset(none);
                Libc.sigfillset(all);
                check("posix_spawnattr_setsigmask", Libc.posix_spawnattr_setsigmask(attr, none));
                check("posix_spawnattr_setsigdefault", Libc.posix_spawnattr_setsigdefault(attr, all));
                check("posix_spawnattr_setflags", Libc.posix_spawnattr_setflags(attr,
                        (short) (Libc.POSIX_SPAWN_SETSIGMASK() | Libc.POSIX_SPAWN_SETSIGDEF())));
                MemorySegment pid = a.allocate(ValueLayout.JAVA_INT);
                MemorySegment path = a.allocateFrom(executable);
                MemorySegment argv = cStrings(a, arguments);
                MemorySegment envp = cStrings(a, environment);
                int r = Libc.posix_spawn(pid, path, actions, attr, argv, envp);
                if (r != 0) {
                    throw Errno.exception("posix_spawn(\"" + executable + "\")", r);
                }
                return pid.get(ValueLayout.JAVA_INT, 0);
            } finally {
                Libc.posix_spawn_file_actions_destroy(actions);
                Libc.posix_spawnattr_destroy(attr);
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
        if (result != 0) {
            throw Errno.exception(call, result);
        }
    }

    private static MemorySegment cStrings(SegmentAllocator a, List<String> strings) {
        MemorySegment array = a.allocate(C_POINTER, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(C_POINTER, i, a.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(C_POINTER, strings.size(), MemorySegment.NULL);
        return array;
    }

    /** {@return a pidfd of {@code pid} (close-on-exec), readable once it has exited} */
    int openProcessHandle(int pid) throws IOException {
        return (int) Calls.orThrow("pidfd_open(" + pid + ")",
                st -> (long) Syscall2.MH.invokeExact(st, (long) Libc.SYS_pidfd_open(), (long) pid,
                        0L));
    }

    /**
     * {@code waitpid}, decoding the status.
     *
     * @return the exit status, or null if {@code block} is false and the child still runs
     */
    ExitStatus waitForExit(int pid, boolean block) throws IOException {
        return Calls.inArena(a -> {
            MemorySegment status = a.allocate(ValueLayout.JAVA_INT);
            long r = Calls.orThrow("waitpid(" + pid + ")", st -> (int) Waitpid.MH.invokeExact(st,
                    pid, status, block ? 0 : Libc.WNOHANG()));
            if (r == 0) {
                return null;
            }
            int s = status.get(ValueLayout.JAVA_INT, 0);
            int low = s & 0x7f;
            if (low == 0) {
                return new ExitStatus((s >> 8) & 0xff, 0); // WIFEXITED, WEXITSTATUS
            }
            return new ExitStatus(-1, low); // WIFSIGNALED, WTERMSIG
        });
    }

    /** {@code kill(pid, signal)}; a process already gone is not an error. */
    void signal(int pid, int signal) throws IOException {
        long r = Calls.once(st -> (int) Kill.MH.invokeExact(st, pid, signal));
        if (r != 0 && Calls.lastErrno() != Errno.ESRCH) {
            throw Errno.exception("kill(" + pid + ", " + signal + ")", Calls.lastErrno());
        }
    }

    /** {@return the signal that carries {@code how}} */
    static int signalOf(Platform.Stop how) {
        return switch (how) {
            case INTERRUPT -> Libc.SIGINT();
            case TERMINATE -> Libc.SIGTERM();
            case KILL -> Libc.SIGKILL();
        };
    }

    /** {@code kill(pid, signal of how)}; a process already gone is not an error. */
    void stop(int pid, Platform.Stop how) throws IOException {
        signal(pid, signalOf(how));
    }

    /** Names of the signals a process of ours is likely to end by. */
    private static final Map<Integer, String> SIGNAL_NAMES = Map.ofEntries(
            Map.entry(Libc.SIGHUP(), "SIGHUP"), Map.entry(Libc.SIGINT(), "SIGINT"),
            Map.entry(Libc.SIGQUIT(), "SIGQUIT"), Map.entry(Libc.SIGABRT(), "SIGABRT"),
            Map.entry(Libc.SIGKILL(), "SIGKILL"), Map.entry(Libc.SIGUSR1(), "SIGUSR1"),
            Map.entry(Libc.SIGSEGV(), "SIGSEGV"), Map.entry(Libc.SIGUSR2(), "SIGUSR2"),
            Map.entry(Libc.SIGPIPE(), "SIGPIPE"), Map.entry(Libc.SIGTERM(), "SIGTERM"),
            Map.entry(Libc.SIGCHLD(), "SIGCHLD"));

    /** {@return {@code "SIGTERM"} for 15, …; {@code "signal N"} for one without a name here} */
    static String signalName(int signal) {
        String name = SIGNAL_NAMES.get(signal);
        return name != null ? name : "signal " + signal;
    }

    /** {@code PR_SET_PDEATHSIG(SIGKILL)}, then whether the parent is still {@code parentPid}. */
    boolean dieWithParent(int parentPid) throws IOException {
        setParentDeathSignal(Libc.SIGKILL());
        return parentPid() == parentPid; // else the parent died before the line above
    }

    /**
     * The exit status a process uses after reporting a handled signal: {@code 128 + N}, what a
     * POSIX shell reports for a process killed by signal N.
     */
    private static int exitCodeAfter(int signal) {
        return 128 + signal;
    }

    /**
     * Installs handlers for SIGINT and SIGTERM that call {@code beforeExit} with the signal's
     * number and then {@code System.exit(128 + N)}. Uses {@code sun.misc.Signal} (module
     * jdk.unsupported) reflectively: javac flags any direct use as proprietary API with a warning
     * that cannot be suppressed. A signal the JVM reserves (for example with {@code -Xrs}) keeps
     * its default behaviour.
     */
    void handleStopRequests(IntConsumer beforeExit) {
        handleSignal("INT", Libc.SIGINT(), beforeExit);
        handleSignal("TERM", Libc.SIGTERM(), beforeExit);
    }

    private static void handleSignal(String name, int number, IntConsumer beforeExit) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object h = Proxy.newProxyInstance(LinuxProcesses.class.getClassLoader(),
                    new Class<?>[] {handler}, (proxy, method, margs) -> {
                        switch (method.getName()) {
                            case "handle" -> {
                                beforeExit.accept(number);
                                System.exit(exitCodeAfter(number));
                                return null;
                            }
                            case "hashCode" -> {
                                return System.identityHashCode(proxy);
                            }
                            case "equals" -> {
                                return proxy == margs[0];
                            }
                            default -> {
                                return "mp4j-" + name + "-handler";
                            }
                        }
                    });
            Object sig = signal.getConstructor(String.class).newInstance(name);
            signal.getMethod("handle", signal, handler).invoke(null, sig, h);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // the JVM reserves the signal (for example with -Xrs): keep the default behaviour
        }
    }

    /** A {@code 128 + N} exit after a report of N is an end by signal N; the rest as it is. */
    static ExitStatus afterStopReport(ExitStatus status, int reportedSignal) {
        if (reportedSignal > 0 && status.signal() == 0
                && status.exitCode() == exitCodeAfter(reportedSignal)) {
            return new ExitStatus(-1, reportedSignal);
        }
        return status;
    }

    /** {@code prctl(PR_SET_PDEATHSIG, signal)}. */
    void setParentDeathSignal(int signal) throws IOException {
        Calls.orThrow("prctl(PR_SET_PDEATHSIG, " + signal + ")",
                st -> (long) Sys.MH.invokeExact(st, syscalls.prctl(),
                        (long) Libc.PR_SET_PDEATHSIG(), asPointer(signal), 0L, 0L, 0L, 0L));
    }
}
