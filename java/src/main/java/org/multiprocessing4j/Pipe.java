package org.multiprocessing4j;

import java.io.IOException;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * A pair of connected {@link Connection}s (Python's {@code multiprocessing.Pipe()}).
 *
 * <p>Duplex (the default): a connected pair of stream sockets; both ends send and receive.
 * One-way: an OS pipe; {@link #first()} can only receive and {@link #second()} can only send,
 * exactly like Python's {@code conn1, conn2 = Pipe(duplex=False)}.
 *
 * <p>Pass either end to a child by capturing it in the {@link Task}; close the ends the parent
 * does not use. {@link #close()} closes both ends (idempotent).
 *
 * @param first the first end (one-way: the receiving end)
 * @param second the second end (one-way: the sending end)
 */
public record Pipe(Connection first, Connection second) implements AutoCloseable {

    /**
     * Opens a duplex pipe with the default codec.
     *
     * @return the pipe
     * @throws IOException if the OS refuses (for example too many open descriptors)
     */
    public static Pipe open() throws IOException {
        return open(true);
    }

    /**
     * Opens a pipe with the default codec.
     *
     * @return the pipe
     * @param duplex {@code true} for two-way, {@code false} for one-way ({@code first} receives,
     *     {@code second} sends)
     * @throws IOException if the OS refuses (for example too many open descriptors)
     */
    public static Pipe open(boolean duplex) throws IOException {
        return open(duplex, Codec.defaults());
    }

    /**
     * Opens a pipe whose ends encode objects with {@code codec}.
     *
     * @param duplex two-way or one-way, as {@link #open(boolean)}
     * @param codec the codec of both ends
     * @return the pipe
     * @throws IOException if the OS refuses
     */
    public static Pipe open(boolean duplex, Codec codec) throws IOException {
        Platform os = Platform.current();
        Handle[] fds = duplex ? os.socketPair() : os.pipe();
        return new Pipe(new Connection(fds[0], true, duplex, codec),
                new Connection(fds[1], duplex, true, codec));
    }

    /** Closes both ends; idempotent. */
    @Override
    public void close() {
        first.close();
        second.close();
    }
}
