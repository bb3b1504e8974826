package org.multiprocessing4j.platform;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedChannelException;

/**
 * A {@link ProcessMark} held through one backend handle (a descriptor): tests go to the backend
 * with the handle, and the handle is closed exactly once and never under a test in flight (a
 * number closed under a call could be reused by another thread's open and the test would ask
 * about the wrong file). For backends; policy code sees only {@link ProcessMark}.
 *
 * <p>State word: bit 31 = closed, bits 0..30 = tests in flight; the last test after
 * {@link #close()} closes the handle. Thread-safe.
 */
public final class HandleMark implements ProcessMark {
    /** How a backend tests and removes a mark held through a handle. */
    public interface Backend {
        /**
         * {@return whether another process holds a mark for {@code token} on the handle's file}
         *
         * @throws IOException if the OS cannot tell
         */
        boolean isPlaced(int handle, long token) throws IOException;

        /** Closes the handle, which removes the mark; never throws. */
        void close(int handle);
    }

    private static final int CLOSED = 1 << 31;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(HandleMark.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int handle;
    private final Backend backend;
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;

    /**
     * Takes ownership of {@code handle}, through which a mark is placed.
     *
     * @param handle the handle; closed by {@link #close()}
     * @param backend how to test and close it
     */
    public HandleMark(int handle, Backend backend) {
        this.handle = handle;
        this.backend = backend;
    }

    /**
     * {@inheritDoc}
     *
     * @throws ClosedChannelException if this mark is closed
     */
    @Override
    public boolean isPlaced(long token) throws IOException {
        if (token < 0 || token >= 1L << 62) {
            throw new IllegalArgumentException("mark index out of [0, 2^62): " + token);
        }
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & CLOSED) != 0) {
                throw new ClosedChannelException();
            }
            if (STATE.compareAndSet(this, s, s + 1)) {
                break;
            }
        }
        try {
            return backend.isPlaced(handle, token);
        } finally {
            if ((int) STATE.getAndAdd(this, -1) - 1 == CLOSED) {
                backend.close(handle);
            }
        }
    }

    @Override
    public void close() {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & CLOSED) != 0) {
                return;
            }
            if (STATE.compareAndSet(this, s, s | CLOSED)) {
                if (s == 0) {
                    backend.close(handle);
                }
                return; // else the last test in flight closes
            }
        }
    }

    @Override
    public String toString() {
        return "HandleMark[" + handle + "]";
    }
}
