package org.multiprocessing4j.platform.windows;

import static java.nio.charset.StandardCharsets.UTF_16LE;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.windows.WindowsHandles.Kind;
import org.multiprocessing4j.platform.windows.bindings.JOBOBJECT_BASIC_LIMIT_INFORMATION;
import org.multiprocessing4j.platform.windows.bindings.JOBOBJECT_EXTENDED_LIMIT_INFORMATION;
import org.multiprocessing4j.platform.windows.bindings.PROCESS_INFORMATION;
import org.multiprocessing4j.platform.windows.bindings.STARTUPINFOEXW;
import org.multiprocessing4j.platform.windows.bindings.STARTUPINFOW;
import org.multiprocessing4j.platform.windows.bindings.Win32;

/**
 * Children: start, sentinels, exit, stop, and dying with the parent.
 *
 * <p><b>Spawn.</b> Each handle of the request and each standard handle is duplicated as an
 * inheritable handle for this spawn only (the caller's own handles never become inheritable, so
 * a concurrent {@code CreateProcessW} elsewhere in this JVM inherits nothing of ours unless it too
 * lists it); {@code CreateProcessW(bInheritHandles = TRUE)} with {@code STARTUPINFOEXW} whose
 * {@code PROC_THREAD_ATTRIBUTE_HANDLE_LIST} holds exactly those duplicates
 * ({@link WindowsSpawnPlan}), {@code STARTF_USESTDHANDLES}, {@code CREATE_UNICODE_ENVIRONMENT},
 * and {@code CREATE_SUSPENDED}; the child is put in this process's job, then resumed, and the
 * duplicates closed. The command line is {@link WindowsCommandLine}'s; the child reads its
 * handles' values from {@value WindowsSpawnPlan#VARIABLE}.
 *
 * <p><b>Dying with the parent.</b> The job ({@code CreateJobObjectW}, created on the first spawn,
 * never closed) has {@code JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE}: when this process ends, however it
 * ends, the kernel closes its last handle to the job and ends every process in it. Jobs nest
 * (Windows 8+), so a child's own children are in its job and in this one: they end with this
 * process too, where POSIX would let them outlive it. In the child, {@link #dieWithParent} only
 * checks that the parent is still the expected one (its creation time is before this process's)
 * and adds a thread that halts this process when the parent's process handle is signalled.
 *
 * <p><b>Sentinels, exit, stop.</b> The process handle from {@code CreateProcessW} is kept until
 * {@link #waitForExit} reaps (so the pid is not reused before); a sentinel is another handle
 * ({@code OpenProcess(SYNCHRONIZE)}), signalled when the process ends.
 * {@code GetExitCodeProcess} is decoded by {@link WindowsExitCodes}. A terminate or kill request
 * is {@code TerminateProcess} with {@code 0x10000} or {@code 0x10009} (read back as -15 and -9, as
 * CPython reports a terminated child). An interrupt is delivered to the child itself, as the
 * public package's operating-system mapping plans: {@code SetEvent} on the named event
 * {@link WindowsMemoryNames#interruptEventName} that the child's {@link #takeInterrupts} thread
 * waits on (it then reports the interrupt and exits through the shutdown hooks); a process that
 * has no such event yet (not started far enough, or not a child of this library) is ended with
 * {@code TerminateProcess(h, 0x10002)}, read back as {@code -2}, as POSIX's default action for
 * an unhandled interrupt would. Not a console control event: {@code CTRL_C_EVENT} cannot be sent
 * to one process group, and {@code CTRL_BREAK_EVENT} makes a JVM print a thread dump.
 * Thread-safe (a concurrent map of children). Loaded only on Windows; unproven (see the
 * package comment).
 */
final class WindowsProcesses {
    /** The exit code a child's stop handler exits with: this plus the signal number it reported. */
    static final int STOP_EXIT_BASE = 0x20000;
    /** The number an interrupt is reported with (CPython's {@code signal.SIGINT}). */
    static final int SIGINT = 2;
    /** {@code TerminateProcess} code of an interrupt the child could not take: read back as {@code -2}. */
    static final int INTERRUPTED = 0x10002;

