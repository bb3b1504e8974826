package org.multiprocessing4j.internal.queue;

import static org.multiprocessing4j.internal.Layouts.offset;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import org.multiprocessing4j.internal.RegionHeader;
import org.multiprocessing4j.internal.sync.ProcessToken;

/**
 * Layout of the region behind a {@code SharedQueue}: the common {@link RegionHeader} with the
 * queue's configuration, the hot words, the participants table, then a ring of fixed-size slots
 * and, for a joinable queue, the taken-not-done counters; last the wait-channel area. Offsets
 * only; {@link Ring} and {@link Participants} access them.
 *
 * <pre>
 * off     size      field             written by          access
 * 0x000   0x40      header            creator             see RegionHeader (magic "MP4Q"), the magic last with a release store
 * 0x040   4         slotCount N       creator             plain, before the magic
 * 0x044   4         slotSize          creator             plain, before the magic
 * 0x048   4         maxsize           creator             plain, before the magic (0 = unbounded)
 * 0x04C   4         participants P    creator             plain, before the magic
 * 0x050   4         flags             creator             plain, before the magic ({@link #JOINABLE})
 * 0x054   4         chunks C          creator             plain, before the magic: chunks of the record area (0 = none)
 * 0x058   4         areaLimit         creator             plain, before the magic: largest record through the area
 * 0x080   8         tail              producers           volatile read, CAS; own 128-byte line
 * 0x100   8         head              consumers           volatile read, CAS; own 128-byte line
 * 0x180   4         notEmptySeq       producers           wait word; getAndAdd; own line
 * 0x184   4         consumersWaiting  sleeping consumers  +1 getAndAdd by sleepers; -1 CAS by wakers (or a sleeper not woken)
 * 0x200   4         notFullSeq        consumers           wait word; getAndAdd; own line
 * 0x204   4         producersWaiting  sleeping producers  +1 getAndAdd by sleepers; -1 CAS by wakers (or a sleeper not woken)
 * 0x280   4         joinSeq           taskDone callers    wait word joiners sleep on; getAndAdd; own line
 * 0x284   4         joinersWaiting    sleeping joiners    getAndAdd; read volatile by taskDone
 * 0x300   8*(P+1)   participants      each process once   entry i at 0x300 + 8i, i in 1..P; CAS
 * SLOTS   N*size    slots             see below           SLOTS = 0x2300
 * TASKS   64*(P+1)  taken, not done   each process own    joinable queues only: TASKS = SLOTS + N*size;
 *                                                         entry i (int64) at TASKS + 64i; getAndAdd, CAS
 * CTLS    8*C       chunk ctl words   see RecordArea      at the end of the above (a multiple of 64); chunk i at CTLS + 8i
 * DATA    4096*C    chunk bytes       see RecordArea      CTLS + 8C rounded up to 4096; chunk i at DATA + 4096i
 * WAIT    W         wait area         creator             the backend's wait channel: W = Platform.waitChannelBytes()
 *                                                         at the end of the above rounded up to 64
 * </pre>
 *
 * <p>The record area ({@link RecordArea}, its protocol and crash argument) holds records larger
 * than a slot and at most {@code areaLimit} bytes, in runs of contiguous {@value #CHUNK_SIZE}-byte
 * chunks; the slot of such a record holds {@link #IN_AREA} as its length and a reference
 * ({@code int64 size, int32 first chunk}) as its payload. Larger records are spilled.
 *
 * <p>The magic is written last, with release semantics, so that a process opening the region by
 * name and reading the magic with acquire semantics sees a complete header and ring.
 *
 * <p>A slot ({@code slotSize} bytes, a multiple of 64, so slots never share a cache line); its
 * record format belongs to {@link Ring}:
 *
 * <pre>
 * +0x00   8         ctl       claim/commit word: CAS to claim, volatile store to commit/release
 * +0x08   4         length    payload bytes, or {@link #SPILLED}; plain, ordered by ctl
 * +0x10   length    payload   plain, ordered by ctl
 * </pre>
 *
 * <p>{@code ctl} = {@code position (52 bits) | owner (10 bits) | state (2 bits)}; the position is
 * the queue position modulo 2<sup>52</sup> the slot is for, the owner a participant index (0 =
 * none) and the state one of {@link #FREE}, {@link #WRITING}, {@link #FULL}, {@link #READING}.
 * A spilled record's payload is {@code int64 size} followed by the 16 bytes that name the segment
 * holding it (see {@link Spill}); a record in the area's payload is {@code int64 size, int32 first
 * chunk} (see {@link RecordArea}).
 *
 * <p>Ordering: the creator writes the header, the slots' initial {@code ctl} and zeroes before any
 * other process can see the region (it reaches a child only through {@code posix_spawn} and a
 * socket write, system calls that order all earlier stores), so plain accesses suffice there.
 * Everything mutable afterwards is a naturally aligned 4- or 8-byte word accessed with the
 * VarHandle mode named above; see {@link Ring} for why that means across processes what it means
 * across threads.
 *
 * <p>Version 4: the common {@link RegionHeader}; the configuration moved from 0x08 to 0x40,
 * {@code joinSeq} from 0x40 to 0x280, the participants from 0x280 to 0x300. Version 5: the
 * record area ({@code chunks}, {@code areaLimit}, CTLS, DATA).
 */
