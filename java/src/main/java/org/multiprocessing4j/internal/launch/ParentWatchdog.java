package org.multiprocessing4j.internal.launch;

import java.io.IOException;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Ends a child JVM when its parent dies: a daemon thread waits for a hang-up of the bootstrap
 * socket ({@link Platform#awaitHangUp}) or, in a spawned child, for the end of its frame pipe
 * ({@link #watchPipe}, no native call of ours), whose other end the parent keeps open while the
 * child runs, so a hang-up there means the parent is gone. This backs up the
 * {@link Platform#dieWithParent} that {@link ChildMain} asks for.
 *
 * <p>At this JVM's own exit a shutdown hook sets {@link #exiting}, after which a hang-up no longer
 * means the parent died, and wakes a thread waiting on the socket ({@link #releaseWatchdog}).
 */
final class ParentWatchdog {
    /** Set by the shutdown hook before it wakes the watchdog: a hang-up no longer means death. */
    private static volatile boolean exiting;

    private ParentWatchdog() {
    }

    /**
     * {@return the watchdog thread, not started} and registers the shutdown hook that releases
     * it (the hook is registered at once, the thread started when the child is ready to run).
     */
    static Thread create(Platform os, Handle boot) {
        Thread watchdog = new Thread(() -> watchParent(os, boot), "mp4j-parent-watchdog");
        watchdog.setDaemon(true);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> releaseWatchdog(os, boot),
                "mp4j-release-watchdog"));
        return watchdog;
    }

    /**
     * {@return the watchdog thread of a spawned child, not started: it reads {@code framePipe}
     * (after the bootstrap frame, nothing more comes) until end of stream, then halts the child}
     * Registers the shutdown hook that sets {@link #exiting} and closes the channel, which wakes
     * the thread (a thread blocked in a read would otherwise hold up the exit, see
     * {@link #releaseWatchdog}).
     */
    static Thread watchPipe(java.nio.channels.FileChannel framePipe) {
        Thread watchdog = new Thread(() -> {
            java.nio.ByteBuffer stray = java.nio.ByteBuffer.allocate(16);
            try {
                while (framePipe.read(stray.clear()) >= 0) {
                    // the parent sends nothing after the frame; nothing to do with a stray byte
                }
            } catch (IOException | RuntimeException e) {
                // closed at exit, or unusable: as good as closed
            }
            if (!exiting) {
                Runtime.getRuntime().halt(ChildMain.BOOTSTRAP_FAILED);
            }
        }, "mp4j-parent-watchdog");
        watchdog.setDaemon(true);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            exiting = true;
            try {
                framePipe.close();
            } catch (IOException e) {
                // the watchdog then holds the exit up for a moment
            }
        }, "mp4j-release-watchdog"));
        return watchdog;
    }

    /**
     * If this JVM is already exiting (a signal handler called {@code System.exit}, and
     * {@link #releaseWatchdog} shut the bootstrap socket down, which is why the hand-off ended), lets
     * that exit finish with its own code instead of halting with another.
     */
    static void awaitExitIfExiting() {
        while (exiting) {
            java.util.concurrent.locks.LockSupport.park();
        }
    }

    /**
     * Blocks until the parent's end of the bootstrap socket closes, which means it died, then
     * exits; returns quietly when this JVM is exiting anyway ({@link #releaseWatchdog}). The
     * hand-off or other traffic on the socket neither wakes this thread nor competes with the
     * main thread reading it ({@link Platform#awaitHangUp}).
     */
    private static void watchParent(Platform os, Handle boot) {
        try {
            os.awaitHangUp(boot);
        } catch (IOException | RuntimeException e) {
            // the socket is unusable: as good as closed
        }
        if (!exiting) {
            Runtime.getRuntime().halt(ChildMain.BOOTSTRAP_FAILED);
        }
    }

    /**
     * Shutdown hook: wakes the watchdog out of its blocking wait (shutting our end down is a
     * hang-up to it). HotSpot's exit waits up to 300 ms for every thread still inside
     * native code (a blocked downcall counts), so without this every child took 300 ms longer to
     * exit after its task. Reports were sent before {@code System.exit}, so the parent still
     * reads them before the end of stream.
     */
    private static void releaseWatchdog(Platform os, Handle boot) {
        exiting = true;
        try {
            os.shutdown(boot);
        } catch (IOException | RuntimeException e) {
            // the watchdog then holds the exit up for a moment, as before
        }
    }
}
