package org.multiprocessing4j;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.NoSuchFileException;
import java.util.AbstractQueue;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.multiprocessing4j.internal.codec.DefaultCodec;
import org.multiprocessing4j.internal.queue.QueueLayout;
import org.multiprocessing4j.internal.queue.Ring;
import org.multiprocessing4j.internal.queue.SinkPool;
import org.multiprocessing4j.internal.queue.SpillStore;
import org.multiprocessing4j.internal.queue.Spill;
import org.multiprocessing4j.internal.sync.LivenessMark;
import org.multiprocessing4j.internal.sync.Regions;
import org.multiprocessing4j.internal.sync.Waiting;
import org.multiprocessing4j.platform.Platform;

/**
 * A first-in-first-out queue in shared memory that any number of threads in any number of
 * processes put to and take from (Python's {@code multiprocessing.Queue}), implementing
 * {@link BlockingQueue}. Pass it to a child by capturing it in a {@link Task}: the child maps the
 * same memory (nothing is copied, as when Python pickles a queue for a new process).
 *
 * <pre>{@code
 * try (SharedQueue<String> q = SharedQueue.create()) {
 *     ChildProcess p = new ChildProcess(() -> q.put("hello from a child"));
 *     p.start();
 *     System.out.println(q.take());
 *     p.join();
 * }
 * }</pre>
 *
 * <h2>Elements</h2>
 * Elements are encoded with the queue's codec in the calling thread of {@code put}/{@code
 * offer}: {@link Codec#defaults()} for an anonymous queue, {@link Codec#forUntrustedPeers()} (value
 * types only) for a named one, which any process of the user can open and put to, unless
 * {@link Builder#codec(Codec)} or {@link #open(String, Codec)} chose another (see {@link Codec}'s
 * "Trust"). A value that cannot be encoded throws {@link IllegalArgumentException} (its cause the
 * {@link CodecException}) and nothing is enqueued. {@code byte[]} is copied straight into the
 * ring. {@code take}/{@code poll} decode a fresh copy; a record that cannot be decoded is
 * consumed and reported as an {@link UncheckedIOException} whose cause is the
 * {@link CodecException}. {@code null} is not allowed ({@link NullPointerException}, as for every
 * {@code BlockingQueue}): use a marker value where Python code puts {@code None}.
 *
 * <h2>Capacity</h2>
 * The ring has a fixed number of slots of a fixed size. With a {@code maxsize} (in items, as in
 * Python) the ring has exactly {@code maxsize} slots. Python's unbounded queue ({@code maxsize=0})
 * is bounded here by the ring: {@value #DEFAULT_SLOTS} slots unless {@link Builder#capacity(int)}
 * says otherwise, and {@code put} blocks when they are all taken. A record larger than a slot
 * ({@link Builder#slotSize(int)} minus 16 bytes) travels in place through the queue's record area
 * (see {@link Builder#recordArea(long, int)}: {@value #DEFAULT_RECORD_AREA} bytes for records up
 * to {@value #DEFAULT_AREA_RECORD_LIMIT} bytes unless it says otherwise), copied in by
 * {@code put} and out by {@code take}; when the area has no free room for it for 10 ms, it is
 * spilled as a larger one would be, so {@code put} blocks only when the slots are all taken,
 * whatever the records' sizes. A record larger than the area's limit travels in a separate named shared-memory segment
 * (named {@code mp4j-q-…}; where named memory lives: the
 * {@linkplain org.multiprocessing4j##os-mapping OS mapping}) referenced from its slot, created by
 * the producer and removed by the consumer; records still in the queue when the last process unmaps
 * it are lost. The segments of spilled ones are then removed, within seconds, by the tracker
 * process of a JVM that spilled into the queue (see {@link SharedMemory}), once that JVM has ended
 * or closed the queue and no process maps or holds the queue's memory any more, however its
 * processes ended; a kill of a whole process group or cgroup kills those trackers too, and then the
 * segments stay.
 *
 * <p>At most 1,023 processes can use one queue at a time: a process takes one of that many
 * entries in the queue's memory at its first put or take (every instance of the queue in the
 * process shares it) and keeps it until it exits; the entry of a dead process is reused. In a
 * process that would be one more, that first put or take (or {@code taskDone}) throws
 * {@link IllegalStateException}, with nothing put or taken; merely holding the queue, as a child
 * that never uses it does, takes no entry.
 *
 * <p>The ring takes {@code slots × slotSize} bytes plus the record area plus a small header (by
 * default 1,323,008 bytes, about 1.3 MiB per queue, of which 1 MiB is the record area;
 * {@code recordArea(0, 0)} leaves the area out: 271,104 bytes), all reserved when the queue
 * is created (up to 2^24 slots of 1 MiB: 16 TiB), which takes time in proportion (about 0.6 s per
 * GiB on a 2-core Linux VM). A ring larger than what the system can back at that moment is refused
 * by {@code create} with an {@link IOException} naming the size and the limit, before anything is
 * committed — see {@link SharedMemory}'s "Size limit" — and so is a spill segment, which makes that
 * {@code put} throw {@link UncheckedIOException} with nothing enqueued.
 *
 * <h2>Guarantees</h2>
 * When {@code put} returns, the record is committed in shared memory: the producer may exit or be
 * killed at once and the record is still delivered, exactly once. Records from one producer
 * thread are taken in the order they were put. A process killed during {@code put} loses at most
 * the record it was putting; a process killed during {@code take} loses at most the record it was
 * taking (a record in the record area included: the area's memory it held comes back); in both
 * cases others go on as soon as they notice the death (each waiter checks the
 * owner of the slot it waits for at least every 5 ms, by a lock the kernel keeps on the queue's
 * memory for every process that has the queue open and drops when the process ends, so neither
 * pid reuse nor a live process in another PID namespace fools it; a process that closed its
 * last view of the queue counts as gone). Actions in a thread before {@code put} happen-before
 * actions after the {@code take} of that record in another thread, in this or any other process
 * (see {@link SharedInt} for what "happen-before" rests on across processes).
 *
 * <p>The queue's shared memory is only ever written by this library; if something else writes
 * garbage into it (a named queue is named memory that other processes of the user can open),
 * the call that finds it throws
 * {@link IllegalStateException} saying the memory is corrupt, at once and without allocating
 * what a garbage length asks for; a record with an impossible length is consumed.
 *
 * <h2>Waiting</h2>
 * A blocked call spins for up to 50 µs (not at all with one CPU), then sleeps on a wait word of
 * the queue's memory in slices of at most 5 ms, the policy every shared object
 * follows; no system call is made when nobody sleeps. Timeouts are never early. Interruption is
 * noticed when the call starts to sleep and at least every 5 ms while it sleeps, and throws
 * {@link InterruptedException} with nothing put or taken.
 *
 * <h2>Python to Java</h2>
 * <table>
 *   <caption>Python's Queue calls</caption>
 *   <tr><th>Python</th><th>Java</th></tr>
 *   <tr><td>{@code Queue(maxsize)}</td><td>{@link #create(int)}, {@link #create()}, {@link #builder()}</td></tr>
 *   <tr><td>{@code put(x)}, {@code put(x, block=True, timeout=t)}</td><td>{@link #put}, {@link #offer(Object, long, TimeUnit)} (false instead of {@code queue.Full})</td></tr>
 *   <tr><td>{@code put_nowait(x)}, {@code put(x, False)}</td><td>{@link #offer(Object)}; {@link #add} throws {@link IllegalStateException} when full</td></tr>
 *   <tr><td>{@code get()}, {@code get(timeout=t)}</td><td>{@link #take}, {@link #poll(long, TimeUnit)} ({@code null} instead of {@code queue.Empty})</td></tr>
 *   <tr><td>{@code get_nowait()}, {@code get(False)}</td><td>{@link #poll()}; {@link #remove()} throws {@link java.util.NoSuchElementException} when empty</td></tr>
 *   <tr><td>{@code qsize()}, {@code empty()}, {@code full()}</td><td>{@link #size}, {@link #isEmpty}, {@code remainingCapacity() == 0} (all approximate while others operate)</td></tr>
 *   <tr><td>{@code close()}</td><td>{@link #close()} (this process's view only)</td></tr>
 *   <tr><td>{@code join_thread()}, {@code cancel_join_thread()}</td><td>not needed: there is no feeder thread, nothing to flush at exit</td></tr>
 *   <tr><td>{@code SimpleQueue()}</td><td>{@link #create()}: the same queue (no feeder thread to do without)</td></tr>
 *   <tr><td>{@code JoinableQueue(maxsize)}, {@code task_done()}, {@code join()}</td><td>{@link SharedJoinableQueue#create(int)}, {@link SharedJoinableQueue#taskDone()}, {@link SharedJoinableQueue#join()}</td></tr>
 * </table>
 *
 * <h2>Named queues</h2>
 * A queue created with {@link Builder#name(String)} can be {@link #open(String) opened} by an
 * unrelated process, which needs only the name; otherwise a queue reaches other processes only
 * as a child's captured state. A named queue's {@code take}/{@code poll} decode only value types
 * by default: an element of another class is consumed and reported as an
 * {@link UncheckedIOException} whose cause is the {@link CodecException}, and none of its code
 * runs.
 *
 * <h2>Not supported</h2>
 * {@link #iterator()} (and so {@code contains}, {@code remove(Object)}, {@code toArray}) throws
 * {@link UnsupportedOperationException}: the queue is shared with other processes, so there is no
 * stable collection to iterate. {@link #peek()} is best effort: the element it returns may be
 * taken by someone else at once.
 *
 * <h2>Lifetime</h2>
 * Thread-safe. {@link #close()} unmaps this process's view, after waiting for this process's
 * calls in progress (blocked ones give up with {@link IllegalStateException}); later calls throw
 * {@link IllegalStateException}; closing twice is harmless. The memory lives on while another
 * process maps it.
 *
 * @param <E> the element type
 */
