package org.multiprocessing4j.internal.launch;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Task;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.task.TaskLambdas;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * The main class of a child JVM (see {@link SpawnLauncher} for the protocol): makes sure the
 * child dies with its parent, reads the task, runs it and reports how it ended. Its parts live
 * next to it: the bootstrap frame and the forkserver hand-off ({@link ChildBootstrap}), the
 * thread that ends the child when the parent dies ({@link ParentWatchdog}), the handlers of
 * interrupt and terminate requests ({@link SignalReporter}), the records a child sends its parent ({@link ChildReports})
 * and the warm-up of idle and training children ({@link ChildWarmUp}).
 *
 * <p>Arguments: {@code parentPid [mode …]}. Modes:
 * <ul>
 * <li>none ({@code spawn}): handle 0 is the bootstrap socket, handle 1 the frame pipe, the task's
 *     handles are inherited handles 2, 3, … A spawned child links no native call before its task
 *     needs one ({@link #runSpawned}).</li>
 * <li>{@code forkserver class… [--light] [--link class…] [--lambda shape…]}: an idle child of {@link
 *     ForkserverLauncher}. It loads and initializes the preload classes, loads and links those
 *     after {@code --link} (where recent tasks came from), warms up the bootstrap path (first FFM
 *     downcalls, pipes, the hand-off, the task codec; not with {@code --light}: {@link #LIGHT}), links the lambdas after {@code --lambda}
 *     ({@link TaskLambdas#prelink}: the shapes of recent tasks), reports {@link #READY} and waits
 *     on the bootstrap socket for its hand-off, one message: a 4-byte count carrying that many
 *     handles ({@link Platform#sendWithHandles}), then the bootstrap frame. End of stream while idle means
 *     the parent died or shut the pool down: it exits at once.</li>
 * <li>{@code train}: the training run of an {@link AotCache}: the same warm-up, then exit 0.</li>
 * </ul>
 *
 * <p>Exit: a normal return ends the JVM as Java does (after non-daemon threads, code 0, like
 * Python joining non-daemon threads); an uncaught exception prints its stack trace, reports it and
 * exits with 1; an interrupt or terminate request ({@link Platform#handleStopRequests}) is
 * reported, then the shutdown hooks run.
 */
public final class ChildMain {
    /** Exit code when the bootstrap fails (the parent sees it; stderr says why). */
    static final int BOOTSTRAP_FAILED = 70;
    /** The inherited handle that is a child's bootstrap socket (see the class comment). */
    public static final int BOOTSTRAP_HANDLE = 0;
    /** The inherited handle that is a spawned child's frame pipe (see {@link SpawnLauncher}). */
    static final int FRAME_HANDLE = 1;
    /** Mode argument of an idle forkserver child. */
    static final String MODE_FORKSERVER = "forkserver";
    /** Separates the preload classes of a forkserver child from those it only links. */
    public static final String LEARNED = "--link";
    /** Separates the classes a forkserver child links from the lambdas it links. */
    public static final String LEARNED_LAMBDAS = "--lambda";
    /** Mode argument of an AOT training run. */
    static final String MODE_TRAIN = "train";
    /** Warm-up rounds of an idle child: enough for the interpreter to profile the hand-off path. */
    private static final int WARM_UP_ROUNDS = 50;
    /**
     * Mode argument of an idle child that skips the warm-up rounds: warm once its native calls
     * are linked, for a fraction of the CPU (measured: ~0.7 s instead of ~2.2 s, 47 instead of
     * 87 MiB PSS), at the price of a hand-off that runs the bootstrap path interpreted.
     */
    public static final String LIGHT = "--light";
    /** Record type an idle child sends once it is warm (ignored by report parsing). */
    static final byte READY = 'R';

    private ChildMain() {
    }

    static void main(String[] args) {
        int expectedParent = Integer.parseInt(args[0]);
        String mode = args.length > 1 ? args[1] : "spawn";
        if (mode.equals("spawn")) {
            runSpawned(expectedParent);
            return;
        }
        if (!mode.equals(MODE_TRAIN) && !mode.equals(MODE_FORKSERVER)) {
            System.err.println("multiprocessing4j child: unknown mode " + mode);
            Runtime.getRuntime().halt(BOOTSTRAP_FAILED);
        }
        Platform os = Platform.current();
        tieToParent(os, expectedParent); // on this thread, which runs the task: it lives on
        if (mode.equals(MODE_TRAIN)) {
            ChildWarmUp.warmUp(os, 1);
            SignalReporter.install(null);
            System.exit(0);
        }
        Handle bootHandle;
        try {
            bootHandle = os.inheritedHandle(BOOTSTRAP_HANDLE); // and not inherited any further
        } catch (IOException e) {
            System.err.println("multiprocessing4j child: " + e.getMessage());
            Runtime.getRuntime().halt(BOOTSTRAP_FAILED);
            return;
        }
        Connection boot = Access.connection().open(bootHandle, true, true, Codec.defaults());
        Thread watchdog = ParentWatchdog.create(os, bootHandle);
        String section = "";
        List<String> lambdas = new java.util.ArrayList<>();
        boolean light = false;
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case LEARNED, LEARNED_LAMBDAS -> section = args[i];
                case LIGHT -> light = true;
                default -> {
                    switch (section) {
                        case LEARNED -> ChildWarmUp.link(args[i]);
                        case LEARNED_LAMBDAS -> lambdas.add(args[i]);
                        default -> ChildWarmUp.preload(args[i]);
                    }
                }
            }
        }
        if (!light) {
            ChildWarmUp.warmUp(os, WARM_UP_ROUNDS);
        }
        MemorySegment handOffBuffer = Arena.ofAuto().allocate(ChildBootstrap.HAND_OFF_BUFFER);
        for (String shape : lambdas) {
            TaskLambdas.prelink(shape, ClassLoader.getSystemClassLoader());
        }
        SignalReporter.install(() -> boot);
        watchdog.start();
        ChildReports.report(boot, new byte[] {READY});
        ChildBootstrap.HandOff handOff = ChildBootstrap.awaitHandOff(os, bootHandle,
                handOffBuffer);
        Task task;
        try {
            task = ChildBootstrap.readTask(os.pid(), handOff.frame(), handOff.handles());
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            System.err.println("multiprocessing4j child: cannot start the task: " + e);
            e.printStackTrace();
            ChildReports.report(boot, ChildReports.failureRecord(e));
            System.exit(BOOTSTRAP_FAILED);
            return;
        }
        runTask(task, boot);
    }

    private static void runTask(Task task, Connection reports) {
        try {
            task.run();
        } catch (Throwable t) {
            System.err.println("Process " + ChildProcess.currentProcess().name() + ":");
            t.printStackTrace();
            System.err.flush();
            ChildReports.report(reports != null ? reports : bootSocket(),
                    ChildReports.failureRecord(t));
            System.exit(1);
        }
        System.out.flush();
    }

    /**
     * A spawned child, which reaches its task before it links any native call (a JVM pays tens of
     * milliseconds for its first downcall, and as much again for the linker, against a few for
     * the JDK's own file channel), and links them meanwhile on another thread:
     * <ol>
     * <li>the set-up thread ({@link #setUpNative}) starts at once: it chooses the backend, ties
     *     this process's life to the parent ({@link Platform#dieWithParent}; if the parent has
     *     died already the child halts), makes the bootstrap handles not inherited further and
     *     opens the bootstrap socket for reports. A task's first native call (its first message
     *     on a {@link Connection}, say) finds that work done, or waits for it;</li>
     * <li>meanwhile this thread reads the bootstrap frame from the frame pipe with the JDK's
     *     file channel ({@link Platform#openInheritedPipe}), installs the stop handlers (they
     *     need the backend chosen, not linked: their set-up overlaps the link), decodes the task
     *     and starts the watchdog, which waits on that same pipe for end of stream: the
     *     parent keeps its end open while the child runs, so end of stream means it died, and
     *     the child halts ({@link ParentWatchdog#watchPipe});</li>
     * <li>the task runs; reports (failure, stop request) go out on the bootstrap socket.</li>
     * </ol>
     * A task that needs no native call (and an exit that reports nothing) never waits for the
     * set-up thread. Where the frame pipe cannot be opened that way, the frame is read through the
     * backend and the watchdog waits on the bootstrap socket, as a forkserver child's does.
     */
    private static void runSpawned(int expectedParent) {
        java.nio.channels.FileChannel framePipe = Platform.openInheritedPipe(FRAME_HANDLE);
        Thread setUp = new Thread(() -> setUpNative(expectedParent), "mp4j-child-set-up");
        setUp.setDaemon(true);
        setUp.start();
        byte[] frame;
        Thread watchdog;
        try {
            if (framePipe != null) {
                frame = readFrame(java.nio.channels.Channels.newInputStream(framePipe));
                watchdog = ParentWatchdog.watchPipe(framePipe);
            } else {
                Platform os = Platform.current();
                Connection pipe = Access.connection().open(os.inheritedHandle(FRAME_HANDLE), true,
                        false, Codec.defaults());
                frame = pipe.recvBytes();
                Connection boot = bootSocket();
                if (boot == null) {
                    throw new IOException("no bootstrap socket to watch the parent on");
                }
                watchdog = ParentWatchdog.create(os, Access.connection().descriptor(boot).handle());
            }
        } catch (IOException | RuntimeException e) {
            // end of stream (the parent died before it sent the frame), or no backend to read it
            ParentWatchdog.awaitExitIfExiting();
            System.err.println("multiprocessing4j child: no bootstrap frame: " + e);
            Runtime.getRuntime().halt(BOOTSTRAP_FAILED);
            return;
        }
        try { // before the task's handles, whose close-on-exec waits for the first downcall's link
            SignalReporter.install(ChildMain::bootSocket);
        } catch (RuntimeException e) { // no backend: the set-up thread has said why
            System.err.println("multiprocessing4j child: stop requests are not reported: " + e);
        }
        Task task;
        try {
            task = ChildBootstrap.readTask((int) ProcessHandle.current().pid(), frame, null);
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            System.err.println("multiprocessing4j child: cannot start the task: " + e);
            e.printStackTrace();
            ChildReports.report(bootSocket(), ChildReports.failureRecord(e));
            System.exit(BOOTSTRAP_FAILED);
            return;
        }
        watchdog.start();
        runTask(task, null);
    }

    /** {@return one {@link Connection} frame (4-byte big-endian length, bytes) from {@code in}} */
    private static byte[] readFrame(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int length = data.readInt();
        if (length < 0) {
            throw new IOException("bad bootstrap frame length " + length);
        }
        byte[] frame = new byte[length];
        data.readFully(frame); // EOFException if the parent died while writing it
        return frame;
    }

    /**
     * Ties this process's life to the parent's ({@link Platform#dieWithParent}) and halts it if
     * the parent has died already. On Linux the tie belongs to the calling thread (the kernel
     * signals only live threads that asked), so call it on a thread that lives as long as the
     * process. A refusal of the OS is printed and the parent checked once.
     */
    private static void tieToParent(Platform os, int expectedParent) {
        boolean parentAlive;
        try {
            parentAlive = os.dieWithParent(expectedParent);
        } catch (IOException e) {
            System.err.println("multiprocessing4j child: " + e.getMessage());
            parentAlive = os.parentPid() == expectedParent;
        }
        if (!parentAlive) { // the parent died before we could tie our life to it
            Runtime.getRuntime().halt(BOOTSTRAP_FAILED);
        }
    }

    /**
     * The set-up thread of a spawned child (see {@link #runSpawned}). A backend that cannot be
     * chosen or a failing call is printed and otherwise left to the task: the watchdog on the
     * frame pipe still ends an orphan, and a task that needs the backend fails there itself. The
     * thread never ends (it parks): it holds the parent-death signal it asked for.
     */
    private static void setUpNative(int expectedParent) {
        try {
            Platform os = Platform.current();
            tieToParent(os, expectedParent);
            os.inheritedHandle(FRAME_HANDLE); // not inherited by what the task executes
            bootSocket();
        } catch (IOException | RuntimeException | LinkageError e) {
            System.err.println("multiprocessing4j child: " + e);
        }
        // Linux's parent-death signal belongs to the thread that asked for it: the kernel signals
        // only the live threads that set it when the parent dies. So this thread must live as long
        // as the process (a parked daemon thread holds up no exit); were it to end, an orphan would
        // depend on the pipe watchdog alone, which is not yet running while the task is decoded
        // and stands down once the JVM exits (a shutdown hook that hangs would outlive the parent).
        while (true) {
            java.util.concurrent.locks.LockSupport.park();
        }
    }

    private static Connection bootSocket; // guarded by ChildMain.class

    /**
     * {@return the bootstrap socket as a connection, opened on first use, or {@code null} if the
     * backend cannot give it} Thread-safe.
     */
    private static synchronized Connection bootSocket() {
        if (bootSocket == null) {
            try {
                Handle h = Platform.current().inheritedHandle(BOOTSTRAP_HANDLE);
                bootSocket = Access.connection().open(h, true, true, Codec.defaults());
            } catch (IOException | RuntimeException e) {
                System.err.println("multiprocessing4j child: no bootstrap socket: " + e);
            }
        }
        return bootSocket;
    }
}
