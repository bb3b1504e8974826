package org.multiprocessing4j.internal;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.multiprocessing4j.platform.Platform;

/**
 * Owns one OS descriptor and closes it exactly once, never while another thread is inside a
 * system call on it (which would let the number be reused under that call).
 *
 * <p>State word: bit 31 = closed, bits 0..30 = number of calls in flight. {@link #acquire()}
 * increments unless closed; {@link #release()} decrements and performs the real close if it was
 * the last user after {@link #close()}; {@link #close()} sets the bit, shuts a socket down to wake
 * blocked callers, and closes at once if nobody is inside. Thread-safe.
 */
public final class Descriptor implements AutoCloseable {
    private static final int CLOSED = 1 << 31;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Descriptor.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int fd;
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;

    /** Takes ownership of {@code fd}. */
    public Descriptor(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("invalid descriptor " + fd);
        }
        this.fd = fd;
    }

    /**
     * Marks one call in flight.
     *
     * @return the descriptor number
     * @throws ClosedChannelException if closed
     */
    public int acquire() throws ClosedChannelException {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & CLOSED) != 0) {
                throw new ClosedChannelException();
            }
            if (STATE.compareAndSet(this, s, s + 1)) {
                return fd;
            }
        }
    }

    /** Ends a call begun with {@link #acquire()}; closes if it was the last after close. */
    public void release() {
        int s = (int) STATE.getAndAdd(this, -1) - 1;
        if (s == CLOSED) {
            closeNow();
        }
    }

    /** {@return the number, for diagnostics and for passing to a child} */
    public int number() {
        return fd;
    }

    /** {@return whether {@link #close()} was called} */
    public boolean isClosed() {
        return ((int) STATE.getVolatile(this) & CLOSED) != 0;
    }

    /**
     * Closes: at once when idle, else when the last in-flight call returns (sockets are shut
     * down first so that blocked calls return). Idempotent and thread-safe.
     */
    @Override
    public void close() {
        close(true);
    }

    /**
     * Closes, as {@link #close()}; shuts a socket down to wake blocked callers only if
     * {@code wakeBlocked}. A shutdown acts on the socket itself, not on this process's
     * descriptor: it ends the stream for every process holding a copy, so callers pass
     * {@code false} when another process may hold one.
     */
    public void close(boolean wakeBlocked) {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & CLOSED) != 0) {
                return;
            }
            if (s == 0) {
                if (STATE.compareAndSet(this, 0, CLOSED)) {
                    closeNow();
                    return;
                }
            } else if (STATE.compareAndSet(this, s, (s | CLOSED) + 1)) {
                // Calls are in flight: hold a reference of our own while shutting down, so that
                // the number cannot be closed (and reused by someone else) under the shutdown.
                if (wakeBlocked) {
                    try {
                        Platform.current().shutdown(fd);
                    } catch (IOException ignored) {
                        // best effort wake-up; the close itself follows on the last release
                    }
                }
                release();
                return;
            }
        }
    }

    private void closeNow() {
        try {
            Platform.current().close(fd);
        } catch (IOException e) {
            // The descriptor is released by the kernel even when close reports an error.
            System.getLogger(Descriptor.class.getName())
                    .log(System.Logger.Level.DEBUG, "close(" + fd + ") reported " + e.getMessage());
        }
    }

}