public final class QueueLayout {
    /** "MP4Q". */
    public static final int MAGIC = 0x4D503451;
    /**
     * Bumped whenever an offset or meaning changes. 3: a participant proves it is alive by the
     * liveness mark it holds on the region's file, no longer by its pid. 4: the common header.
     * 5: the record area.
     */
    public static final int VERSION = 5;
    /**
     * Participants per queue: every index fits the 10 owner bits of {@code ctl}, 0 meaning none.
     * The limit of live processes per queue that {@code SharedQueue} documents.
     */
    public static final int PARTICIPANTS = 1023;

    /** The fixed part of the region, up to the slots, for offset checks. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.paddingLayout(RegionHeader.CONFIG_OFFSET).withName("header"),
            ValueLayout.JAVA_INT.withName("slotCount"),
            ValueLayout.JAVA_INT.withName("slotSize"),
            ValueLayout.JAVA_INT.withName("maxsize"),
            ValueLayout.JAVA_INT.withName("participants"),
            ValueLayout.JAVA_INT.withName("flags"),
            ValueLayout.JAVA_INT.withName("chunks"),
            ValueLayout.JAVA_INT.withName("areaLimit"),
            MemoryLayout.paddingLayout(0x24),
            ValueLayout.JAVA_LONG.withName("tail"),
            MemoryLayout.paddingLayout(0x78),
            ValueLayout.JAVA_LONG.withName("head"),
            MemoryLayout.paddingLayout(0x78),
            ValueLayout.JAVA_INT.withName("notEmptySeq"),
            ValueLayout.JAVA_INT.withName("consumersWaiting"),
            MemoryLayout.paddingLayout(0x78),
            ValueLayout.JAVA_INT.withName("notFullSeq"),
            ValueLayout.JAVA_INT.withName("producersWaiting"),
            MemoryLayout.paddingLayout(0x78),
            ValueLayout.JAVA_INT.withName("joinSeq"),
            ValueLayout.JAVA_INT.withName("joinersWaiting"),
            MemoryLayout.paddingLayout(0x78),
            MemoryLayout.sequenceLayout(PARTICIPANTS + 1, ValueLayout.JAVA_LONG).withName("participantTable"));

    public static final long SLOT_COUNT_OFFSET = offset(LAYOUT, "slotCount");
    public static final long SLOT_SIZE_OFFSET = offset(LAYOUT, "slotSize");
    public static final long MAXSIZE_OFFSET = offset(LAYOUT, "maxsize");
    public static final long PARTICIPANTS_CAPACITY_OFFSET = offset(LAYOUT, "participants");
    public static final long FLAGS_OFFSET = offset(LAYOUT, "flags");
    public static final long CHUNKS_OFFSET = offset(LAYOUT, "chunks");
    public static final long AREA_LIMIT_OFFSET = offset(LAYOUT, "areaLimit");
    public static final long TAIL_OFFSET = offset(LAYOUT, "tail");
    public static final long HEAD_OFFSET = offset(LAYOUT, "head");
    public static final long NOT_EMPTY_SEQ_OFFSET = offset(LAYOUT, "notEmptySeq");
    public static final long CONSUMERS_WAITING_OFFSET = offset(LAYOUT, "consumersWaiting");
    public static final long NOT_FULL_SEQ_OFFSET = offset(LAYOUT, "notFullSeq");
    public static final long PRODUCERS_WAITING_OFFSET = offset(LAYOUT, "producersWaiting");
    public static final long JOIN_SEQ_OFFSET = offset(LAYOUT, "joinSeq");
    public static final long JOINERS_WAITING_OFFSET = offset(LAYOUT, "joinersWaiting");
    public static final long PARTICIPANTS_OFFSET = offset(LAYOUT, "participantTable");
    public static final long SLOTS_OFFSET = LAYOUT.byteSize();

    public static final long SLOT_CTL = 0x00;
    public static final long SLOT_LENGTH = 0x08;
    public static final long SLOT_PAYLOAD = 0x10;
    /** The {@code length} of a record whose bytes live in a spill segment. */
    public static final int SPILLED = -1;
    /** Payload of a spilled record: int64 size + 16 name bytes. */
    public static final int SPILL_REFERENCE_SIZE = 8 + 16;
    /** The {@code length} of a record whose bytes live in the record area. */
    public static final int IN_AREA = -2;
    /** Payload of a record in the area: int64 size + int32 first chunk. */
    public static final int AREA_REFERENCE_SIZE = 8 + 4;
    /** Bytes per chunk of the record area: a page, so a run starts page-aligned. */
    public static final int CHUNK_SIZE = 4096;
    /** Most chunks of a record area (8 GiB). */
    public static final int MAX_CHUNKS = 1 << 21;

