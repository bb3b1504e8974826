package org.multiprocessing4j;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongFunction;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.internal.task.Inheritable;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * One end of a {@link Pipe} (Python's {@code multiprocessing.connection.Connection}): sends and
 * receives whole messages over a stream socket (duplex) or a pipe (one way).
 *
 * <h2>Wire format</h2>
 * Byte-compatible with CPython: each message is a 4-byte big-endian signed length followed by the
 * payload; payloads longer than {@code 2^31 - 1} bytes use the length {@code -1} followed by an
 * 8-byte big-endian length. {@link #sendBytes} / {@link #recvBytes} exchange raw payloads (and
 * interoperate with Python's {@code send_bytes} / {@code recv_bytes}); {@link #send} /
 * {@link #recv} encode objects with this connection's {@link Codec}. A message's header and
 * payload leave in one system call when the payload is at most {@value #SINGLE_WRITE_LIMIT} bytes.
 *
 * <h2>Handles</h2>
 * A duplex connection (a Unix-domain stream socket) also carries OS handles, as CPython's
 * {@code multiprocessing.reduction.send_handle} / {@code recv_handle} do, with the same bytes:
 * {@link #sendHandle(int)} gives the other end a duplicate of a descriptor, {@link #recvHandle()}
 * returns the next one sent. The kernel drops a handle that an ordinary read passes over, and this
 * class reads ahead of the current message, so an end that may be sent handles calls
 * {@link #expectHandles()} before they can arrive (or calls {@code recvHandle()} only when no
 * message has been read since the handle may have been sent). A handle in transit makes
 * {@link #poll(Duration)} and {@link #wait(Collection, Duration)} report this end ready even
 * when no message is; {@link #recv()} then keeps the handle and waits for a message.
 *
 * <h2>Limits and memory</h2>
 * A message longer than {@link #maxFrameSize()} (default {@value #DEFAULT_MAX_FRAME} bytes, 1 GiB;
 * CPython has no limit) is refused as soon as its header arrives. Below the limit, the memory a
 * receive holds grows with the bytes that have actually arrived, never with the length a header
 * declares: until half of a message has arrived, at most what has arrived plus one chunk of
 * {@value #FIRST_CHUNK} bytes (later chunks: as large as what has arrived, at most
 * {@value #MAX_CHUNK} bytes); then a buffer of the message's size (at most twice what has
 * arrived) takes the chunks and the rest of the message. So a peer that sends a header and stalls
 * costs {@value #FIRST_CHUNK} bytes, not the declared length, and a message never holds more than
 * 1.5 times its size.
 *
 * <h2>Blocking</h2>
 * Receiving blocks until a whole message has arrived; sending blocks while the OS buffer is full.
 * {@link #poll(Duration)} and {@link #wait(Collection, Duration)} wait with a timeout. Blocking
 * calls block the calling thread in the OS (a virtual thread pins its carrier meanwhile).
 *
 * <h2>Thread safety</h2>
 * Safe for concurrent use: sends are serialized with each other (every message is written whole,
 * never interleaved) and receives with each other; one thread may send while another receives.
 *
 * <h2>Peer death and close</h2>
 * When the other end is closed — including because its process died — receiving returns the
 * messages already sent and then throws {@link EOFException}; sending throws {@link EOFException},
 * and never raises a signal in this process (see the
 * {@linkplain org.multiprocessing4j##os-mapping OS mapping}). {@link #close()} is idempotent; any
 * call after it throws {@link ClosedChannelException}. Closing a duplex connection that no other
 * process holds wakes a thread of this process blocked on it; once the end has been passed to a
 * child (or came from a parent), closing only drops this process's copy, as in Python, and a thread
 * blocked on it waits for data or end of stream.
 *
 * <h2>Children</h2>
 * A connection captured by a {@link Task} is passed to the child as an inherited descriptor when
 * the child starts; the parent's object stays open, as in Python (close it if the parent does not
 * use that end, so that the other side sees end of stream when the child finishes).
 */
public final class Connection implements Waitable, AutoCloseable {
    static {
        Access.setConnection(new Access.ConnectionHooks() {
            @Override
            public Connection open(Handle fd, boolean readable, boolean writable,
                                   Codec codec) {
                return new Connection(fd, readable, writable, codec);
            }

            @Override
            public Connection inherited(Handle fd, boolean readable, boolean writable,
                                        long maxFrameSize, Codec codec) {
                return Connection.inherited(fd, readable, writable, maxFrameSize, codec);
            }

            @Override
            public Descriptor descriptor(Connection c) {
                return c.descriptor();
            }

            @Override
            public Inheritable.Handle childHandle(Connection c) {
                return c.childHandle();
            }

            @Override
            public boolean hasDefaultCodec(Connection c) {
                return c.hasDefaultCodec();
            }
        });
    }

    /** Payloads up to this size go out with their header in one write. */
    static final int SINGLE_WRITE_LIMIT = 1 << 20;
    private static final int RECV_BUFFER_SIZE = 64 * 1024;
    /**
     * The default {@link #maxFrameSize()}: 1 GiB. It refuses at once any header whose first byte
     * is at least {@code 0x40} (an ASCII letter: HTTP, SSH or SMTP talking to us by mistake) while
     * leaving room for any message a pipe between processes commonly carries.
     */
    static final long DEFAULT_MAX_FRAME = 1L << 30;
    /** The buffer a receive allocates before any payload byte has arrived. */
    static final int FIRST_CHUNK = 1 << 20;
    /** The largest buffer a receive allocates ahead of the bytes that fill it. */
    static final int MAX_CHUNK = 64 << 20;
    /** How long a socket reader polls before it sleeps in the kernel. */
    static final long SPIN_NANOS = 20_000;
    private static final ValueLayout.OfInt INT_BE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private static final Platform OS = Platform.current();

    private final Descriptor fd;
    private final boolean readable;
    private final boolean writable;
    /** Duplex connections are stream sockets: send with {@code sendFully}, spin before reading. */
    private final boolean socket;
    /** Whether another process may hold this end too (passed to a child, or received from a parent). */
    private volatile boolean shared;
    private final Codec codec;
    private volatile long maxFrameSize = DEFAULT_MAX_FRAME;

    private final ReentrantLock sendLock = new ReentrantLock();
    private final ReentrantLock recvLock = new ReentrantLock();
    // Guarded by sendLock.
    private ByteSink sendBuffer;
    // Guarded by recvLock: bytes [recvPos, recvLimit) of recvBuffer are received but unread.
    private MemorySegment recvBuffer;
    private int recvPos;
    private int recvLimit;
    private String broken; // guarded by recvLock: why receiving is no longer possible
    private boolean ended; // guarded by recvLock: end of stream was read; nothing more can arrive
    private boolean timed; // guarded by recvLock: reads give up at recvDeadline
    /** Whether reads keep handles (recvmsg) instead of letting the kernel drop them. */
    private volatile boolean handleMode;
    // Guarded by recvLock: handles received (in handle mode) and not yet taken by recvHandle.
    private final java.util.ArrayDeque<Handle> handles =
            new java.util.ArrayDeque<>();
    private long recvDeadline; // guarded by recvLock: System.nanoTime() deadline when timed

    Connection(Handle handle, boolean readable, boolean writable,
               Codec codec) {
        this.fd = new Descriptor(handle);
        this.readable = readable;
        this.writable = writable;
        this.socket = readable && writable;
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    /** {@return whether this end can receive} */
    public boolean readable() {
        return readable;
    }

    /** {@return whether this end can send} */
    public boolean writable() {
        return writable;
    }

    /** {@return whether {@link #close()} was called} */
    public boolean isClosed() {
        return fd.isClosed();
    }

    /** {@return the codec used by {@link #send} and {@link #recv}} */
    public Codec codec() {
        return codec;
    }

    /** {@return the largest message this end accepts, in bytes} */
    public long maxFrameSize() {
        return maxFrameSize;
    }

    /**
     * Limits the size of a message this end accepts. A longer message makes the receiving call
     * throw as soon as its header has arrived (nothing is allocated for it) and the connection
     * unusable for receiving, like Python's "bad message length". Default:
     * {@value #DEFAULT_MAX_FRAME} bytes (1 GiB); raise it to receive longer messages (up to
     * {@code Integer.MAX_VALUE - 8} bytes for {@link #recvBytes()}, any length for
     * {@link #recv()}). Not synchronized with a receive in progress: set it before receiving.
     *
     * @param bytes limit, at least 1
     * @return this connection
     * @throws IllegalArgumentException if {@code bytes < 1}
     */
    public Connection maxFrameSize(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("maxFrameSize must be >= 1, got " + bytes);
        }
        this.maxFrameSize = bytes;
        return this;
    }

    // ------------------------------------------------------------------ sending

    /**
     * Encodes {@code value} with this connection's codec and sends it as one message. The value
     * is encoded in the calling thread: one the codec cannot encode throws and nothing is sent.
     *
     * @param value the value; {@code null} is allowed
     * @throws CodecException if the value cannot be encoded (nothing was sent)
     * @throws EOFException if the other end is closed
     * @throws ClosedChannelException if this end is closed
     * @throws IOException on any other OS error
     * @throws IllegalStateException if this end is read-only
     */
    public void send(Object value) throws IOException {
        checkWritable();
        sendLock.lock();
        try {
            ByteSink sink = sendSink();
            sink.reset();
            sink.skip(4);
            codec.encode(value, sink);
            long payload = sink.size() - 4;
            if (payload > Integer.MAX_VALUE) {
                throw new CodecException("encoded value is " + payload
                        + " bytes; send(Object) supports up to 2^31-1, use sendBytes(MemorySegment)");
            }
            sink.writeIntAt(0, (int) payload);
            writeAll(sink.segment(), sink.size());
        } finally {
            freeSendBuffer();
            sendLock.unlock();
        }
    }

    /**
     * Sends all of {@code bytes} as one message (Python's {@code send_bytes(buf)}).
     *
     * @param bytes the payload
     * @throws EOFException if the other end is closed
     * @throws ClosedChannelException if this end is closed
     * @throws IOException on any other OS error
     */
    public void sendBytes(byte[] bytes) throws IOException {
        sendBytes(bytes, 0, bytes.length);
    }

    /**
     * Sends {@code length} bytes of {@code bytes} from {@code offset} as one message (Python's
     * {@code send_bytes(buf, offset, size)}).
     *
     * @param bytes the array
     * @param offset first byte to send
     * @param length number of bytes to send
     * @throws IndexOutOfBoundsException if the range is outside the array
     * @throws EOFException if the other end is closed
     * @throws IOException on any other OS error
     */
    public void sendBytes(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        sendBytes(MemorySegment.ofArray(bytes).asSlice(offset, length));
    }

    /**
     * Sends the remaining bytes of {@code buffer} as one message; its position is not changed.
     *
     * @param buffer the payload
     * @throws EOFException if the other end is closed
     * @throws IOException on any other OS error
     */
    public void sendBytes(ByteBuffer buffer) throws IOException {
        sendBytes(MemorySegment.ofBuffer(buffer));
    }

    /**
     * Sends the bytes of {@code payload} as one message. A native segment is written without
     * being copied; heap segments are copied through this connection's native buffer.
     *
     * @param payload the payload; may be longer than 2 GiB
     * @throws EOFException if the other end is closed
     * @throws ClosedChannelException if this end is closed
     * @throws IOException on any other OS error
     */
    public void sendBytes(MemorySegment payload) throws IOException {
        checkWritable();
        long size = payload.byteSize();
        int header = size > Integer.MAX_VALUE ? 12 : 4;
        sendLock.lock();
        try {
            ByteSink sink = sendSink();
            sink.reset();
            if (header == 4) {
                sink.writeInt((int) size);
            } else {
                sink.writeInt(-1);
                sink.writeLong(size);
            }
            if (payload.isNative() && size > 256) {
                writeAll2(sink.segment(), payload);
            } else if (size <= SINGLE_WRITE_LIMIT) {
                sink.write(payload);
                writeAll(sink.segment(), sink.size());
            } else {
                long done = 0;
                while (done < size) {
                    long n = Math.min(SINGLE_WRITE_LIMIT, size - done);
                    sink.write(payload.asSlice(done, n));
                    writeAll(sink.segment(), sink.size());
                    sink.reset();
                    done += n;
                }
            }
        } finally {
            freeSendBuffer();
            sendLock.unlock();
        }
    }

    private ByteSink sendSink() {
        ByteSink s = sendBuffer;
        if (s == null) {
            s = sendBuffer = new ByteSink(1024);
        }
        return s;
    }

    private void writeAll(MemorySegment segment, long size) throws IOException {
        var n = fd.acquire();
        try {
            if (socket) {
                OS.sendFully(n, segment, size);
            } else {
                OS.writeFully(n, segment, size);
            }
        } finally {
            fd.release();
        }
    }

    private void writeAll2(MemorySegment header, MemorySegment payload) throws IOException {
        var n = fd.acquire();
        try {
            OS.writeFully(n, header, payload);
        } finally {
            fd.release();
        }
    }

    // ------------------------------------------------------------------ handles

    /**
     * Sends a duplicate of the descriptor {@code handle} to the other end (CPython's
     * {@code reduction.send_handle(conn, handle, pid)}; a CPython peer receives it with
     * {@code recv_handle}). The caller keeps its own descriptor. Sends are serialized with
     * messages: a handle sent after a message arrives after it. Blocks like
     * {@link #sendBytes(byte[])}.
     *
     * @param handle an open descriptor of this process
     * @throws IllegalArgumentException if {@code handle} is negative
     * @throws IllegalStateException if this end is not a duplex connection over a Unix-domain
     *     socket (a one-way pipe or TCP cannot carry handles)
     * @throws EOFException if the other end is closed
     * @throws ClosedChannelException if this end is closed
     * @throws IOException on any other OS error, for example if {@code handle} is not open
     */
    public void sendHandle(int handle) throws IOException {
        if (handle < 0) {
            throw new IllegalArgumentException("not a handle: " + handle);
        }
        checkWritable();
        checkCarriesHandles();
        sendLock.lock();
        try {
            ByteSink sink = sendSink();
            sink.reset();
            sink.write(MemorySegment.ofArray(new byte[] {1})); // CPython: len(fds) % 256
            var n = fd.acquire();
            try {
                OS.sendWithHandles(n, sink.segment(), 1,
                        new Handle[] {Handle.of(handle)});
            } finally {
                fd.release();
            }
        } finally {
            freeSendBuffer();
            sendLock.unlock();
        }
    }

    /**
     * From now on this end reads in a way that keeps the handles the other end sends (see
     * "Handles" in the class comment); call it before they can arrive. Reads then cost a little
     * more (no brief spin before sleeping). Idempotent.
     *
     * @return this connection
     * @throws IllegalStateException if this end is not a duplex connection over a Unix-domain
     *     socket
     * @throws ClosedChannelException if this end is closed
     * @throws IOException on OS error
     */
    public Connection expectHandles() throws IOException {
        checkReadable();
        checkCarriesHandles();
        handleMode = true;
        return this;
    }

    /**
     * Receives the next handle the other end sent with {@link #sendHandle(int)} (or CPython's
     * {@code send_handle}), blocking until one arrives; messages that arrive meanwhile stay for
     * {@link #recv()}. The descriptor is new in this process, close-on-exec, and owned by the
     * caller, who closes it. Without {@link #expectHandles()} this end switches to it now, which is
     * only safe when no message bytes are buffered (else a handle may already have been dropped).
     *
     * @return the descriptor
     * @throws IllegalStateException if this end cannot carry handles, or if it was not expecting
     *     handles and has read ahead of the last message received
     * @throws EOFException if the other end closed before sending one
     * @throws IOException on OS error, or if more than 64 KiB of messages arrive before the handle
     *     (receive them first)
     */
    public int recvHandle() throws IOException {
        checkReadable();
        recvLock.lock();
        try {
            if (!handleMode) {
                if (recvLimit > recvPos) {
                    throw new IllegalStateException("this end read ahead of the last message without"
                            + " expecting handles: a handle sent meanwhile is lost; call"
                            + " expectHandles() before the other end sends one");
                }
                expectHandles();
            }
            ensureRecvBuffer();
            while (handles.isEmpty()) {
                if (ended) {
                    throw eof();
                }
                if (recvPos > 0) { // compact
                    int unread = recvLimit - recvPos;
                    MemorySegment.copy(recvBuffer, recvPos, recvBuffer, 0, unread);
                    recvPos = 0;
                    recvLimit = unread;
                }
                if (recvLimit == RECV_BUFFER_SIZE) {
                    throw new IOException("more than " + RECV_BUFFER_SIZE + " bytes of messages"
                            + " arrived before a handle: receive them first");
                }
                long n = readKeepingHandles(recvBuffer.asSlice(recvLimit),
                        RECV_BUFFER_SIZE - recvLimit, true);
                if (n == 0 && handles.isEmpty()) {
                    ended = true;
                    throw eof();
                }
                recvLimit += (int) n;
            }
            return (int) handles.removeFirst().value(); // the public API's raw OS handle
        } finally {
            unlockRecv();
        }
    }

    private void checkCarriesHandles() throws IOException {
        if (!socket) {
            throw new IllegalStateException("a one-way connection cannot carry handles");
        }
        var n = fd.acquire();
        try {
            if (!(OS.localAddress(n) instanceof java.net.UnixDomainSocketAddress)) {
                throw new IllegalStateException("only a Unix-domain socket carries handles, not "
                        + OS.localAddress(n));
            }
        } finally {
            fd.release();
        }
    }

    /**
     * Reads in handle mode, blocking for at least one byte: keeps the handles that arrive and
     * drops the byte each travels with (the kernel ends a read with it, so it is the last byte
     * read). Called with recvLock held.
     *
     * @param forHandle return 0 once a handle arrived with no other byte (else such a read is
     *     followed by another)
     * @return the message bytes read; 0 at end of stream (or, {@code forHandle}, with a handle)
     */
    private long readKeepingHandles(MemorySegment into, long max, boolean forHandle) throws IOException {
        var n = fd.acquire();
        try {
            for (;;) {
                Platform.Received r = OS.receiveWithHandles(n, into, max);
                var received = r.handles();
                if (received.length == 0) {
                    return r.bytes();
                }
                for (var d : received) {
                    handles.addLast(d);
                }
                if (r.bytes() > 1 || forHandle) {
                    return r.bytes() - 1;
                }
            }
        } finally {
            fd.release();
        }
    }

    // ------------------------------------------------------------------ receiving

    /**
     * Receives one message and decodes it with this connection's codec. Blocks until a whole
     * message arrives.
     *
     * @return the decoded value (may be {@code null} if {@code null} was sent)
     * @throws EOFException if the other end closed and every message was read
     * @throws CodecException if the message cannot be decoded (it is consumed; the connection
     *     stays usable)
     * @throws IOException on any other error, or if the message is longer than
     *     {@link #maxFrameSize()} (the connection becomes unusable for receiving)
     * @throws OutOfMemoryError if the bytes of a message that did arrive do not fit in memory
     *     (the connection becomes unusable for receiving)
     */
    public Object recv() throws IOException {
        checkReadable();
        recvLock.lock();
        try {
            long size = readHeader(maxFrameSize);
            if (size <= RECV_BUFFER_SIZE) {
                fill((int) size);
                MemorySegment payload = recvBuffer.asSlice(recvPos, size);
                recvPos += (int) size; // consumed even if it cannot be decoded
                return codec.decode(payload);
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment whole;
                if (size <= FIRST_CHUNK) {
                    whole = arena.allocate(size);
                    readPayload(whole);
                } else {
                    whole = readNativeChunks(size, arena);
                }
                return codec.decode(whole);
            }
        } catch (OutOfMemoryError e) {
            broken = "no memory for a message (the rest of its bytes are left unread)";
            throw e;
        } finally {
            unlockRecv();
        }
    }

    /**
     * Receives one message's bytes (Python's {@code recv_bytes()}).
     *
     * @return the payload
     * @throws EOFException if the other end closed and every message was read
     * @throws IOException on error, or if the message is longer than {@link #maxFrameSize()} or
     *     than a Java array can hold (the connection becomes unusable for receiving)
     */
    public byte[] recvBytes() throws IOException {
        return recvBytes(Integer.MAX_VALUE - 8);
    }

    /**
     * Receives one message's bytes, refusing messages longer than {@code maxLength} (Python's
     * {@code recv_bytes(maxlength)}): a longer message throws and makes the connection unusable
     * for receiving, because its bytes are left unread.
     *
     * @param maxLength the longest message accepted
     * @return the payload
     * @throws IllegalArgumentException if {@code maxLength < 0}
     * @throws EOFException if the other end closed and every message was read
     * @throws IOException on error or a message that is too long
     */
    public byte[] recvBytes(int maxLength) throws IOException {
        if (maxLength < 0) {
            throw new IllegalArgumentException("negative maxLength " + maxLength);
        }
        checkReadable();
        recvLock.lock();
        try {
            return readHeapPayload(readHeader(Math.min(maxLength, maxFrameSize)));
        } catch (OutOfMemoryError e) {
            broken = "no memory for a message (the rest of its bytes are left unread)";
            throw e;
        } finally {
            unlockRecv();
        }
    }

    /**
     * As {@link #recvBytes(int)}, giving up at {@code deadline}: for a socket whose peer may stall
     * in the middle of a message (a handshake).
     *
     * @param deadline a {@link System#nanoTime()} value
     * @throws SocketTimeoutException if the whole message has not arrived by then (the
     *     connection becomes unusable for receiving)
     */
    byte[] recvBytes(int maxLength, long deadline) throws IOException {
        recvLock.lock();
        try {
            timed = true;
            recvDeadline = deadline;
            return recvBytes(maxLength);
        } finally {
            timed = false;
            unlockRecv();
        }
    }

    /**
     * Receives one message into {@code buffer} from index 0 (Python's {@code recv_bytes_into}).
     *
     * @param buffer where the message goes
     * @return the message length
     * @throws BufferTooShortException if it does not fit; the message is consumed and carried by
     *     the exception (read as it arrives: see "Limits and memory" in the class comment),
     *     the connection stays usable
     * @throws EOFException if the other end closed and every message was read
     * @throws IOException on any other error
     */
    public int recvBytesInto(byte[] buffer) throws IOException {
        return recvBytesInto(buffer, 0);
    }

    /**
     * Receives one message into {@code buffer} starting at {@code offset}.
     *
     * @param buffer where the message goes
     * @param offset index of its first byte in {@code buffer}
     * @return the message length
     * @throws IndexOutOfBoundsException if {@code offset} is outside the buffer
     * @throws BufferTooShortException if it does not fit (see {@link #recvBytesInto(byte[])})
     * @throws IOException on any other error
     */
    public int recvBytesInto(byte[] buffer, int offset) throws IOException {
        Objects.checkIndex(offset, buffer.length + 1);
        return (int) recvBytesInto(MemorySegment.ofArray(buffer).asSlice(offset));
    }

    /**
     * Receives one message into the start of {@code target} without allocating.
     *
     * @param target where the message goes
     * @return the message length
     * @throws BufferTooShortException if it does not fit (see {@link #recvBytesInto(byte[])})
     * @throws IOException on any other error
     */
    public long recvBytesInto(MemorySegment target) throws IOException {
        checkReadable();
        recvLock.lock();
        try {
            long size = readHeader(maxFrameSize);
            if (size > target.byteSize()) {
                if (size > Integer.MAX_VALUE - 8) {
                    broken = "a message of " + size + " bytes did not fit the buffer";
                    throw new IOException(broken);
                }
                throw new BufferTooShortException(readHeapPayload(size), target.byteSize());
            }
            readPayload(target.asSlice(0, size));
            return size;
        } catch (OutOfMemoryError e) {
            broken = "no memory for a message (the rest of its bytes are left unread)";
            throw e;
        } finally {
            unlockRecv();
        }
    }

    /**
     * Tells whether a message (or end of stream) can be received without blocking.
     *
     * @return {@code true} if {@link #recv()} would not block
     * @throws ClosedChannelException if this end is closed
     * @throws IOException on OS error
     */
    public boolean poll() throws IOException {
        return poll(Duration.ZERO);
    }

    /**
     * Waits up to {@code timeout} until a message (or end of stream) can be received. Returns as
     * soon as data arrives; never returns {@code false} before the timeout has passed.
     *
     * @param timeout how long to wait at most
     * @return {@code true} if a message or end of stream can be received without blocking
     * @throws ClosedChannelException if this end is closed
     * @throws IllegalStateException if this end is write-only
     * @throws IOException on OS error
     */
    public boolean poll(Duration timeout) throws IOException {
        checkReadable();
        if (recvLimit > recvPos) {
            return true;
        }
        return !wait(List.of(this), timeout).isEmpty();
    }

    private long readHeader(long limit) throws IOException {
        if (broken != null) {
            throw new IOException("connection is unusable for receiving: " + broken);
        }
        if (ended) {
            throw eof();
        }
        ensureRecvBuffer();
        fill(4);
        long size = recvBuffer.get(INT_BE, recvPos);
        recvPos += 4;
        if (size == -1) {
            fill(8);
            size = recvBuffer.get(LONG_BE, recvPos);
            recvPos += 8;
            if (size < 0) {
                broken = "garbage message header (length " + Long.toUnsignedString(size) + ")";
                throw new IOException(broken);
            }
        } else if (size < 0) {
            broken = "garbage message header (length " + size + ")";
            throw new IOException(broken);
        }
        if (size > limit) {
            broken = "message of " + size + " bytes exceeds the limit of " + limit + " bytes"
                    + (limit == maxFrameSize ? " (this connection's maxFrameSize)" : "");
            throw new IOException(broken);
        }
        return size;
    }

    /**
     * Reads a payload of {@code size} (at most {@code Integer.MAX_VALUE - 8}) bytes into a new
     * array, as {@link #readGrowing} does beyond {@link #FIRST_CHUNK}.
     */
    private byte[] readHeapPayload(long size) throws IOException {
        if (size <= FIRST_CHUNK) {
            byte[] out = new byte[(int) size];
            readPayload(MemorySegment.ofArray(out));
            return out;
        }
        LongFunction<MemorySegment> heap = n -> MemorySegment.ofArray(new byte[(int) n]);
        return (byte[]) readGrowing(size, heap, heap, () -> { }).heapBase().orElseThrow();
    }

    /** As {@link #readHeapPayload} for any length, into native memory of {@code arena}. */
    private MemorySegment readNativeChunks(long size, Arena arena) throws IOException {
        Arena chunks = Arena.ofConfined();
        try {
            return readGrowing(size, chunks::allocate, arena::allocate, chunks::close);
        } finally {
            if (chunks.scope().isAlive()) { // not yet freed by readGrowing: it failed
                chunks.close();
            }
        }
    }

    /**
     * Reads a payload of {@code size} bytes so that a header that lies costs only what arrives:
     * until half of it has arrived, into chunks that grow with what has arrived ({@link #nextChunk});
     * then into a buffer of its full size (at most twice what has arrived), where the chunks are
     * copied and the rest is read directly. At most 1.5 times the payload is held at once.
     *
     * @param chunk allocates a chunk
     * @param whole allocates the buffer returned
     * @param chunksCopied frees the chunks (the chunk allocator's memory) once copied
     */
    private MemorySegment readGrowing(long size, LongFunction<MemorySegment> chunk,
                                      LongFunction<MemorySegment> whole, Runnable chunksCopied)
            throws IOException {
        List<MemorySegment> chunks = new ArrayList<>();
        long done = 0;
        while (2 * done < size) {
            MemorySegment c = chunk.apply(Math.min(size - done, nextChunk(done)));
            readPayload(c);
            chunks.add(c);
            done += c.byteSize();
        }
        MemorySegment out = whole.apply(size);
        long at = 0;
        for (int i = 0; i < chunks.size(); i++) {
            MemorySegment c = chunks.set(i, null); // collectable as soon as copied
            MemorySegment.copy(c, 0, out, at, c.byteSize());
            at += c.byteSize();
        }
        chunksCopied.run();
        readPayload(out.asSlice(at));
        return out;
    }

    /** {@return the size of the next receive chunk after {@code received} bytes} */
    private static long nextChunk(long received) {
        return Math.max(FIRST_CHUNK, Math.min(received, MAX_CHUNK));
    }

    private void ensureRecvBuffer() {
        if (recvBuffer == null) {
            recvBuffer = Arena.ofAuto().allocate(RECV_BUFFER_SIZE, 64);
        }
    }

    /** Makes at least {@code need} (≤ buffer size) unread bytes available. */
    private void fill(int need) throws IOException {
        if (recvLimit - recvPos >= need) {
            return;
        }
        if (recvPos > 0) { // compact
            int unread = recvLimit - recvPos;
            MemorySegment.copy(recvBuffer, recvPos, recvBuffer, 0, unread);
            recvPos = 0;
            recvLimit = unread;
        }
        while (recvLimit < need) {
            long n = readSome(recvBuffer.asSlice(recvLimit), RECV_BUFFER_SIZE - recvLimit);
            if (n == 0) {
                throw endOfStream();
            }
            recvLimit += (int) n;
        }
    }

    /** Copies the next {@code target.byteSize()} payload bytes into {@code target}. */
    private void readPayload(MemorySegment target) throws IOException {
        long size = target.byteSize();
        long done = Math.min(size, recvLimit - recvPos);
        MemorySegment.copy(recvBuffer, recvPos, target, 0, done);
        recvPos += (int) done;
        if (done == size) {
            return;
        }
        recvPos = recvLimit = 0;
        boolean direct = target.isNative();
        while (done < size) {
            long want = size - done;
            long n;
            if (direct) {
                n = readSome(target.asSlice(done), want);
            } else {
                n = readSome(recvBuffer, Math.min(want, RECV_BUFFER_SIZE));
                MemorySegment.copy(recvBuffer, 0, target, done, n);
            }
            if (n == 0) {
                throw endOfStream();
            }
            done += n;
        }
    }

    /**
     * Reads what is available, blocking for at least one byte. A socket is first polled without
     * blocking for up to {@link #SPIN_NANOS}: waking a sleeping reader costs tens of microseconds,
     * so a reply that arrives within the spin window is received without that cost.
     */
    private long readSome(MemorySegment into, long max) throws IOException {
        if (handleMode) {
            return readKeepingHandles(into, max, false);
        }
        var n = fd.acquire();
        try {
            if (timed) {
                return readSomeBefore(n, into, max);
            }
            if (socket) {
                long deadline = 0;
                for (int i = 0; ; i++) {
                    long r = OS.readNow(n, into, max);
                    if (r >= 0) {
                        return r;
                    }
                    if (i == 0) {
                        deadline = System.nanoTime() + SPIN_NANOS;
                    } else if (System.nanoTime() - deadline > 0) {
                        break;
                    }
                    Thread.onSpinWait();
                }
            }
            return OS.read(n, into, max);
        } finally {
            fd.release();
        }
    }

    /** As {@link #readSome} on a socket, giving up at {@link #recvDeadline}. */
    private long readSomeBefore(Handle n, MemorySegment into, long max) throws IOException {
        for (;;) {
            long r = OS.readNow(n, into, max);
            if (r >= 0) {
                return r;
            }
            long left = recvDeadline - System.nanoTime();
            if (left <= 0) {
                broken = "a receive gave up at its deadline, possibly in the middle of a message";
                throw new SocketTimeoutException("no complete message within the deadline");
            }
            OS.awaitReadable(n, left);
        }
    }

    /**
     * Records that the stream has ended: what is still buffered is the start of a message that
     * will never be completed, so it is dropped and every later receive throws
     * {@link EOFException} (instead of taking those bytes for the next message).
     */
    private EOFException endOfStream() throws ClosedChannelException {
        ended = true;
        recvPos = recvLimit = 0;
        return eof();
    }

    private EOFException eof() throws ClosedChannelException {
        if (fd.isClosed()) {
            throw new ClosedChannelException();
        }
        return new EOFException("the other end of the connection is closed");
    }

    // ------------------------------------------------------------------ waiting

    /**
     * Waits until at least one of {@code objects} is ready, or the timeout passes (Python's
     * {@code multiprocessing.connection.wait}). A connection is ready when a message or end of
     * stream can be received; a {@linkplain ChildProcess#sentinel() sentinel} when its process
     * has ended; a {@link ParentProcess} when the parent has ended; a
     * {@linkplain Waitable#handle(int) handle} (a socket, for example) when it can be read
     * without blocking.
     *
     * @param <T> the kind of waitable
     * @param objects connections, sentinels and handles; not empty
     * @param timeout how long to wait; {@code null} waits forever
     * @return the ready objects, in the order given; empty only after the timeout
     * @throws ClosedChannelException if a connection is closed, or a handle is not an open
     *     descriptor
     * @throws IOException on OS error
     */
    public static <T extends Waitable> List<T> wait(Collection<T> objects, Duration timeout)
            throws IOException {
        List<T> list = List.copyOf(objects);
        if (list.isEmpty()) {
            throw new IllegalArgumentException("nothing to wait for");
        }
        // A connection with bytes in its receive buffer is ready; the others are then only
        // polled, without blocking, so that every ready object is returned.
        boolean[] buffered = new boolean[list.size()];
        boolean anyBuffered = false;
        for (int i = 0; i < buffered.length; i++) {
            if (list.get(i) instanceof Connection c && c.recvLimit > c.recvPos) {
                buffered[i] = anyBuffered = true;
            }
        }
        if (anyBuffered) {
            timeout = Duration.ZERO;
        }
        var handles = new Handle[list.size()];
        boolean[] readable = new boolean[handles.length];
        Descriptor[] held = new Descriptor[handles.length];
        try {
            for (int i = 0; i < handles.length; i++) {
                if (list.get(i) instanceof Waitable.OsHandle h) {
                    handles[i] = Handle.of(h.handle()); // the caller's own descriptor
                    continue;
                }
                Descriptor d = descriptorOf(list.get(i));
                handles[i] = d.acquire();
                held[i] = d;
            }
            long nanos = timeout == null ? -1 : Math.max(0, timeout.toNanos());
            OS.awaitReadable(handles, readable, nanos); // a handle not open: ClosedChannelException
        } finally {
            for (Descriptor d : held) {
                if (d != null) {
                    d.release();
                }
            }
        }
        List<T> ready = new ArrayList<>();
        for (int i = 0; i < handles.length; i++) {
            if (readable[i] || buffered[i]) {
                ready.add(list.get(i));
            }
        }
        return ready;
    }

    private static Descriptor descriptorOf(Waitable w) throws ClosedChannelException {
        return switch (w) {
            case Connection c -> {
                c.checkReadable();
                yield c.fd;
            }
            case ChildProcess.Sentinel s -> s.descriptor();
            case Waitable.OsHandle h -> throw new AssertionError("a handle has no Descriptor");
            case ParentProcess p -> p.descriptor();
        };
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Closes this process's copy of this end. Idempotent and thread-safe. If no other process
     * holds this end, a thread blocked receiving on a duplex connection is woken (it gets
     * {@link ClosedChannelException}) and the other end sees end of stream once it has read every
     * message already sent; if another process holds it (it was passed to a child, or came from a
     * parent), only this copy is dropped and blocked threads wait for data or end of stream.
     */
    @Override
    public void close() {
        // Waking blocked threads needs a shutdown, which would also end the stream for any other
        // process holding this end: only done when no other process can hold it (Python's close
        // never affects another process's copy).
        fd.close(!shared);
        if (recvLock.tryLock()) { // else the receiving thread sees the close and ends
            try {
                closeQueuedHandles();
            } finally {
                recvLock.unlock();
            }
        }
        if (sendLock.tryLock()) { // else the sending thread frees the buffer when it finishes
            try {
                freeSendBuffer();
            } finally {
                sendLock.unlock();
            }
        }
    }

    /** Releases recvLock; if this end was closed meanwhile, first closes the queued handles. */
    private void unlockRecv() {
        if (fd.isClosed()) {
            closeQueuedHandles();
        }
        recvLock.unlock();
    }

    /** Closes the handles received but never taken; called with recvLock held. */
    private void closeQueuedHandles() {
        for (var h = handles.pollFirst(); h != null; h = handles.pollFirst()) {
            try {
                OS.close(h);
            } catch (IOException ignored) {
                // released anyway
            }
        }
    }

    /** Frees the native send buffer once closed; called with sendLock held. */
    private void freeSendBuffer() {
        if (sendBuffer != null && fd.isClosed()) {
            sendBuffer.close();
            sendBuffer = null;
        }
    }

    private void checkReadable() throws ClosedChannelException {
        if (fd.isClosed()) {
            throw new ClosedChannelException();
        }
        if (!readable) {
            throw new IllegalStateException("connection is write-only");
        }
    }

    private void checkWritable() throws ClosedChannelException {
        if (fd.isClosed()) {
            throw new ClosedChannelException();
        }
        if (!writable) {
            throw new IllegalStateException("connection is read-only");
        }
    }

    /** {@return the descriptor, for passing to a child} */
    Descriptor descriptor() {
        return fd;
    }

    /** {@return what travels to a child instead of this connection} */
    Inheritable.Handle childHandle() {
        shared = true;
        if (codec != Codec.defaults() && !(codec instanceof java.io.Serializable)) {
            throw new IllegalArgumentException("a connection passed to a child needs a Serializable"
                    + " codec; " + codec.getClass().getName() + " is not");
        }
        return new ChildEnd(readable, writable, maxFrameSize,
                codec == Codec.defaults() ? null : codec);
    }

    /**
     * A connection on its way to a child.
     *
     * @param readable whether the child may receive
     * @param writable whether the child may send
     * @param maxFrameSize the largest frame the child accepts
     * @param codec the codec, or null for the default
     */
    private record ChildEnd(boolean readable, boolean writable, long maxFrameSize, Codec codec)
            implements Inheritable.Handle {
        private static final long serialVersionUID = 1L;

        @Override
        public Object resolve(Handle fd) {
            return inherited(fd, readable, writable, maxFrameSize,
                    codec == null ? Codec.defaults() : codec);
        }
    }

    /** {@return whether this connection uses {@link Codec#defaults()}} */
    boolean hasDefaultCodec() {
        return codec == Codec.defaults();
    }

    /** {@return a connection a child rebuilds around {@code fd}, which it inherited} */
    static Connection inherited(Handle fd, boolean readable, boolean writable, long maxFrameSize,
                                Codec codec) {
        Connection c = new Connection(fd, readable, writable, codec).maxFrameSize(maxFrameSize);
        c.shared = true;
        return c;
    }

    @Override
    public String toString() {
        return "Connection[" + fd.handle() + (readable ? ",r" : "") + (writable ? ",w" : "")
                + (isClosed() ? ",closed" : "") + "]";
    }
}
