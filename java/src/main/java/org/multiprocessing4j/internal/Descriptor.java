package org.multiprocessing4j.internal;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Owns one OS handle ({@link Handle}: a descriptor on POSIX) and closes it exactly once, never
 * while another thread is inside a system call on it (which would let the OS reuse its value
 * under that call).
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

    private final Handle handle;
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;

    /** Takes ownership of {@code handle}. @throws NullPointerException if it is null */
    public Descriptor(Handle handle) {
        this.handle = java.util.Objects.requireNonNull(handle, "handle");
    }

    /**
     * Marks one call in flight.
     *
     * @return the handle, valid until {@link #release()}
     * @throws ClosedChannelException if closed
     */
    public Handle acquire() throws ClosedChannelException {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & CLOSED) != 0) {
                throw new ClosedChannelException();
            }
            if (STATE.compareAndSet(this, s, s + 1)) {
                return handle;
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

    /**
     * {@return the handle, for diagnostics and for passing to a child} Using it for a call
     * without {@link #acquire()} is safe only while nothing can close this descriptor.
     */
    public Handle handle() {
        return handle;
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
                        Platform.current().shutdown(handle);
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
            Platform.current().close(handle);
        } catch (IOException e) {
            // The descriptor is released by the kernel even when close reports an error.
            System.getLogger(Descriptor.class.getName())
                    .log(System.Logger.Level.DEBUG, "closing " + handle + " reported " + e.getMessage());
        }
    }

}