    /** Flag: the queue counts tasks taken and not yet done (a joinable queue). */
    public static final int JOINABLE = 1;
    /** Stride of the taken-not-done counters: one cache line each, so processes do not share one. */
    public static final int TASK_COUNTER_STRIDE = 64;

    public static final int MIN_SLOT_SIZE = 64;
    public static final int MAX_SLOT_SIZE = 1 << 20;
    public static final int MAX_SLOTS = 1 << 24;

    public static final int FREE = 0;
    public static final int WRITING = 1;
    public static final int FULL = 2;
    public static final int READING = 3;
    public static final int POSITION_BITS = 52;
    public static final long POSITION_MASK = (1L << POSITION_BITS) - 1;

    private QueueLayout() {
    }

    /** {@return the region size for {@code slots} slots of {@code slotSize} bytes, not joinable} */
    public static long regionSize(int slots, int slotSize) {
        return regionSize(slots, slotSize, 0);
    }

    /**
     * {@return the region size for {@code slots} slots of {@code slotSize} bytes and {@code
     * flags}, the wait-channel area included}
     */
    public static long regionSize(int slots, int slotSize, int flags) {
        return regionSize(slots, slotSize, flags, 0);
    }

    /**
     * {@return the region size for {@code slots} slots of {@code slotSize} bytes, {@code flags}
     * and a record area of {@code chunks} chunks, the wait-channel area included}
     */
    public static long regionSize(int slots, int slotSize, int flags, int chunks) {
        long size = chunks == 0 ? areaCtlsOffset(slots, slotSize, flags)
                : areaDataOffset(slots, slotSize, flags, chunks) + (long) CHUNK_SIZE * chunks;
        return RegionHeader.sizeWithWaitArea(size);
    }

    /** {@return CTLS: the offset of chunk 0's ctl word (the end of the slots or task counters)} */
    public static long areaCtlsOffset(int slots, int slotSize, int flags) {
        long size = SLOTS_OFFSET + (long) slots * slotSize;
        if ((flags & JOINABLE) != 0) {
            size += (long) TASK_COUNTER_STRIDE * (PARTICIPANTS + 1);
        }
        return size;
    }

    /** {@return DATA: the offset of chunk 0's bytes} */
    public static long areaDataOffset(int slots, int slotSize, int flags, int chunks) {
        long end = areaCtlsOffset(slots, slotSize, flags) + 8L * chunks;
        return (end + CHUNK_SIZE - 1) & -CHUNK_SIZE;
    }