    private static final ConcurrentHashMap<Integer, MemorySegment> CHILDREN = new ConcurrentHashMap<>();
    private static final MethodHandle CREATE_PROCESS =
            WindowsNative.capturing(Win32.CreateProcessW$address(), Win32.CreateProcessW$descriptor());
    private static final MethodHandle OPEN_PROCESS =
            WindowsNative.capturing(Win32.OpenProcess$address(), Win32.OpenProcess$descriptor());
    private static final MethodHandle INIT_ATTRIBUTES = WindowsNative.capturing(
            Win32.InitializeProcThreadAttributeList$address(), Win32.InitializeProcThreadAttributeList$descriptor());
    private static final MethodHandle UPDATE_ATTRIBUTE = WindowsNative.capturing(
            Win32.UpdateProcThreadAttribute$address(), Win32.UpdateProcThreadAttribute$descriptor());
    private static final MethodHandle ASSIGN =
            WindowsNative.capturing(Win32.AssignProcessToJobObject$address(), Win32.AssignProcessToJobObject$descriptor());
    private static final MethodHandle TERMINATE =
            WindowsNative.capturing(Win32.TerminateProcess$address(), Win32.TerminateProcess$descriptor());
    private static final MethodHandle EXIT_CODE =
            WindowsNative.capturing(Win32.GetExitCodeProcess$address(), Win32.GetExitCodeProcess$descriptor());
    private static final MethodHandle OPEN_EVENT =
            WindowsNative.capturing(Win32.OpenEventW$address(), Win32.OpenEventW$descriptor());

    private WindowsProcesses() {
    }

    /** The job every child joins; created once. */
    private static final class Job {
        static final MemorySegment HANDLE;
        static final IOException FAILURE;

        static {
            MemorySegment job = null;
            IOException failure = null;
            try {
                job = create();
            } catch (IOException e) {
                failure = e;
            }
            HANDLE = job;
            FAILURE = failure;
        }

        private static MemorySegment create() throws IOException {
            MemorySegment job = Win32.CreateJobObjectW(MemorySegment.NULL, MemorySegment.NULL);
            if (job.address() == 0) {
                throw new IOException("CreateJobObjectW failed: " + WindowsErrors.name(Win32.GetLastError()));
            }
            try (Arena scratch = Arena.ofConfined()) {
                MemorySegment info = JOBOBJECT_EXTENDED_LIMIT_INFORMATION.allocate(scratch);
                JOBOBJECT_BASIC_LIMIT_INFORMATION.LimitFlags(
                        JOBOBJECT_EXTENDED_LIMIT_INFORMATION.BasicLimitInformation(info),
                        Win32.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE());
                if (Win32.SetInformationJobObject(job, Win32.JobObjectExtendedLimitInformation(), info,
                        (int) JOBOBJECT_EXTENDED_LIMIT_INFORMATION.sizeof()) == 0) {
                    int error = Win32.GetLastError();
                    Win32.CloseHandle(job);
                    throw WindowsErrors.exception("SetInformationJobObject(KILL_ON_JOB_CLOSE)", error);
                }
            }
            return job;
        }

        static MemorySegment get() throws IOException {
            if (FAILURE != null) {
                throw new IOException(FAILURE.getMessage(), FAILURE);
            }
            return HANDLE;
        }
    }

