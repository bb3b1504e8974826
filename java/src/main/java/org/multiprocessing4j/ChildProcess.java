package org.multiprocessing4j;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.internal.jfr.ChildExitEvent;
import org.multiprocessing4j.internal.jfr.ChildStartEvent;
import org.multiprocessing4j.internal.launch.CurrentProcess;
import org.multiprocessing4j.internal.launch.Launcher;
import org.multiprocessing4j.internal.task.TaskStreams;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * A task running in another JVM process (Python's {@code multiprocessing.Process}).
 *
 * <pre>{@code
 * try (ChildProcess p = new ChildProcess(() -> System.out.println("hello from a child"))) {
 *     p.start();
 *     p.join();
 *     System.out.println(p.exitCode()); // OptionalInt[0]
 * }
 * }</pre>
 *
 * <h2>Life cycle</h2>
 * Created unstarted; {@link #start()} once (a second call throws); {@link #join()} waits for the
 * end; {@link #close()} releases the OS handles and is refused while the child runs. The task and
 * everything it captures are serialized in {@code start()}, in the caller's thread: a task that
 * cannot be serialized throws there and no process is started.
 *
 * <h2>Exit codes (as Python)</h2>
 * {@link #exitCode()} is empty while the child runs, then 0 after a normal return, the value
 * passed to {@code System.exit}, 1 after an uncaught exception (its stack trace is printed on the
 * child's stderr and the exception is available from {@link #failure()}), or {@code -N} when the
 * OS ended the child, N being the number of what ended it — including a terminate request and an
 * interrupt, which let the child run its shutdown hooks first and are still reported as such.
 * What N is for each, and for a crash, is in the
 * {@linkplain org.multiprocessing4j##os-mapping OS mapping}.
 *
 * <h2>Daemons and exit</h2>
 * When this JVM exits normally, daemonic children are terminated and then every child is joined
 * (Python's at-exit behaviour). A daemonic child cannot start children. If this JVM dies without
 * running its exit hooks (a kill, a crash), every child notices within a second — through the
 * OS's notice of its parent's death and end of stream on its bootstrap socket (see the
 * {@linkplain org.multiprocessing4j##os-mapping OS mapping}) — and exits.
 *
 * <h2>Thread safety</h2>
 * All methods are thread-safe. The thread that calls {@code start()} may end while the child runs.
 */
public final class ChildProcess implements AutoCloseable {
    static {
        Access.setChildProcess(ChildProcess::exitingOnSignal);
    }

    private static final Platform OS = Platform.current();
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Set<ChildProcess> LIVE = ConcurrentHashMap.newKeySet();
    private static final Object HOOK_LOCK = new Object();
    private static boolean hookInstalled; // guarded by HOOK_LOCK

    private final Multiprocessing context;
    private final Task task;
    private final int[] identity;
    private String name;
    private boolean daemon;

    private final Object lock = new Object();
    // guarded by lock
    private State state = State.NEW;
    private int pid = -1;
    private Launcher.Launched launched;
    private Platform.ExitStatus exitStatus;
    private RemoteTaskException failure;

    private enum State { NEW, STARTED, ENDED, CLOSED }

    /**
     * Creates an unstarted child that will run {@code task} in the default context.
     *
     * @param task what the child runs; serialized in {@link #start()}
     * @throws NullPointerException if {@code task} is null
     */
    public ChildProcess(Task task) {
        this(Multiprocessing.context(), task);
    }

    ChildProcess(Multiprocessing context, Task task) {
        this.context = Objects.requireNonNull(context, "context");
        this.task = Objects.requireNonNull(task, "task");
        int[] parent = CurrentProcess.identity();
        this.identity = java.util.Arrays.copyOf(parent, parent.length + 1);
        this.identity[parent.length] = COUNTER.incrementAndGet();
        StringBuilder sb = new StringBuilder("Process-");
        for (int i = 0; i < identity.length; i++) {
            sb.append(i == 0 ? "" : ":").append(identity[i]);
        }
        this.name = sb.toString();
        this.daemon = CurrentProcess.info().daemon();
    }

    // ------------------------------------------------------------------ properties

    /** {@return the name: {@code Process-N} (or {@code Process-N:M} in a child) unless set} */
    public String name() {
        synchronized (lock) {
            return name;
        }
    }

    /**
     * Sets the name the child sees as {@code currentProcess().name()}; before {@link #start()}.
     *
     * @param name the new name, at most 10000 characters
     * @return this
     * @throws IllegalArgumentException if the name is longer
     * @throws IllegalStateException if already started
     */
    public ChildProcess setName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.length() > 10_000) {
            throw new IllegalArgumentException("a process name is limited to 10000 characters, got "
                    + name.length());
        }
        synchronized (lock) {
            requireState(State.NEW, "the name cannot change after start()");
            this.name = name;
        }
        return this;
    }

    /** {@return whether the child is daemonic (inherited from the creating process by default)} */
    public boolean daemon() {
        synchronized (lock) {
            return daemon;
        }
    }

    /**
     * Marks the child daemonic (terminated when this JVM exits) or not; before {@link #start()}.
     *
     * @param daemon the flag
     * @return this
     * @throws IllegalStateException if already started
     */
    public ChildProcess setDaemon(boolean daemon) {
        synchronized (lock) {
            requireState(State.NEW, "the daemon flag cannot change after start()");
            this.daemon = daemon;
        }
        return this;
    }

    /**
     * {@return the child's OS process id}
     *
     * @throws IllegalStateException if not started
     */
    public int pid() {
        synchronized (lock) {
            if (state == State.NEW) {
                throw new IllegalStateException(name + " has not been started");
            }
            return pid;
        }
    }

    // ------------------------------------------------------------------ start

    /**
     * Starts the child: serializes the task (in this thread), starts a JVM with the same class
     * path and module path — or, with the {@code forkserver} start method, takes an idle one
     * started ahead of time — and passes it the task and the descriptors of the connections the
     * task captured. Returns once the child process exists; it runs the task asynchronously.
     *
     * @throws IllegalStateException if already started or closed, or if this process is a daemon
     * @throws IllegalArgumentException if the task captures something that cannot be serialized
     *     (no process is started)
     * @throws IOException if the OS cannot start the process
     */
    public void start() throws IOException {
        TaskStreams.Encoded encoded;
        activeChildren(); // reaps children that ended unjoined, like Python; outside our lock
        // allocated only while a recording has the event enabled (internal.jfr)
        ChildStartEvent event = ChildStartEvent.PROBE.isEnabled() ? new ChildStartEvent() : null;
        if (event != null) {
            event.begin();
        }
        synchronized (lock) {
            requireState(State.NEW, name + " has already been started");
            if (CurrentProcess.info().daemon()) {
                throw new IllegalStateException("daemonic processes are not allowed to have children");
            }
            encoded = TaskStreams.encode(task);
            Launcher.Spec spec = new Launcher.Spec(name, identity, daemon, encoded,
                    context.jvmOptions(), context.preload(), context.idleChildren(),
                    context.maxIdleChildren(), taskClasses(task));
            launched = Launcher.forMethod(context.startMethod()).launch(spec);
            pid = launched.pid();
            state = State.STARTED;
            LIVE.add(this);
        }
        if (event != null && event.shouldCommit()) {
            event.name = name;
            event.startMethod = context.startMethod();
            event.pid = pid;
            event.commit();
        }
        installExitHook();
    }

    /** The task's class and, for a lambda (a hidden class), the class that wrote it. */
    private static List<String> taskClasses(Task task) {
        List<String> names = new ArrayList<>(2);
        Class<?> c = task.getClass();
        if (!c.isHidden()) {
            names.add(c.getName());
        }
        Class<?> host = c.getNestHost();
        if (host != c && !host.isHidden()) {
            names.add(host.getName());
        }
        return names;
    }

    // ------------------------------------------------------------------ waiting

    /**
     * Waits until the child ends (returns at once if it has).
     *
     * @throws IllegalStateException if not started or closed
     * @throws InterruptedException if interrupted while waiting (the child keeps running)
     * @throws IOException on OS error
     */
    public void join() throws InterruptedException, IOException {
        join(null);
    }

    /**
     * Waits until the child ends or {@code timeout} passes (Python's {@code join(timeout)}).
     *
     * @param timeout how long; {@code null} waits forever
     * @return {@code true} if the child has ended
     * @throws IllegalStateException if not started or closed
     * @throws InterruptedException if interrupted while waiting (the child keeps running)
     * @throws IOException on OS error
     */
    public boolean join(Duration timeout) throws InterruptedException, IOException {
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        Descriptor sentinel;
        synchronized (lock) {
            requireStarted();
            if (state == State.ENDED) {
                return true;
            }
            sentinel = launched.sentinel();
        }
        for (;;) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            long slice = 50_000_000L; // wake now and then to honour interruption
            if (timeout != null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return reap(false);
                }
                slice = Math.min(slice, left);
            }
            boolean ended;
            Handle h = sentinel.acquire();
            try {
                ended = OS.awaitReadable(h, slice);
            } finally {
                sentinel.release();
            }
            if (ended) {
                return reap(true);
            }
        }
    }

    /**
     * {@return whether the child has started and not yet ended} Reaps it if it has ended.
     *
     * @throws IllegalStateException if closed
     */
    public boolean isAlive() {
        synchronized (lock) {
            if (state == State.CLOSED) {
                throw closed();
            }
            if (state == State.NEW) {
                return false;
            }
        }
        try {
            return !reap(false);
        } catch (IOException e) {
            throw new IllegalStateException("cannot query " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@return the exit code (see the class comment), empty while the child runs or before start}
     *
     * @throws IllegalStateException if closed
     */
    public OptionalInt exitCode() {
        if (!isAlive()) {
            synchronized (lock) {
                if (exitStatus != null) {
                    return OptionalInt.of(exitStatus.pythonExitCode());
                }
            }
        }
        return OptionalInt.empty();
    }

    /**
     * {@return the exception that ended the child's task, with the remote stack trace; empty if
     * the child has not ended or its task did not throw}
     *
     * @throws IllegalStateException if closed
     */
    public Optional<RemoteTaskException> failure() {
        isAlive();
        synchronized (lock) {
            return Optional.ofNullable(failure);
        }
    }

    /**
     * {@return a waitable handle that is ready once the child has ended, for
     * {@link Connection#wait}}
     *
     * @throws IllegalStateException if not started or closed
     */
    public Sentinel sentinel() {
        synchronized (lock) {
            requireStarted();
            return new Sentinel(launched.sentinel(), this);
        }
    }

    private boolean reap(boolean block) throws IOException {
        synchronized (lock) {
            if (state == State.ENDED) {
                return true;
            }
            if (state != State.STARTED) {
                throw closed();
            }
            Platform.ExitStatus s = OS.waitForExit(pid, block);
            if (s == null) {
                return false;
            }
            exitStatus = s;
            state = State.ENDED; // reaped: never signal this pid again, whatever happens below
            LIVE.remove(this);
            Launcher.Report report = launched.collectReport();
            // A reported terminate request or interrupt counts only if the child then exited
            // through its hooks; a later kill or a crash is what the OS says (the backend tells
            // them apart).
            exitStatus = OS.afterStopReport(s, report.signal());
            if (ChildExitEvent.PROBE.isEnabled()) {
                ChildExitEvent event = new ChildExitEvent();
                event.name = name;
                event.pid = pid;
                event.exitCode = exitStatus.pythonExitCode();
                event.signal = exitStatus.signal() != 0 ? OS.signalName(exitStatus.signal()) : null;
                event.commit();
            }
            if (report.failure() != null) {
                String what = report.cause() != null ? report.cause().toString()
                        : "\n" + report.failure(); // the remote stack trace, as text
                failure = new RemoteTaskException(name + " (pid " + pid + ") failed: " + what,
                        report.cause());
            }
            return true;
        }
    }

    // ------------------------------------------------------------------ signals

    /**
     * Sends a terminate request (Python's {@code terminate()}): the child runs its shutdown hooks
     * and exits, and its exit code says it was ended by a terminate request (what that is and which
     * exit code: {@linkplain org.multiprocessing4j##os-mapping OS mapping}). No effect on a child
     * that has ended.
     *
     * @throws IllegalStateException if not started or closed
     * @throws IOException on OS error
     */
    public void terminate() throws IOException {
        stop(Platform.Stop.TERMINATE);
    }

    /**
     * Sends a kill (Python's {@code kill()}): the child ends at once, running no code of its own,
     * and its exit code says it was killed (what that is and which exit code:
     * {@linkplain org.multiprocessing4j##os-mapping OS mapping}). No effect on a child that has
     * ended.
     *
     * @throws IllegalStateException if not started or closed
     * @throws IOException on OS error
     */
    public void kill() throws IOException {
        stop(Platform.Stop.KILL);
    }

    /**
     * Sends an interrupt (as Ctrl-C at a terminal): the child runs its shutdown hooks and exits,
     * and its exit code says it was ended by an interrupt (what that is and which exit code:
     * {@linkplain org.multiprocessing4j##os-mapping OS mapping}). No effect on a child that has
     * ended.
     *
     * @throws IllegalStateException if not started or closed
     * @throws IOException on OS error
     */
    public void interrupt() throws IOException {
        stop(Platform.Stop.INTERRUPT);
    }

    private void stop(Platform.Stop how) throws IOException {
        synchronized (lock) {
            requireStarted();
            if (state == State.STARTED) { // not reaped: the pid cannot have been reused
                OS.stop(pid, how);
            }
        }
    }

    // ------------------------------------------------------------------ close

    /**
     * Releases the OS handles (Python's {@code close()}). Idempotent; afterwards every other method
     * except {@link #name()} and {@link #daemon()} throws {@link IllegalStateException}.
     *
     * @throws IllegalStateException if the child is still running
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (state == State.CLOSED) {
                return;
            }
            if (state == State.STARTED) {
                boolean ended;
                try {
                    ended = reap(false);
                } catch (IOException e) {
                    ended = false;
                }
                if (!ended) {
                    throw new IllegalStateException("cannot close " + name
                            + " while it is running; join(), terminate() or kill() it first");
                }
            }
            if (launched != null) {
                launched.close();
            }
            state = State.CLOSED;
        }
    }

    private void requireState(State s, String message) {
        if (state == State.CLOSED) {
            throw closed();
        }
        if (state != s) {
            throw new IllegalStateException(message);
        }
    }

    private void requireStarted() {
        if (state == State.CLOSED) {
            throw closed();
        }
        if (state == State.NEW) {
            throw new IllegalStateException(name + " has not been started");
        }
    }

    private IllegalStateException closed() {
        return new IllegalStateException(name + " is closed");
    }

    @Override
    public String toString() {
        synchronized (lock) {
            String st = switch (state) {
                case NEW -> "initial";
                case STARTED -> "started";
                case ENDED -> "stopped exitcode=" + exitStatus.pythonExitCode();
                case CLOSED -> "closed";
            };
            return "<ChildProcess name='" + name + "'" + (pid > 0 ? " pid=" + pid : "") + " " + st
                    + (daemon ? " daemon" : "") + ">";
        }
    }

    // ------------------------------------------------------------------ statics

    /** {@return this process: {@code MainProcess}, or the name its parent gave it} */
    public static ProcessInfo currentProcess() {
        return CurrentProcess.info();
    }

    /**
     * {@return the process that started this one, if this library started it} For whether it
     * still runs, and to wait for its end, see {@link #parent()}.
     */
    public static Optional<ProcessInfo> parentProcess() {
        return CurrentProcess.parent();
    }

    /**
     * {@return the process that started this one, with its liveness and a sentinel (Python's
     * {@code parent_process()}); empty in a process this library did not start} The first call
     * opens one OS handle on the parent, kept for the life of this process; later calls return
     * the same object.
     *
     * @throws IOException if the handle cannot be opened (for example no descriptor left)
     */
    public static Optional<ParentProcess> parent() throws IOException {
        return CurrentProcess.parentProcess();
    }

    /**
     * {@return the children started by this process that are still running} Reaps those that have
     * ended, like Python's {@code active_children()}.
     */
    public static List<ChildProcess> activeChildren() {
        List<ChildProcess> alive = new ArrayList<>();
        for (ChildProcess p : LIVE) {
            try {
                if (!p.reap(false)) {
                    alive.add(p);
                }
            } catch (IOException | IllegalStateException e) {
                // closed or already reaped elsewhere: not active
            }
        }
        return alive;
    }

    private static void installExitHook() {
        synchronized (HOOK_LOCK) {
            if (hookInstalled) {
                return;
            }
            hookInstalled = true;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(ChildProcess::atExit, "mp4j-exit"));
    }

    /**
     * Set when this JVM exits because of a terminate request or an interrupt: its children are
     * then not joined (they die with it, as children of a dead parent), so that
     * {@code terminate()} of this process never waits for grandchildren.
     */
    private static volatile boolean exitingOnSignal;

    static void exitingOnSignal() {
        exitingOnSignal = true;
    }

    /** Python's {@code _exit_function}: terminate daemonic children, then join all. */
    private static void atExit() {
        if (exitingOnSignal) {
            return;
        }
        for (ChildProcess p : activeChildren()) {
            if (p.daemon()) {
                try {
                    p.terminate();
                } catch (IOException | IllegalStateException ignored) {
                    // already gone
                }
            }
        }
        for (ChildProcess p : activeChildren()) {
            try {
                p.join();
            } catch (IOException | IllegalStateException ignored) {
                // already gone
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * A child's sentinel: ready for {@link Connection#wait} once the child has ended. Valid until
     * the child is {@linkplain ChildProcess#close() closed}.
     */
    public static final class Sentinel implements Waitable {
        private final Descriptor descriptor;
        private final ChildProcess process;

        Sentinel(Descriptor descriptor, ChildProcess process) {
            this.descriptor = descriptor;
            this.process = process;
        }

        /** {@return the process this sentinel belongs to} */
        public ChildProcess process() {
            return process;
        }

        Descriptor descriptor() {
            return descriptor;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Sentinel s && s.process == process;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(process);
        }

        @Override
        public String toString() {
            return "Sentinel[" + process.name() + "]";
        }
    }
}
