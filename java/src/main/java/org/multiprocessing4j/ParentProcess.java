package org.multiprocessing4j;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * The process that started this one, seen from the child (Python's {@code parent_process()},
 * with its {@code is_alive()}, {@code join()} and {@code sentinel}): who it is, whether it still
 * runs, and a {@link Waitable} that becomes ready when it has ended, for
 * {@link Connection#wait}. Obtained from {@link ChildProcess#parent()}.
 *
 * <p>A child started by this library does not outlive its parent: when the parent dies, the OS or a
 * watchdog of the child ends the child (see the
 * {@linkplain org.multiprocessing4j##os-mapping OS mapping}), and the child exits on end of stream
 * of its bootstrap socket. So {@link #isAlive()} is {@code true} for as long as the child's own
 * code runs, except in the instant between the parent's death and the child's; it is there for code
 * that polls or waits on the parent among other things, as in Python.
 *
 * <p>Holds one OS handle on the parent (Linux: a pidfd, opened after checking that the process
 * is still this one's parent, so a reused pid is never mistaken for it) for the life of this
 * process: there is one instance per process and it is never closed. Thread-safe.
 */
public final class ParentProcess implements Waitable {
    static {
        Access.setParentProcess(ParentProcess::open);
    }

    private static final Platform OS = Platform.current();

    private final ProcessInfo info;
    private final Descriptor handle;

    private ParentProcess(ProcessInfo info, Descriptor handle) {
        this.info = info;
        this.handle = handle;
    }

    /**
     * Opens a handle on this process's parent {@code info}; if the parent is already gone (this
     * process was reparented), the handle is one that is ready at once.
     */
    static ParentProcess open(ProcessInfo info) throws IOException {
        Handle fd;
        try {
            fd = OS.openProcessHandle(info.pid());
        } catch (IOException gone) {
            return new ParentProcess(info, ended());
        }
        if (OS.parentPid() != info.pid()) { // it died before the handle was open: maybe another's
            OS.close(fd);
            return new ParentProcess(info, ended());
        }
        return new ParentProcess(info, new Descriptor(fd));
    }

    /** A handle on process {@code info}, which need not be this one's parent (for tests). */
    static ParentProcess watching(ProcessInfo info) throws IOException {
        return new ParentProcess(info, new Descriptor(OS.openProcessHandle(info.pid())));
    }

    /** {@return a handle that is readable at once: a pipe whose writing end is closed} */
    private static Descriptor ended() throws IOException {
        var pipe = OS.pipe();
        OS.close(pipe[1]);
        return new Descriptor(pipe[0]);
    }

    /** {@return who the parent is: its name, pid and daemon flag} */
    public ProcessInfo info() {
        return info;
    }

    /**
     * {@return whether the parent is still running} Never blocks.
     *
     * @throws IllegalStateException on OS error
     */
    public boolean isAlive() {
        try {
            return Connection.wait(List.of(this), Duration.ZERO).isEmpty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot query the parent process " + info.pid()
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until the parent has ended or {@code timeout} passes.
     *
     * @param timeout how long; {@code null} waits forever
     * @return {@code true} if the parent has ended
     * @throws InterruptedException if interrupted while waiting
     * @throws IOException on OS error
     */
    public boolean join(Duration timeout) throws InterruptedException, IOException {
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        for (;;) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            long slice = 50_000_000L; // wake now and then to honour interruption
            if (timeout != null) {
                slice = Math.min(slice, Math.max(0, deadline - System.nanoTime()));
            }
            if (!Connection.wait(List.of(this), Duration.ofNanos(slice)).isEmpty()) {
                return true;
            }
            if (timeout != null && deadline - System.nanoTime() <= 0) {
                return false;
            }
        }
    }

    Descriptor descriptor() {
        return handle;
    }

    @Override
    public String toString() {
        return "ParentProcess[" + info.name() + ", pid " + info.pid() + "]";
    }
}