    /** {@return the offset of participant {@code i}'s taken-not-done counter (joinable queues)} */
    public static long taskCounterOffset(int slots, int slotSize, int i) {
        return SLOTS_OFFSET + (long) slots * slotSize + (long) TASK_COUNTER_STRIDE * i;
    }

    /** {@return the offset of the slot for {@code index} in {@code [0, N)}} */
    public static long slotOffset(long index, int slotSize) {
        return SLOTS_OFFSET + index * slotSize;
    }

    /** {@return the offset of participant {@code i} in {@code [1, PARTICIPANTS]}} */
    public static long participantOffset(int i) {
        return PARTICIPANTS_OFFSET + 8L * i;
    }

    /** {@return a {@code ctl} word} */
    public static long ctl(long position, int owner, int state) {
        return (position & POSITION_MASK) << 12 | (long) owner << 2 | state;
    }

    /**
     * {@return the tag an OWNED chunk word of the record area carries for the participant whose
     * entry is {@code entry}: 52 bits mixed from the process token (see {@link RecordArea})}
     */
    public static long chunkTag(long entry) {
        return (entry * 0x9E3779B97F4A7C15L) >>> (64 - POSITION_BITS);
    }

    /** {@return the position of a {@code ctl} word, modulo 2<sup>52</sup>} */
    public static long position(long ctl) {
        return ctl >>> 12;
    }

    /** {@return the owner of a {@code ctl} word} */
    public static int owner(long ctl) {
        return (int) (ctl >>> 2) & 0x3FF;
    }

    /** {@return the state of a {@code ctl} word} */
    public static int state(long ctl) {
        return (int) ctl & 3;
    }

    /** {@return {@code ctlPosition - position}, sign-correct across the 2<sup>52</sup> wrap} */
    public static long distance(long ctlPosition, long position) {
        return (ctlPosition - position) << 12 >> 12;
    }

    /** As {@link #initialize(MemorySegment, int, int, int, int)} without flags. */
    public static void initialize(MemorySegment region, int slots, int slotSize, int maxsize) {
        initialize(region, slots, slotSize, maxsize, 0);
    }

    /**
     * Writes the header and every slot's initial {@code ctl} (slot i: FREE for position i), the
     * magic last with a release store (see the class comment). The region must be zeroed.
     *
     * @throws java.io.UncheckedIOException if the backend cannot initialize the wait channel
     */
    public static void initialize(MemorySegment region, int slots, int slotSize, int maxsize, int flags) {
        initialize(region, new Header(slots, slotSize, maxsize, flags, 0, 0));
    }

    /**
     * Writes the header and every slot's initial {@code ctl} (slot i: FREE for position i), the
     * magic last with a release store (see the class comment). The region must be zeroed (every
     * chunk FREE).
     *
     * @throws java.io.UncheckedIOException if the backend cannot initialize the wait channel
     */
    public static void initialize(MemorySegment region, Header h) {
        int slots = h.slots();
        int slotSize = h.slotSize();
        int flags = h.flags();
        int maxsize = h.maxsize();
        region.set(ValueLayout.JAVA_INT, CHUNKS_OFFSET, h.chunks());
        region.set(ValueLayout.JAVA_INT, AREA_LIMIT_OFFSET, h.areaLimit());
        region.set(ValueLayout.JAVA_INT, FLAGS_OFFSET, flags);
        region.set(ValueLayout.JAVA_INT, SLOT_COUNT_OFFSET, slots);
        region.set(ValueLayout.JAVA_INT, SLOT_SIZE_OFFSET, slotSize);
        region.set(ValueLayout.JAVA_INT, MAXSIZE_OFFSET, maxsize);
        region.set(ValueLayout.JAVA_INT, PARTICIPANTS_CAPACITY_OFFSET, PARTICIPANTS);
        for (int i = 0; i < slots; i++) {
            region.set(ValueLayout.JAVA_LONG, slotOffset(i, slotSize) + SLOT_CTL, ctl(i, 0, FREE));
        }
        RegionHeader.publish(region, MAGIC, VERSION, regionSize(slots, slotSize, flags, h.chunks()), true,
                ProcessToken.self());
    }