    /** {@code Platform.spawn}. */
    static int spawn(Platform.SpawnRequest request) throws IOException {
        List<Handle> duplicates = new ArrayList<>();
        try (Arena scratch = Arena.ofConfined()) {
            Handle[] given = request.handles();
            long[] task = new long[given.length];
            for (int i = 0; i < given.length; i++) {
                Handle d = WindowsHandles.duplicate(given[i], true);
                duplicates.add(d);
                task[i] = d.value();
            }
            long[] standard = new long[3];
            int[] which = {Win32.STD_INPUT_HANDLE(), Win32.STD_OUTPUT_HANDLE(), Win32.STD_ERROR_HANDLE()};
            for (int i = 0; i < 3; i++) {
                MemorySegment s = Win32.GetStdHandle(which[i]);
                if (!WindowsNative.invalid(s)) {
                    Handle d = WindowsHandles.duplicate(WindowsNative.handle(s), true);
                    duplicates.add(d);
                    standard[i] = d.value();
                }
            }
            long[] list = WindowsSpawnPlan.handleList(task, standard);
            MemorySegment info = STARTUPINFOEXW.allocate(scratch);
            MemorySegment startup = STARTUPINFOEXW.StartupInfo(info);
            STARTUPINFOW.cb(startup, (int) STARTUPINFOEXW.sizeof());
            STARTUPINFOW.dwFlags(startup, Win32.STARTF_USESTDHANDLES());
            STARTUPINFOW.hStdInput(startup, MemorySegment.ofAddress(standard[0]));
            STARTUPINFOW.hStdOutput(startup, MemorySegment.ofAddress(standard[1]));
            STARTUPINFOW.hStdError(startup, MemorySegment.ofAddress(standard[2]));
            MemorySegment attributes = list.length == 0 ? MemorySegment.NULL : handleListAttribute(list, scratch);
            STARTUPINFOEXW.lpAttributeList(info, attributes);
            try {
                return create(request, info, list.length > 0, task, scratch);
            } finally {
                if (attributes.address() != 0) {
                    Win32.DeleteProcThreadAttributeList(attributes);
                }
            }
        } finally {
            for (Handle d : duplicates) {
                WindowsHandles.closeQuietly(d);
            }
        }
    }