public sealed class SharedQueue<E> extends AbstractQueue<E> implements BlockingQueue<E>, AutoCloseable,
        Serializable permits SharedJoinableQueue {

    /*
     * Implementation notes. The ring protocol (claim/commit/release, recovery of a dead owner's
     * claim, the record format of a slot, waiting for a claim or for joinable tasks) is
     * internal.queue.Ring; the region layout internal.queue.QueueLayout; the record area for
     * records larger than a slot (runs of chunks, each naming its owner or its queue position,
     * and why a crash costs at most the record in hand) internal.queue.RecordArea; spill
     * segments internal.queue.SpillStore; encode buffers internal.queue.SinkPool. This class
     * adapts them to BlockingQueue: encoding and decoding with the codec, and the process-local
     * lifetime:
     *
     * - Three ways for a record, by encoded size: inline in its slot (<= inlineRecordLimit), in
     *   place in the record area (<= areaRecordLimit: allocate a run, fill it, claim a slot, bind
     *   the run to the slot's position, commit; spilled when no run frees up within 10 ms),
     *   else spilled. byte[] and putBytes write the codec's BYTES form straight into the slot or
     *   the run, without an encode buffer.
     *
     * - Encode before claiming: a claimed slot is always committed or abandoned in a finally,
     *   so an exception (codec, OOM) can never leave a claim owned by a live process.
     * - inFlight counts this instance's calls in progress; close() sets `closed` and waits for
     *   it to drain before unmapping, so no claimed slot is left mid-copy by an unmapped view.
     *   enter() increments then reads `closed`, close() writes `closed` then reads the count:
     *   both volatile, so at least one side sees the other.
     * - The participant index of this process is registered on first claim.
     */

    @Serial
    private static final long serialVersionUID = 3L;
    private static final Platform OS = Platform.current();

    /** Slots of a queue without a maxsize, unless {@link Builder#capacity(int)} says otherwise. */
    public static final int DEFAULT_SLOTS = 1024;
    /** Bytes per slot unless {@link Builder#slotSize(int)} says otherwise. */
    public static final int DEFAULT_SLOT_SIZE = 256;
    /** Bytes of the record area unless {@link Builder#recordArea(long, int)} says otherwise (1 MiB). */
    public static final long DEFAULT_RECORD_AREA = 1 << 20;
    /**
     * The largest encoded record that travels through the record area unless
     * {@link Builder#recordArea(long, int)} says otherwise (256 KiB).
     */
    public static final int DEFAULT_AREA_RECORD_LIMIT = 256 << 10;

    /**
     * How long a put waits for a free run of the record area before it spills its record instead:
     * long enough for a consumer that keeps taking to free one (a 64 KiB take is tens of
     * microseconds), short enough that a producer whose consumer is not taking goes on at spill
     * speed rather than blocking before the queue is full.
     */
    private static final long AREA_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** Copies an encoded record into its place in the record area. */
    private static final Ring.RecordWriter<MemorySegment> WRITE_RECORD = (record, region, offset) ->
            MemorySegment.copy(record, 0, region, offset, record.byteSize());

    /** Writes a {@code byte[]} record from a segment: the codec's BYTES encoding, built in place. */
    private static final Ring.RecordWriter<MemorySegment> WRITE_BYTES = (bytes, region, offset) -> {
        DefaultCodec.writeBytesHeader(region, offset, (int) bytes.byteSize());
        MemorySegment.copy(bytes, 0, region, offset + DefaultCodec.BYTES_HEADER, bytes.byteSize());
    };
    /**
     * As {@link #WRITE_BYTES} from an array, so that {@code put(byte[])} needs no segment view of
     * it (one the JIT does not always keep off the heap: 72 bytes per message when it does not).
     */
    private static final Ring.RecordWriter<byte[]> WRITE_ARRAY = (bytes, region, offset) -> {
        DefaultCodec.writeBytesHeader(region, offset, bytes.length);
        MemorySegment.copy(bytes, 0, region, ValueLayout.JAVA_BYTE, offset + DefaultCodec.BYTES_HEADER,
                bytes.length);
    };

    /** An inline record that is not a {@code byte[]}: its encoding, decoded once the slot is free. */
    private record Encoded(byte[] bytes) {
    }

    /**
     * Copies an inline record out: a {@code byte[]} record as the {@code byte[]} (the common
     * case: that array is the only allocation of a {@code take()}), anything else as
     * {@link Encoded}.
     */
    private static final Ring.RecordCopier<Object> COPY_RECORD = (region, offset, length) -> {
        if (DefaultCodec.isBytesEncoding(region, offset, length)) {
            byte[] bytes = new byte[length - DefaultCodec.BYTES_HEADER];
            MemorySegment.copy(region, ValueLayout.JAVA_BYTE, offset + DefaultCodec.BYTES_HEADER, bytes, 0,
                    bytes.length);
            return bytes;
        }
        byte[] encoded = new byte[length];
        MemorySegment.copy(region, ValueLayout.JAVA_BYTE, offset, encoded, 0, length);
        return new Encoded(encoded);
    };
    /** Copies a {@code byte[]} record that fits into the target; -1 for anything else. */
    private static final Ring.RecordReader<MemorySegment, RuntimeException> BYTES_INTO_TARGET =
            (target, region, offset, length) -> {
                int n = length - DefaultCodec.BYTES_HEADER;
                if (!DefaultCodec.isBytesEncoding(region, offset, length) || n > target.byteSize()) {
                    return -1;
                }
                MemorySegment.copy(region, offset + DefaultCodec.BYTES_HEADER, target, 0, n);
                return n;
            };

    /** The ring's block; travels to children as an inherited descriptor (TaskStreams). */
    @SuppressWarnings("serial")
    private final SharedMemory memory;
    /** The number of slots (a power of two). */
    private final int slots;
    /** The bytes per slot. */
    private final int slotSize;
    /** The bound on queued records, or 0 for none below the slot count. */
    private final int maxsize;
    /** The {@code QueueLayout} flags. */
    private final int flags;
    /** Chunks of the record area (0: none). */
    private final int chunks;
    /** The largest encoded record that travels through the record area. */
    private final int areaLimit;
    /** The codec chosen at creation or opening, or {@code null} for the default of the queue's kind. */
    @SuppressWarnings("serial") // a codec that is not Serializable keeps the queue from travelling
    private Codec codecChoice;

    // Process-local state, rebuilt after deserialization.
    private transient MemorySegment region;
    private transient Ring ring;
    /** This process's proof of life on the region, closed after the region is unmapped. */
    private transient LivenessMark mark;
    private transient Codec codec;
    private transient AtomicInteger inFlight;
    /** Guards closed and participant registration; private so user code locking the queue cannot block them. */
    private transient Object monitor;
    /** Encode buffers. */
    private transient SinkPool sinks;
    /** Where records larger than a slot go. */
    private transient SpillStore spills;
    private transient volatile boolean closed;
    /** Reads {@code closed}, for the ring's waits. */
    private transient BooleanSupplier isClosed;
    private transient volatile int participant;

    /** Wraps a region: initializes it first if {@code initialize}, else checks it. */
    SharedQueue(SharedMemory memory, QueueLayout.Header header, boolean initialize) {
        this.slots = header.slots();
        this.slotSize = header.slotSize();
        this.maxsize = header.maxsize();
        this.flags = header.flags();
        this.chunks = header.chunks();
        this.areaLimit = header.areaLimit();
        this.memory = memory;
        if (initialize) {
            QueueLayout.initialize(memory.segment(), header);
        } else {
            QueueLayout.check(memory.segment(), header);
        }
        attachViews();
    }

    /**
     * Rebuilds the process-local views in the receiving process.
     *
     * @param in the stream
     * @throws IOException if the stream or the block is unreadable
     * @throws ClassNotFoundException never for the fields of this class
     */
    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        QueueLayout.check(memory.segment(), header());
        try {
            attachViews();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private QueueLayout.Header header() {
        return new QueueLayout.Header(slots, slotSize, maxsize, flags, chunks, areaLimit);
    }

    private void attachViews() {
        region = memory.segment();
        mark = Regions.mark(memory, this);
        ring = new Ring(region, slots, slotSize, flags, Spill::discard, mark::isAlive,
                memory.name().orElse(null));
        codec = codecChoice != null ? codecChoice
                : memory.name().isPresent() ? Codec.forUntrustedPeers() : Codec.defaults();
        monitor = new Object();
        isClosed = () -> closed;
        inFlight = new AtomicInteger();
        sinks = new SinkPool(slotSize);
        long memoryInode; // names the queue's spill segments (see Spill)
        try {
            memoryInode = OS.inode(memory.descriptor().handle());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the inode of a queue's shared memory", e);
        }
        spills = new SpillStore(memoryInode, memory.name().orElse(null));
    }

    /** Creates a queue region, anonymous or named, and the queue on it. */
    @SuppressWarnings("unchecked")
    static <Q extends SharedQueue<?>> Q make(String name, QueueLayout.Header h) throws IOException {
        long size = QueueLayout.regionSize(h.slots(), h.slotSize(), h.flags(), h.chunks());
        Regions.Maker<SharedQueue<?>> maker = m -> h.joinable()
                ? new SharedJoinableQueue<>(m, h, true) : new SharedQueue<>(m, h, true);
        return (Q) (name == null ? Regions.anonymous(size, maker) : Regions.create(name, size, maker));
    }

    /**
     * Opens a queue that another process created with {@link Builder#name(String)}, for example
     * an unrelated process. The result is a {@link SharedJoinableQueue} if the queue was created
     * joinable. Close it when done; that does not remove the name ({@link #unlink()} does). The
     * view decodes only value types ({@link Codec#forUntrustedPeers()}); {@link #open(String, Codec)}
     * chooses another codec.
     *
     * @param <E> the element type (not checked: a record of another type fails in {@code take})
     * @param name the name given at creation
     * @return a view of the same queue
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException if the name holds shared memory that is too small or never initialized
     * @throws IllegalStateException if it holds another kind of region, or another layout version
     */
    public static <E> SharedQueue<E> open(String name) throws IOException {
        return openWith(name, null);
    }

    /**
     * As {@link #open(String)}, with the codec this view encodes and decodes elements with
     * instead of {@link Codec#forUntrustedPeers()}. Decoding more than value types from a named
     * queue lets any process that can open the name make this one deserialize it: choose a
     * codec that allows only the classes you expect (see {@link Codec}'s "Trust").
     *
     * @param <E> the element type (not checked: a record of another type fails in {@code take})
     * @param name the name given at creation
     * @param codec the codec of this view's {@code put}/{@code take}; a view passed to a child
     *     takes it along, so it must then be {@code Serializable} (builder-made default codecs are)
     * @return a view of the same queue
     * @throws NullPointerException if {@code codec} is null
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException if the name holds shared memory that is too small or never initialized
     * @throws IllegalStateException if it holds another kind of region, or another layout version
     */
    public static <E> SharedQueue<E> open(String name, Codec codec) throws IOException {
        return openWith(name, Objects.requireNonNull(codec, "codec"));
    }

    @SuppressWarnings("unchecked")
    private static <E> SharedQueue<E> openWith(String name, Codec codec) throws IOException {
        SharedQueue<E> q = (SharedQueue<E>) Regions.open(name, QueueLayout.SLOTS_OFFSET, "SharedQueue", m -> {
            QueueLayout.Header h = QueueLayout.read(m.segment());
            return h.joinable() ? new SharedJoinableQueue<>(m, h, false) : new SharedQueue<>(m, h, false);
        });
        return q.withCodec(codec);
    }

    /** Sets the codec chosen at creation or opening ({@code null}: the default); before the queue is shared. */
    final SharedQueue<E> withCodec(Codec chosen) {
        if (chosen != null) {
            codecChoice = chosen;
            codec = chosen;
        }
        return this;
    }

    /**
     * Removes the queue's name; the queue lives on for every process that has it open, and
     * {@link #open(String)} fails from now on. Without a call, the name is removed when the
     * process that created the queue exits (even if killed).
     *
     * @throws IllegalStateException if the queue was created without a name
     * @throws java.nio.file.NoSuchFileException if the name was already removed
     * @throws IOException on any other error
     */
    public void unlink() throws IOException {
        memory.unlink();
    }

    /**
     * Creates a queue without a maxsize (Python's {@code Queue()}): at most {@value #DEFAULT_SLOTS}
     * records, each inline up to {@value #DEFAULT_SLOT_SIZE} minus 16 bytes encoded.
     *
     * @param <E> the element type
     * @return the queue
     * @throws IOException if the shared memory cannot be created
     */
    public static <E> SharedQueue<E> create() throws IOException {
        return builder().create();
    }

    /**
     * Creates a queue that holds at most {@code maxsize} items (Python's {@code Queue(maxsize)};
     * 0 means the default capacity, as {@link #create()}).
     *
     * @param <E> the element type
     * @param maxsize the capacity in items, {@code >= 0}
     * @return the queue
     * @throws IllegalArgumentException if {@code maxsize} is negative or above 2<sup>24</sup>
     * @throws IOException if the shared memory cannot be created
     */
    public static <E> SharedQueue<E> create(int maxsize) throws IOException {
        return builder().maxsize(maxsize).create();
    }

    /** {@return a builder for a queue with a custom capacity or slot size} */
    public static Builder builder() {
        return new Builder();
    }

    /** Configures a new queue. Not thread-safe. */
    public static final class Builder {
        private String name;
        private int maxsize;
        private int capacity = DEFAULT_SLOTS;
        private int slotSize = DEFAULT_SLOT_SIZE;
        private long recordArea = DEFAULT_RECORD_AREA;
        private int areaLimit = DEFAULT_AREA_RECORD_LIMIT;
        private Codec codec;

        private Builder() {
        }

        /**
         * Sets the codec of the queue's elements in this process (other processes choose theirs
         * when they open it). Default: {@link Codec#defaults()} for an anonymous queue,
         * {@link Codec#forUntrustedPeers()} for a {@linkplain #name(String) named} one (see
         * {@link Codec}'s "Trust"). A queue passed to a child takes its codec along, so it must
         * then be {@code Serializable} (builder-made default codecs are).
         *
         * @param codec the codec
         * @return this builder
         * @throws NullPointerException if {@code codec} is null
         */
        public Builder codec(Codec codec) {
            this.codec = Objects.requireNonNull(codec, "codec");
            return this;
        }

        /**
         * Sets the maximum number of items (Python's {@code maxsize}); 0, the default, means
         * bounded only by {@link #capacity(int)}.
         *
         * @param maxsize items, in {@code [0, 2^24]}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxsize(int maxsize) {
            this.maxsize = checkSlots("maxsize", maxsize, 0);
            return this;
        }

        /**
         * Sets the number of slots of a queue without a maxsize (default {@value SharedQueue#DEFAULT_SLOTS}).
         *
         * @param slots slots, in {@code [1, 2^24]}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder capacity(int slots) {
            this.capacity = checkSlots("capacity", slots, 1);
            return this;
        }

        /**
         * Sets the size of a slot in bytes (default {@value SharedQueue#DEFAULT_SLOT_SIZE}): records whose
         * encoding is at most {@code slotSize - 16} bytes travel inline, larger ones through a
         * spill segment.
         *
         * @param bytes a multiple of 64 in {@code [64, 2^20]}
         * @return this builder
         * @throws IllegalArgumentException if not
         */
        public Builder slotSize(int bytes) {
            if (bytes < QueueLayout.MIN_SLOT_SIZE || bytes > QueueLayout.MAX_SLOT_SIZE || bytes % 64 != 0) {
                throw new IllegalArgumentException("slot size must be a multiple of 64 in ["
                        + QueueLayout.MIN_SLOT_SIZE + ", " + QueueLayout.MAX_SLOT_SIZE + "], got " + bytes);
            }
            this.slotSize = bytes;
            return this;
        }

        /**
         * Sets the record area: shared memory of the queue, reserved with it, through which every
         * record whose encoding is larger than a slot's inline limit and at most
         * {@code largestRecord} bytes travels in place (copied in by {@code put}, out by
         * {@code take}); larger records are spilled (see the class comment). Default
         * {@value SharedQueue#DEFAULT_RECORD_AREA} bytes for records up to
         * {@value SharedQueue#DEFAULT_AREA_RECORD_LIMIT} bytes. The area is used in runs of
         * 4 KiB: a record takes its size rounded up to 4 KiB; a {@code put} that finds no free
         * run of that size waits at most 10 ms (within its timeout) for a consumer to free one,
         * then spills its record (slower, the same guarantees), so the area speeds records up
         * without lowering the queue's capacity in records. The run of a process killed in {@code put} or {@code take}
         * comes back to the area, as its slot does. An area a few times the largest record lets
         * producers fill records while consumers empty others.
         *
         * @param bytes the area's size, a multiple of 4096 in {@code [0, 2^33]}; 0 for none
         *     (every record larger than a slot is spilled)
         * @param largestRecord the largest encoded record that goes through the area, in
         *     {@code [0, bytes]} (and at most {@code 2^31 - 1})
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder recordArea(long bytes, int largestRecord) {
            if (bytes < 0 || bytes % QueueLayout.CHUNK_SIZE != 0
                    || bytes / QueueLayout.CHUNK_SIZE > QueueLayout.MAX_CHUNKS) {
                throw new IllegalArgumentException("record area must be a multiple of " + QueueLayout.CHUNK_SIZE
                        + " in [0, " + (long) QueueLayout.MAX_CHUNKS * QueueLayout.CHUNK_SIZE + "], got " + bytes);
            }
            if (largestRecord < 0 || largestRecord > bytes) {
                throw new IllegalArgumentException("the largest record of the area must be in [0, " + bytes
                        + "], got " + largestRecord);
            }
            this.recordArea = bytes;
            this.areaLimit = largestRecord;
            return this;
        }

        /**
         * Gives the queue a name under which unrelated processes {@link SharedQueue#open(String)
         * open} it (a {@link SharedMemory} name, in the OS's namespace of named memory: see the
         * {@linkplain org.multiprocessing4j##os-mapping OS mapping}). The name stays until
         * {@link SharedQueue#unlink()}, or until the creating process exits, even if killed (its
         * tracker removes it). Default: anonymous, shared only with children.
         *
         * @param name as for {@link SharedMemory#create(String, long)}, or {@code null} for anonymous
         * @return this builder
         * @throws IllegalArgumentException if the name is not valid for a new block
         */
        public Builder name(String name) {
            if (name != null) {
                SharedMemory.checkNewName(name);
            }
            this.name = name;
            return this;
        }

        private static int checkSlots(String what, int n, int min) {
            if (n < min || n > QueueLayout.MAX_SLOTS) {
                throw new IllegalArgumentException(what + " must be in [" + min + ", "
                        + QueueLayout.MAX_SLOTS + "], got " + n);
            }
            return n;
        }

        /**
         * Creates the queue.
         *
         * @param <E> the element type
         * @return the queue
         * @throws java.nio.file.FileAlreadyExistsException if a name was given and exists
         * @throws IOException if the shared memory cannot be created, or is more than the system
         *     can back now (see the class comment)
         */
        public <E> SharedQueue<E> create() throws IOException {
            SharedQueue<E> q = make(name, header(0));
            return q.withCodec(codec);
        }

        /**
         * Creates a joinable queue (Python's {@code JoinableQueue}).
         *
         * @param <E> the element type
         * @return the queue
         * @throws java.nio.file.FileAlreadyExistsException if a name was given and exists
         * @throws IOException if the shared memory cannot be created, or is more than the system
         *     can back now (see the class comment)
         */
        public <E> SharedJoinableQueue<E> createJoinable() throws IOException {
            SharedJoinableQueue<E> q = make(name, header(QueueLayout.JOINABLE));
            q.withCodec(codec);
            return q;
        }

        private QueueLayout.Header header(int flags) {
            int chunks = (int) (recordArea / QueueLayout.CHUNK_SIZE);
            return new QueueLayout.Header(maxsize > 0 ? maxsize : capacity, slotSize, maxsize, flags, chunks,
                    chunks == 0 ? 0 : areaLimit);
        }
    }

    // ---------------------------------------------------------------- putting

    /**
     * Puts {@code e}, waiting as long as the queue is full (Python's {@code put(e)}).
     *
     * @throws NullPointerException if {@code e} is null
     * @throws IllegalArgumentException if the codec cannot encode {@code e} (nothing was put)
     * @throws InterruptedException if interrupted while waiting (nothing was put)
     * @throws UncheckedIOException if a large record's spill segment cannot be created
     * @throws IllegalStateException if this queue is closed
     */
    @Override
    public void put(E e) throws InterruptedException {
        insert(e, -1);
    }

    /**
     * Puts {@code e} if there is room now (Python's {@code put_nowait(e)}).
     *
     * @return whether it was put
     * @throws NullPointerException if {@code e} is null
     * @throws IllegalArgumentException if the codec cannot encode {@code e}
     * @throws UncheckedIOException if a large record's spill segment cannot be created
     * @throws IllegalStateException if this queue is closed
     */
    @Override
    public boolean offer(E e) {
        try {
            return insert(e, 0);
        } catch (InterruptedException ex) {
            throw new AssertionError("offer(e) does not wait", ex);
        }
    }

    /**
     * Puts {@code e}, waiting up to {@code timeout} for room (Python's {@code put(e, timeout=t)}).
     *
     * @return whether it was put; {@code false} once the timeout has fully elapsed
     * @throws NullPointerException if {@code e} is null
     * @throws IllegalArgumentException if the codec cannot encode {@code e} (nothing was put)
     * @throws InterruptedException if interrupted while waiting (nothing was put)
     * @throws UncheckedIOException if a large record's spill segment cannot be created
     * @throws IllegalStateException if this queue is closed
     */
    @Override
    public boolean offer(E e, long timeout, TimeUnit unit) throws InterruptedException {
        return insert(e, Math.max(0, unit.toNanos(timeout)));
    }

    /**
     * Puts the bytes of {@code bytes} as one {@code byte[]} record, waiting as long as the queue
     * is full; {@link #take()} returns it as a {@code byte[]}, {@link #takeBytes} copies it into a
     * buffer. Allocates nothing when the record fits a slot or the record area
     * ({@link #areaRecordLimit()} minus 5 bytes of header): the bytes are copied straight there.
     *
     * @param bytes the bytes (from any memory: heap, native, mapped)
     * @throws InterruptedException if interrupted while waiting (nothing was put)
     * @throws UncheckedIOException if a large record's spill segment cannot be created
     * @throws IllegalStateException if this queue is closed
     */
    public void putBytes(MemorySegment bytes) throws InterruptedException {
        insertBytes(bytes, -1);
    }

    /**
     * As {@link #putBytes}, waiting at most {@code timeout} for room.
     *
     * @param bytes the record
     * @param timeout the longest wait
     * @param unit the unit of {@code timeout}
     * @return whether it was put; {@code false} once the timeout has fully elapsed
     * @throws InterruptedException if interrupted while waiting (nothing was put)
     * @throws UncheckedIOException if a large record's spill segment cannot be created
     * @throws IllegalStateException if this queue is closed
     */
    public boolean offerBytes(MemorySegment bytes, long timeout, TimeUnit unit) throws InterruptedException {
        return insertBytes(bytes, Math.max(0, unit.toNanos(timeout)));
    }

    private boolean insertBytes(MemorySegment bytes, long timeoutNanos) throws InterruptedException {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.byteSize() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a byte record holds at most 2 GiB, got " + bytes.byteSize());
        }
        enter();
        try {
            if (bytes.byteSize() <= inlineCapacity() - DefaultCodec.BYTES_HEADER) {
                return insertInlineBytes(bytes, (int) bytes.byteSize(), WRITE_BYTES, timeoutNanos);
            }
            if (bytes.byteSize() <= ring.areaLimit() - DefaultCodec.BYTES_HEADER) {
                return insertInArea(bytes, DefaultCodec.BYTES_HEADER + bytes.byteSize(), WRITE_BYTES, timeoutNanos);
            }
            ByteSink sink = sinks.borrow();
            try {
                try {
                    sink.writeByte(DefaultCodec.BYTES_TAG);
                    sink.writeInt((int) bytes.byteSize());
                    sink.write(bytes);
                } catch (CodecException ex) {
                    throw new IllegalArgumentException(ex.getMessage(), ex);
                }
                return insertSpilled(sink.segment(), timeoutNanos);
            } finally {
                sinks.giveBack(sink);
            }
        } finally {
            exit();
        }
    }

    /** timeoutNanos: negative = forever, 0 = no wait. */
    private boolean insert(E e, long timeoutNanos) throws InterruptedException {
        Objects.requireNonNull(e, "SharedQueue does not accept null elements");
        enter();
        try {
            if (e instanceof byte[] b && b.length <= inlineCapacity() - DefaultCodec.BYTES_HEADER) {
                return insertInlineBytes(b, b.length, WRITE_ARRAY, timeoutNanos);
            }
            if (e instanceof byte[] b && b.length <= ring.areaLimit() - DefaultCodec.BYTES_HEADER) {
                return insertInArea(b, DefaultCodec.BYTES_HEADER + b.length, WRITE_ARRAY, timeoutNanos);
            }
            ByteSink sink = sinks.borrow();
            try {
                try {
                    codec.encode(e, sink);
                } catch (CodecException ex) {
                    throw new IllegalArgumentException(ex.getMessage(), ex);
                }
                MemorySegment record = sink.segment();
                return record.byteSize() <= inlineCapacity() ? insertInline(record, timeoutNanos)
                        : record.byteSize() <= ring.areaLimit() ? insertInArea(record, record.byteSize(), WRITE_RECORD, timeoutNanos)
                        : insertSpilled(record, timeoutNanos);
            } finally {
                sinks.giveBack(sink);
            }
        } finally {
            exit();
        }
    }

    /**
     * Writes a {@code byte[]} record (the codec's BYTES encoding) of {@code n} bytes straight into
     * a slot, with {@link #WRITE_BYTES} or {@link #WRITE_ARRAY}.
     */
    private <C> boolean insertInlineBytes(C bytes, int n, Ring.RecordWriter<C> writer, long timeoutNanos)
            throws InterruptedException {
        long pos = claim(true, timeoutNanos);
        if (pos < 0) {
            return false;
        }
        boolean written = false;
        try {
            ring.write(pos, DefaultCodec.BYTES_HEADER + n, bytes, writer);
            written = true;
        } finally {
            finishWrite(pos, written);
        }
        return true;
    }

    private boolean insertInline(MemorySegment record, long timeoutNanos) throws InterruptedException {
        long pos = claim(true, timeoutNanos);
        if (pos < 0) {
            return false;
        }
        boolean written = false;
        try {
            ring.write(pos, record);
            written = true;
        } finally {
            finishWrite(pos, written);
        }
        return true;
    }

    /**
     * Puts a record of {@code size} encoded bytes through the record area: allocates a run, if
     * none is free waiting at most {@link #AREA_WAIT_NANOS} (within the caller's timeout) for a
     * consumer to free one, else spills the record as a larger one would be (the area is a fast
     * path: the queue holds as many records as it has slots whatever their sizes, and a producer
     * whose consumer does not take never blocks on the area); has {@code writer} fill the run,
     * claims a slot (waiting while the ring is full) and binds the run to it (see
     * {@code RecordArea}); the run goes back if anything fails or the time runs out before the
     * slot is written.
     */
    private <C> boolean insertInArea(C source, long size, Ring.RecordWriter<C> writer, long timeoutNanos)
            throws InterruptedException {
        long start = timeoutNanos > 0 ? System.nanoTime() : 0;
        int me = participant();
        // one bounded wait (0: one look, reclaiming what the dead left), then the spill path
        long wait = timeoutNanos < 0 ? AREA_WAIT_NANOS : Math.min(timeoutNanos, AREA_WAIT_NANOS);
        int first = ring.allocate(size, me, wait, isClosed);
        if (first < 0) {
            long left = timeoutNanos > 0 ? Math.max(0, timeoutNanos - (System.nanoTime() - start)) : timeoutNanos;
            return spillInstead(source, size, writer, left);
        }
        boolean bound = false;
        try {
            writer.write(source, ring.region(), ring.areaOffset(first));
            long left = timeoutNanos > 0 ? Math.max(0, timeoutNanos - (System.nanoTime() - start)) : timeoutNanos;
            long pos = claim(true, left);
            if (pos < 0) {
                return false;
            }
            boolean written = false;
            try {
                ring.writeInArea(pos, first, size);
                bound = true; // from here the slot's claim owns the run
                written = true;
            } finally {
                finishWrite(pos, written);
            }
            return true;
        } finally {
            if (!bound) {
                ring.freeArea(first, size);
            }
        }
    }

    /** The area has no free run: the encoded record travels through a spilled segment instead. */
    private <C> boolean spillInstead(C source, long size, Ring.RecordWriter<C> writer, long timeoutNanos)
            throws InterruptedException {
        if (source instanceof MemorySegment record && writer == (Object) WRITE_RECORD) {
            return insertSpilled(record, timeoutNanos);
        }
        try (Arena encoded = Arena.ofConfined()) {
            MemorySegment record = encoded.allocate(size, 8);
            writer.write(source, record, 0);
            return insertSpilled(record, timeoutNanos);
        }
    }

    /**
     * Writes the reference into the claimed slot before the segment exists, so that whoever
     * recovers this claim after a crash can remove the segment (see {@link Spill}).
     */
    private boolean insertSpilled(MemorySegment record, long timeoutNanos) throws InterruptedException {
        MemorySegment ref = spills.prepare(record.byteSize());
        long pos = claim(true, timeoutNanos);
        if (pos < 0) {
            return false;
        }
        boolean written = false;
        try {
            ring.writeSpilled(pos, ref);
            spills.write(ref, record);
            written = true;
        } finally {
            if (!written) {
                spills.discard(ref);
            }
            finishWrite(pos, written);
        }
        return true;
    }

    private void finishWrite(long pos, boolean written) {
        if (written) {
            ring.commitWrite(pos, participant());
        } else {
            ring.abandonWrite(pos, participant());
        }
    }

    private int inlineCapacity() {
        return ring.inlineCapacity();
    }

    // ---------------------------------------------------------------- taking

    /**
     * Takes the oldest element, waiting as long as the queue is empty (Python's {@code get()}).
     *
     * @throws InterruptedException if interrupted while waiting (nothing was taken)
     * @throws UncheckedIOException if the record cannot be decoded (it is consumed), or a
     *     spilled record's segment cannot be read (it is lost)
     * @throws IllegalStateException if this queue is closed
     */
    @Override
    public E take() throws InterruptedException {
        return extract(-1);
    }

    /**
     * Takes the oldest element if there is one now (Python's {@code get_nowait()}).
     *
     * @return the element, or {@code null} if the queue is empty
     * @throws UncheckedIOException as for {@link #take()}
     * @throws IllegalStateException if this queue is closed
     */
    @Override
    public E poll() {
        try {
            return extract(0);
        } catch (InterruptedException ex) {
            throw new AssertionError("poll() does not wait", ex);
        }
    }

    /**
     * Takes the oldest element, waiting up to {@code timeout} for one (Python's
     * {@code get(timeout=t)}).
     *
     * @return the element, or {@code null} once the timeout has fully elapsed
     * @throws InterruptedException if interrupted while waiting (nothing was taken)
     * @throws UncheckedIOException as for {@link #take()}
     * @throws IllegalStateException if this queue is closed
     */
    @Override
    public E poll(long timeout, TimeUnit unit) throws InterruptedException {
        return extract(Math.max(0, unit.toNanos(timeout)));
    }

    @SuppressWarnings("unchecked")
    private E extract(long timeoutNanos) throws InterruptedException {
        enter();
        try {
            long pos = claim(false, timeoutNanos);
            if (pos < 0) {
                return null;
            }
            int me = participant();
            boolean counted = false;
            try {
                if (ring.joinable()) {
                    ring.taken(me); // before the release: see TaskCounts
                    counted = true;
                }
                Object value = takeValue(pos, me);
                counted = false; // handed over
                return (E) value;
            } finally {
                if (counted) {
                    ring.untaken(me); // consumed but not handed over: no task to be done
                }
            }
        } finally {
            exit();
        }
    }

    /**
     * Reads the record at {@code pos} (claimed for reading) and releases its slot, whatever
     * happens: a spilled record is decoded from its segment first, an inline one is copied out
     * and decoded after the release, so that the slot is free while the codec runs.
     */
    private Object takeValue(long pos, int me) {
        Object copied;
        try {
            copied = ring.copyInline(pos, COPY_RECORD); // checked: corrupt memory throws
            if (copied == null) { // spilled
                return spills.read(ring.spillReference(pos), this::decode);
            }
        } finally {
            ring.releaseRead(pos, me);
        }
        return copied instanceof Encoded e ? decode(MemorySegment.ofArray(e.bytes())) : copied;
    }

    /**
     * Takes the oldest record, which must be a {@code byte[]} one (put by {@link #putBytes} or as
     * a {@code byte[]} element), copying its bytes to the start of {@code target}, waiting as long
     * as the queue is empty. Allocates nothing when the record travelled inline or through the
     * record area.
     *
     * @param target where the bytes go
     * @return how many bytes were copied
     * @throws BufferTooShortException if the record is longer than {@code target}: it is consumed,
     *     and its bytes are in the exception (as Python's {@code recv_bytes_into})
     * @throws ClassCastException if the record is not a {@code byte[]}: it is consumed and lost
     * @throws InterruptedException if interrupted while waiting (nothing was taken)
     * @throws UncheckedIOException as for {@link #take()}
     * @throws IllegalStateException if this queue is closed
     */
    public int takeBytes(MemorySegment target) throws InterruptedException, BufferTooShortException {
        return (int) extractBytes(target, -1);
    }

    /**
     * As {@link #takeBytes}, waiting at most {@code timeout} for a record.
     *
     * @param target where the record's bytes are copied
     * @param timeout the longest wait
     * @param unit the unit of {@code timeout}
     * @return how many bytes were copied, or -1 once the timeout has fully elapsed
     * @throws BufferTooShortException as for {@link #takeBytes}
     * @throws ClassCastException as for {@link #takeBytes}
     * @throws InterruptedException if interrupted while waiting (nothing was taken)
     * @throws UncheckedIOException as for {@link #take()}
     * @throws IllegalStateException if this queue is closed
     */
    public int pollBytes(MemorySegment target, long timeout, TimeUnit unit)
            throws InterruptedException, BufferTooShortException {
        return (int) extractBytes(target, Math.max(0, unit.toNanos(timeout)));
    }

    private long extractBytes(MemorySegment target, long timeoutNanos)
            throws InterruptedException, BufferTooShortException {
        Objects.requireNonNull(target, "target");
        enter();
        try {
            long pos = claim(false, timeoutNanos);
            if (pos < 0) {
                return -1;
            }
            int me = participant();
            boolean counted = false;
            boolean handedOver = false;
            try {
                if (ring.joinable()) {
                    ring.taken(me); // before the release: see TaskCounts
                    counted = true;
                }
                long n;
                try {
                    n = ring.spilled(pos) ? -1 : ring.read(pos, target, BYTES_INTO_TARGET);
                } catch (RuntimeException e) {
                    ring.releaseRead(pos, me);
                    throw e;
                }
                if (n >= 0) { // the common case: an inline byte[] record that fits, no allocation
                    ring.releaseRead(pos, me);
                    handedOver = true;
                    return n;
                }
                Object value = takeValue(pos, me);
                if (!(value instanceof byte[] b)) {
                    throw new ClassCastException("the record taken is a " + value.getClass().getName()
                            + ", not a byte[]; it is consumed");
                }
                handedOver = true;
                if (b.length > target.byteSize()) {
                    throw new BufferTooShortException(b, target.byteSize());
                }
                MemorySegment.copy(b, 0, target, ValueLayout.JAVA_BYTE, 0, b.length);
                return b.length;
            } finally {
                if (counted && !handedOver) {
                    ring.untaken(me);
                }
            }
        } finally {
            exit();
        }
    }

    /** The {@code task_done()} of a joinable queue; see {@link SharedJoinableQueue#taskDone()}. */
    final void markTaskDone() {
        enter();
        try {
            if (!ring.taskDone(participant())) {
                throw new IllegalStateException("taskDone() called more times than records were taken");
            }
        } finally {
            exit();
        }
    }

    /**
     * The {@code join()} of a joinable queue; see {@link SharedJoinableQueue#join()}.
     *
     * @param timeoutNanos negative: forever
     * @return whether every task is done; false once the timeout has fully elapsed
     */
    final boolean awaitTasksDone(long timeoutNanos) throws InterruptedException {
        enter();
        try {
            return ring.awaitAllTasksDone(timeoutNanos, isClosed);
        } finally {
            exit();
        }
    }

    private Object decode(MemorySegment encoded) {
        try {
            return codec.decode(encoded);
        } catch (CodecException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@return the oldest element without taking it, or {@code null} if the queue is empty} Best
     * effort: another thread or process may take it at once.
     *
     * @throws UncheckedIOException if the record cannot be decoded
     * @throws IllegalStateException if this queue is closed
     */
    @Override
    @SuppressWarnings("unchecked")
    public E peek() {
        enter();
        try {
            byte[] missing = null;
            for (;;) {
                Ring.Peeked head = ring.peekHead();
                if (head == null) {
                    return null;
                }
                if (!head.spilled()) {
                    return (E) decode(MemorySegment.ofArray(head.bytes()));
                }
                try {
                    return (E) Spill.read(MemorySegment.ofArray(head.bytes()), this::decode);
                } catch (NoSuchFileException e) {
                    if (Arrays.equals(missing, head.bytes())) {
                        throw new UncheckedIOException("the spilled record at the head is gone", e);
                    }
                    missing = head.bytes(); // taken meanwhile, most likely: look again
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        } finally {
            exit();
        }
    }

    /**
     * Takes every element available now into {@code c}.
     *
     * @return how many were moved
     * @throws IllegalArgumentException if {@code c} is this queue
     * @throws UncheckedIOException as for {@link #take()}
     */
    @Override
    public int drainTo(Collection<? super E> c) {
        return drainTo(c, Integer.MAX_VALUE);
    }

    /**
     * Takes up to {@code maxElements} elements available now into {@code c}. An element that
     * {@code c} refuses (its {@code add} throws) is lost.
     *
     * @return how many were moved
     * @throws IllegalArgumentException if {@code c} is this queue
     * @throws UncheckedIOException as for {@link #take()}
     */
    @Override
    public int drainTo(Collection<? super E> c, int maxElements) {
        Objects.requireNonNull(c);
        if (c == this) {
            throw new IllegalArgumentException("cannot drain a queue into itself");
        }
        int n = 0;
        while (n < maxElements) {
            E e = poll();
            if (e == null) {
                break;
            }
            c.add(e);
            n++;
        }
        return n;
    }

    // ---------------------------------------------------------------- state

    /**
     * {@return the number of records put and not yet taken (Python's {@code qsize()})} Approximate
     * while others put or take; exact when they are quiet.
     *
     * @throws IllegalStateException if this queue is closed
     */
    @Override
    public int size() {
        enter();
        try {
            return ring.size();
        } finally {
            exit();
        }
    }

    /** {@return how many more records fit now (0 is Python's {@code full()}); approximate} */
    @Override
    public int remainingCapacity() {
        return slots - size();
    }

    /** {@return the capacity in items: the maxsize, or the number of slots if there is none} */
    public int capacity() {
        return slots;
    }

    /** {@return the largest encoded record that travels inline, in its slot} */
    public int inlineRecordLimit() {
        return inlineCapacity();
    }

    /**
     * {@return the largest encoded record that travels in place through the queue's record area
     * (see {@link Builder#recordArea(long, int)}); 0 if the queue has none} Records between
     * {@link #inlineRecordLimit()} and this go through the area, larger ones through a spill
     * segment.
     */
    public int areaRecordLimit() {
        return ring.areaLimit();
    }

    /**
     * Not supported: there is no stable collection to iterate in a queue shared with other
     * processes.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public Iterator<E> iterator() {
        throw new UnsupportedOperationException("a SharedQueue cannot be iterated; use drainTo or poll");
    }

    /**
     * Unmaps this process's view (Python's {@code close()}), after this process's calls in
     * progress end; blocked ones end within 5 ms with {@link IllegalStateException}. Other
     * processes are unaffected. Idempotent.
     */
    @Override
    public void close() {
        synchronized (monitor) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Ring.wake(ring.notEmptyWord(), Integer.MAX_VALUE); // our sleepers re-check, see closed
        Ring.wake(ring.notFullWord(), Integer.MAX_VALUE);
        Ring.wake(ring.joinWord(), Integer.MAX_VALUE);
        while (inFlight.get() != 0) {
            LockSupport.parkNanos(100_000L);
        }
        sinks.close();
        memory.close();
        mark.close(); // after the last access: from now on this process holds nothing here
        spills.close(); // the tracker sweeps the spill segments once nobody has the queue
    }

    @Override
    public String toString() {
        String kind = getClass().getSimpleName();
        return closed
                ? kind + "[closed]"
                : kind + "[size=" + ring.size() + ", capacity=" + slots + ", slotSize=" + slotSize
                        + ", recordArea=" + (long) chunks * QueueLayout.CHUNK_SIZE + "]";
    }

    // ---------------------------------------------------------------- internals

    private void enter() {
        inFlight.getAndIncrement();
        if (closed) {
            inFlight.getAndDecrement();
            throw new IllegalStateException("shared queue is closed");
        }
    }

    private void exit() {
        inFlight.getAndDecrement();
    }

    private int participant() {
        int p = participant;
        if (p == 0) {
            synchronized (monitor) {
                p = participant;
                if (p == 0) {
                    p = ring.register();
                    participant = p;
                }
            }
        }
        return p;
    }

    /**
     * Claims a position for writing or reading, waiting as {@link Ring#claim} does.
     *
     * @param timeoutNanos negative: forever; 0: do not wait
     * @return the position, or -1 on timeout
     */
    private long claim(boolean write, long timeoutNanos) throws InterruptedException {
        return ring.claim(write, participant(), timeoutNanos, isClosed);
    }
}