    /**
     * The immutable header of a queue region.
     *
     * @param chunks chunks of the record area (0: none)
     * @param areaLimit the largest encoded record that travels through the area
     */
    public record Header(int slots, int slotSize, int maxsize, int flags, int chunks, int areaLimit) {
        /** A header without a record area. */
        public Header(int slots, int slotSize, int maxsize, int flags) {
            this(slots, slotSize, maxsize, flags, 0, 0);
        }

        /** {@return whether the queue is joinable} */
        public boolean joinable() {
            return (flags & JOINABLE) != 0;
        }
    }

    /**
     * Reads and checks the header of a region opened by name, whose magic was already read with
     * acquire semantics.
     *
     * @throws IllegalStateException if it is not a queue region of this version, or is
     *     inconsistent with its size
     */
    public static Header read(MemorySegment region) {
        if (region.byteSize() < SLOTS_OFFSET) {
            throw new IllegalStateException("shared memory of " + region.byteSize()
                    + " bytes is too small for a shared queue");
        }
        checkMagic(region);
        Header h = new Header(region.get(ValueLayout.JAVA_INT, SLOT_COUNT_OFFSET),
                region.get(ValueLayout.JAVA_INT, SLOT_SIZE_OFFSET),
                region.get(ValueLayout.JAVA_INT, MAXSIZE_OFFSET),
                region.get(ValueLayout.JAVA_INT, FLAGS_OFFSET),
                region.get(ValueLayout.JAVA_INT, CHUNKS_OFFSET),
                region.get(ValueLayout.JAVA_INT, AREA_LIMIT_OFFSET));
        check(region, h);
        return h;
    }

    private static long checkMagic(MemorySegment region) {
        return RegionHeader.check(region, MAGIC, VERSION, "SharedQueue");
    }

    /** As {@link #check(MemorySegment, int, int, int, int)} for a queue without flags. */
    public static void check(MemorySegment region, int slots, int slotSize, int maxsize) {
        check(region, slots, slotSize, maxsize, 0);
    }

    /**
     * Checks the header of a region received from another process.
     *
     * @throws IllegalStateException naming what differs
     */
    public static void check(MemorySegment region, int slots, int slotSize, int maxsize, int flags) {
        check(region, new Header(slots, slotSize, maxsize, flags));
    }

    /**
     * Checks the header of a region received from another process against {@code expected}.
     *
     * @throws IllegalStateException naming what differs
     */
    public static void check(MemorySegment region, Header expected) {
        int slots = expected.slots();
        int slotSize = expected.slotSize();
        int maxsize = expected.maxsize();
        int flags = expected.flags();
        long size = checkMagic(region);
        int c = region.get(ValueLayout.JAVA_INT, CHUNKS_OFFSET);
        int limit = region.get(ValueLayout.JAVA_INT, AREA_LIMIT_OFFSET);
        int n = region.get(ValueLayout.JAVA_INT, SLOT_COUNT_OFFSET);
        int s = region.get(ValueLayout.JAVA_INT, SLOT_SIZE_OFFSET);
        int m = region.get(ValueLayout.JAVA_INT, MAXSIZE_OFFSET);
        int p = region.get(ValueLayout.JAVA_INT, PARTICIPANTS_CAPACITY_OFFSET);
        int f = region.get(ValueLayout.JAVA_INT, FLAGS_OFFSET);
        boolean sane = n >= 1 && n <= MAX_SLOTS && s >= MIN_SLOT_SIZE && s <= MAX_SLOT_SIZE && s % 64 == 0
                && c >= 0 && c <= MAX_CHUNKS && limit >= 0 && limit <= (long) c * CHUNK_SIZE;
        if (!sane || n != slots || s != slotSize || m != maxsize || p != PARTICIPANTS || f != flags
                || c != expected.chunks() || limit != expected.areaLimit()
                || size != regionSize(n, s, f, c)) {
            throw new IllegalStateException("shared queue region holds " + n + " slots of " + s
                    + " bytes, maxsize " + m + ", flags " + f + ", " + p + " participants, a record area of "
                    + c + " chunks for records up to " + limit + " bytes in "
                    + size + " bytes; expected " + slots + " x " + slotSize + ", maxsize "
                    + maxsize + ", flags " + flags + ", " + PARTICIPANTS + " participants, "
                    + expected.chunks() + " chunks up to " + expected.areaLimit() + " bytes");
        }
    }
}