    private static MemorySegment handleListAttribute(long[] list, Arena scratch) throws IOException {
        MemorySegment state = WindowsNative.state();
        try {
            MemorySegment size = scratch.allocate(ValueLayout.JAVA_LONG);
            // the first call asks for the size (and fails with ERROR_INSUFFICIENT_BUFFER by design)
            int ignored = (int) INIT_ATTRIBUTES.invokeExact(state, MemorySegment.NULL, 1, 0, size);
            MemorySegment attributes = scratch.allocate(size.get(ValueLayout.JAVA_LONG, 0), 8);
            if ((int) INIT_ATTRIBUTES.invokeExact(state, attributes, 1, 0, size) == 0) {
                throw WindowsNative.failure("InitializeProcThreadAttributeList(1)", state);
            }
            MemorySegment values = scratch.allocate(ValueLayout.ADDRESS, list.length);
            for (int i = 0; i < list.length; i++) {
                values.setAtIndex(ValueLayout.ADDRESS, i, MemorySegment.ofAddress(list[i]));
            }
            if ((int) UPDATE_ATTRIBUTE.invokeExact(state, attributes, 0,
                    Integer.toUnsignedLong(Win32.PROC_THREAD_ATTRIBUTE_HANDLE_LIST()), values, values.byteSize(),
                    MemorySegment.NULL, MemorySegment.NULL) == 0) {
                IOException e = WindowsNative.failure("UpdateProcThreadAttribute(HANDLE_LIST, " + list.length + ")", state);
                Win32.DeleteProcThreadAttributeList(attributes);
                throw e;
            }
            return attributes;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    private static int create(Platform.SpawnRequest request, MemorySegment info, boolean inherit, long[] task,
                              Arena scratch) throws IOException {
        List<String> args = request.arguments();
        String line = WindowsCommandLine.of(request.executable(), args.isEmpty() ? args : args.subList(1, args.size()));
        MemorySegment commandLine = scratch.allocateFrom(line, UTF_16LE);   // CreateProcessW may write to it
        MemorySegment environment = scratch.allocateFrom(
                WindowsSpawnPlan.environmentBlock(request.environment(), task, Win32.GetCurrentProcessId()), UTF_16LE);
        MemorySegment process = PROCESS_INFORMATION.allocate(scratch);
        int flags = Win32.EXTENDED_STARTUPINFO_PRESENT() | Win32.CREATE_UNICODE_ENVIRONMENT()
                        | Win32.CREATE_SUSPENDED();
        MemorySegment state = WindowsNative.state();
        try {
            if ((int) CREATE_PROCESS.invokeExact(state, scratch.allocateFrom(request.executable(), UTF_16LE), commandLine,
                    MemorySegment.NULL, MemorySegment.NULL, inherit ? 1 : 0, flags, environment, MemorySegment.NULL,
                    info, process) == 0) {
                throw WindowsNative.failure("CreateProcessW(\"" + request.executable() + "\")", state);
            }
            MemorySegment h = PROCESS_INFORMATION.hProcess(process);
            MemorySegment thread = PROCESS_INFORMATION.hThread(process);
            int pid = PROCESS_INFORMATION.dwProcessId(process);
            try {
                if ((int) ASSIGN.invokeExact(state, Job.get(), h) == 0) {
                    IOException e = WindowsNative.failure("AssignProcessToJobObject(" + pid + ")", state);
                    Win32.TerminateProcess(h, WindowsExitCodes.KILL);
                    Win32.CloseHandle(h);
                    throw e;
                }
                CHILDREN.put(pid, h);
                Win32.ResumeThread(thread);
            } finally {
                Win32.CloseHandle(thread);
            }
            return pid;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** {@code Platform.openProcessHandle}: {@code OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION)}. */
    static Handle openProcessHandle(int pid) throws IOException {
        MemorySegment h = open(pid, Win32.SYNCHRONIZE() | Win32.PROCESS_QUERY_LIMITED_INFORMATION());
        return WindowsHandles.register(WindowsNative.handle(h), Kind.OBJECT);
    }

    private static MemorySegment open(int pid, int access) throws IOException {
        MemorySegment state = WindowsNative.state();
        try {
            MemorySegment h = (MemorySegment) OPEN_PROCESS.invokeExact(state, access, 0, pid);
            if (h.address() == 0) {
                throw WindowsNative.failure("OpenProcess(" + pid + ")", state);
            }
            return h;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** {@code Platform.waitForExit}: {@code WaitForSingleObject}, {@code GetExitCodeProcess}. */
    static Platform.ExitStatus waitForExit(int pid, boolean block) throws IOException {
        MemorySegment h = CHILDREN.get(pid);
        if (h == null) {
            throw new IOException("process " + pid + " is not an unreaped child of this process");
        }
        int w = Win32.WaitForSingleObject(h, block ? Win32.INFINITE() : 0);
        if (w == Win32.WAIT_TIMEOUT()) {
            return null;
        }
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment code = scratch.allocate(ValueLayout.JAVA_INT);
            if (w != Win32.WAIT_OBJECT_0() || (int) EXIT_CODE.invokeExact(state, h, code) == 0) {
                throw WindowsNative.failure("GetExitCodeProcess(" + pid + ")", state);
            }
            if (CHILDREN.remove(pid, h)) {
                Win32.CloseHandle(h);
            }
            int exit = code.get(ValueLayout.JAVA_INT, 0);
            return exit == INTERRUPTED ? new Platform.ExitStatus(0, SIGINT) : WindowsExitCodes.decode(exit);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** {@code Platform.stop}; an ended process is not an error. */
    static void stop(int pid, Platform.Stop how) throws IOException {
        MemorySegment state = WindowsNative.state();
        try {
            if (how == Platform.Stop.INTERRUPT && interrupt(pid)) {
                return;
            }
            MemorySegment h = CHILDREN.get(pid);
            boolean own = h == null;
            if (own) {
                h = open(pid, Win32.PROCESS_TERMINATE() | Win32.SYNCHRONIZE());
            }
            try {
                int code = how == Platform.Stop.INTERRUPT ? INTERRUPTED : WindowsExitCodes.terminateCode(how);
                if ((int) TERMINATE.invokeExact(state, h, code) == 0
                        && Win32.WaitForSingleObject(h, 0) != Win32.WAIT_OBJECT_0()) {
                    throw WindowsNative.failure("TerminateProcess(" + pid + ")", state);
                }
            } finally {
                if (own) {
                    Win32.CloseHandle(h);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** {@return whether the interrupt event of {@code pid} exists and was set} */
    private static boolean interrupt(int pid) throws IOException {
        MemorySegment h = open(pid, Win32.PROCESS_QUERY_LIMITED_INFORMATION());
        long created;
        try {
            created = WindowsLiveness.creationMillis(h);
        } finally {
            Win32.CloseHandle(h);
        }
        if (created < 0) {
            return false;
        }
        String name = WindowsMemoryNames.interruptEventName(pid, created);
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment event = (MemorySegment) OPEN_EVENT.invokeExact(state, Win32.EVENT_MODIFY_STATE(), 0,
                    scratch.allocateFrom(name, UTF_16LE));
            if (event.address() == 0) {
                if (WindowsNative.lastError(state) == Win32.ERROR_FILE_NOT_FOUND()) {
                    return false;
                }
                throw WindowsNative.failure("OpenEventW(\"" + name + "\")", state);
            }
            try {
                return Win32.SetEvent(event) != 0;
            } finally {
                Win32.CloseHandle(event);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /**
     * Takes interrupt requests for this process: creates its interrupt event (auto-reset,
     * current-user DACL) and a daemon thread that waits on it and, when it is set, calls
     * {@code beforeExit} with {@value #SIGINT} and exits with {@code STOP_EXIT_BASE + 2}.
     * Does nothing if the event cannot be created (interrupts then end this process as a kill
     * would, reported {@code -2}).
     */
    static void takeInterrupts(java.util.function.IntConsumer beforeExit) {
        String name = WindowsMemoryNames.interruptEventName(Win32.GetCurrentProcessId(),
                WindowsLiveness.creationMillis(Win32.GetCurrentProcess()));
        MemorySegment event;
        try (Arena scratch = Arena.ofConfined()) {
            event = Win32.CreateEventW(WindowsSecurity.currentUserOnly(), 0, 0, scratch.allocateFrom(name, UTF_16LE));
        } catch (IOException e) {
            return;
        }
        if (event.address() == 0) {
            return;
        }
        Thread.ofPlatform().daemon().name("mp4j-interrupts").start(() -> {
            if (Win32.WaitForSingleObject(event, Win32.INFINITE()) == Win32.WAIT_OBJECT_0()) {
                beforeExit.accept(SIGINT);
                System.exit(STOP_EXIT_BASE + SIGINT);
            }
        });
    }

    /** {@code Platform.signalName}: the names CPython's {@code signal} module gives on Windows. */
    static String signalName(int signal) {
        return switch (signal) {
            case SIGINT -> "SIGINT";
            case WindowsExitCodes.SIGKILL -> "SIGKILL";
            case WindowsExitCodes.SIGTERM -> "SIGTERM";
            default -> "signal " + signal;
        };
    }

    /** {@code Platform.dieWithParent}: see the class comment. */
    static boolean dieWithParent(int parentPid) throws IOException {
        MemorySegment parent;
        try {
            parent = open(parentPid, Win32.SYNCHRONIZE() | Win32.PROCESS_QUERY_LIMITED_INFORMATION());
        } catch (java.nio.file.AccessDeniedException e) {
            throw e;
        } catch (IOException e) {
            return false;   // no such process any more
        }
        long parentCreated = WindowsLiveness.creationMillis(parent);
        long selfCreated = WindowsLiveness.creationMillis(Win32.GetCurrentProcess());
        if (Win32.WaitForSingleObject(parent, 0) == Win32.WAIT_OBJECT_0()
                || (parentCreated >= 0 && selfCreated >= 0 && parentCreated > selfCreated)) {
            Win32.CloseHandle(parent);
            return false;   // ended, or the pid names a process younger than this one
        }
        Thread.ofPlatform().daemon().name("mp4j-parent-death").start(() -> {
            Win32.WaitForSingleObject(parent, Win32.INFINITE());
            Runtime.getRuntime().halt(WindowsExitCodes.KILL);
        });
        return true;
    }

    /** {@code Platform.afterStopReport}: the stop handler's exit code back to "ended by that signal". */
    static Platform.ExitStatus afterStopReport(Platform.ExitStatus status, int reportedSignal) {
        if (reportedSignal != 0 && status.signal() == 0 && status.exitCode() == STOP_EXIT_BASE + reportedSignal) {
            return new Platform.ExitStatus(0, reportedSignal);
        }
        return status;
    }
}
