package org.multiprocessing4j.internal.launch;

import java.io.IOException;
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
 * <li>none ({@code spawn}): the task's handles are inherited handles 1, 2, … (handle 0 is the
 *     bootstrap socket)</li>
 * <li>{@code forkserver class… [--link class…] [--lambda shape…]}: an idle child of {@link
 *     ForkserverLauncher}. It loads and initializes the preload classes, loads and links those
 *     after {@code --link} (where recent tasks came from), warms up the bootstrap path (first FFM
 *     downcalls, pipes, the hand-off, the task codec), links the lambdas after {@code --lambda}
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
    /** Record type an idle child sends once it is warm (ignored by report parsing). */
    static final byte READY = 'R';

    private ChildMain() {
    }

    static void main(String[] args) {
        Platform os = Platform.current();
        int expectedParent = Integer.parseInt(args[0]);
        String mode = args.length > 1 ? args[1] : "spawn";
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
        Handle[] received = null;
        byte[] frame = null;
        Thread watchdog = ParentWatchdog.create(os, bootHandle);
        if (mode.equals(MODE_FORKSERVER)) {
            String section = "";
            List<String> lambdas = new java.util.ArrayList<>();
            for (int i = 2; i < args.length; i++) {
                switch (args[i]) {
                    case LEARNED, LEARNED_LAMBDAS -> section = args[i];
                    default -> {
                        switch (section) {
                            case LEARNED -> ChildWarmUp.link(args[i]);
                            case LEARNED_LAMBDAS -> lambdas.add(args[i]);
                            default -> ChildWarmUp.preload(args[i]);
                        }
                    }
                }
            }
            ChildWarmUp.warmUp(os, WARM_UP_ROUNDS);
            MemorySegment handOffBuffer = Arena.ofAuto().allocate(ChildBootstrap.HAND_OFF_BUFFER);
            for (String shape : lambdas) {
                TaskLambdas.prelink(shape, ClassLoader.getSystemClassLoader());
            }
            SignalReporter.install(boot);
            watchdog.start();
            ChildReports.report(boot, new byte[] {READY});
            ChildBootstrap.HandOff handOff = ChildBootstrap.awaitHandOff(os, bootHandle,
                    handOffBuffer);
            received = handOff.handles();
            frame = handOff.frame();
        }
        Task task;
        try {
            task = ChildBootstrap.readTask(os, frame != null ? frame : boot.recvBytes(), received);
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            System.err.println("multiprocessing4j child: cannot start the task: " + e);
            e.printStackTrace();
            ChildReports.report(boot, ChildReports.failureRecord(e));
            System.exit(BOOTSTRAP_FAILED);
            return;
        }
        if (received == null) {
            SignalReporter.install(boot);
            watchdog.start();
        }
        try {
            task.run();
        } catch (Throwable t) {
            System.err.println("Process " + ChildProcess.currentProcess().name() + ":");
            t.printStackTrace();
            System.err.flush();
            ChildReports.report(boot, ChildReports.failureRecord(t));
            System.exit(1);
        }
        System.out.flush();
    }
}
