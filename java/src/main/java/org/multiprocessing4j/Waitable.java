package org.multiprocessing4j;

/**
 * Something {@link Connection#wait(java.util.Collection, java.time.Duration)} can wait on: a
 * {@link Connection} (ready when a message or end of stream can be read), a process
 * {@linkplain ChildProcess#sentinel() sentinel} (ready when the process has ended), a
 * {@link ParentProcess} (ready when the parent that started this process has ended: Python's
 * {@code parent_process().sentinel}), or an OS {@linkplain #handle(int) handle} such as a socket
 * (ready when it can be read without blocking). Python's
 * {@code multiprocessing.connection.wait} takes the same kinds.
 */
public sealed interface Waitable permits Connection, ChildProcess.Sentinel, ParentProcess,
        Waitable.OsHandle {

    /**
     * {@return a waitable for the descriptor {@code handle}}: ready when reading it would not
     * block — data or end of stream on a socket or pipe, a pending connection on a listening
     * socket — as Python's {@code wait} treats a socket or an integer. The caller owns the
     * descriptor and keeps it open while waiting on it; waiting neither reads nor closes it.
     *
     * @param handle a descriptor of this process, for example one from
     *     {@link Connection#recvHandle()}
     * @throws IllegalArgumentException if {@code handle} is negative
     */
    static OsHandle handle(int handle) {
        return new OsHandle(handle);
    }

    /**
     * An OS handle to wait on; see {@link #handle(int)}.
     *
     * @param handle the descriptor, not negative
     */
    record OsHandle(int handle) implements Waitable {
        /** Checks the descriptor. @throws IllegalArgumentException if negative */
        public OsHandle {
            if (handle < 0) {
                throw new IllegalArgumentException("not a handle: " + handle);
            }
        }
    }
}
