package org.multiprocessing4j.internal.queue;

import static org.multiprocessing4j.internal.queue.QueueLayout.FREE;
import static org.multiprocessing4j.internal.queue.QueueLayout.FULL;
import static org.multiprocessing4j.internal.queue.QueueLayout.READING;
import static org.multiprocessing4j.internal.queue.QueueLayout.WRITING;
import static org.multiprocessing4j.internal.queue.QueueLayout.ctl;
import static org.multiprocessing4j.internal.queue.QueueLayout.distance;
import static org.multiprocessing4j.internal.queue.QueueLayout.owner;
import static org.multiprocessing4j.internal.queue.QueueLayout.position;
import static org.multiprocessing4j.internal.queue.QueueLayout.state;

import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.function.BooleanSupplier;
import java.util.function.LongPredicate;
import org.multiprocessing4j.internal.Logs;
import org.multiprocessing4j.internal.jfr.QueueBlockedEvent;
import org.multiprocessing4j.internal.jfr.QueueClaimRecoveredEvent;
import org.multiprocessing4j.internal.sync.ProcessToken;
import org.multiprocessing4j.internal.sync.WaitWord;
import org.multiprocessing4j.internal.sync.Waiting;

/**
 * The slot protocol of a queue region laid out by {@link QueueLayout}: a bounded multi-producer,
 * multi-consumer ring in the style of Dmitry Vyukov's, except that a position is claimed by a
 * CAS on the slot's {@code ctl} word that also records the claiming process, rather than by a
 * CAS on {@code tail}/{@code head}. So a process that dies at any instant leaves no claim without
 * an owner; whoever later needs that slot proves the owner dead and recovers it.
 *
 * <p>Positions are claimed in order; the {@code tail} and {@code head} words are hints that lag
 * the claims by at most the claims in progress, and anyone may advance them past a claimed
 * position (with a CAS from exactly that position). For position {@code p} and its slot
 * {@code p mod N}, the {@code ctl} word moves through
 * <pre>
 *   FREE(p) --producer CAS--> WRITING(p, me) --volatile store--> FULL(p)
 *           --consumer CAS--> READING(p, me) --volatile store--> FREE(p + N)
 *   WRITING(p, dead) or READING(p, dead) --recoverer CAS--> FREE(p + N)   (record lost)
 * </pre>
 * A producer at {@code tail = p} that finds the slot still holding {@code p - N} waits (full);
 * a consumer at {@code head = p} that finds {@code FREE(p)}, {@code WRITING(p)} or the slot still
 * holding {@code p - N} waits (empty, or the record is not committed yet).
 *
 * <p>Memory ordering across processes: the Java memory model speaks of threads of one JVM only.
 * What we rely on instead: every shared word is a naturally aligned 4- or 8-byte word of a
 * {@code MAP_SHARED} mapping, and a VarHandle access mode compiles to the same instructions as
 * on the heap, which the hardware orders the same whichever process issued them. The payload is
 * written with plain stores after the claiming CAS and published by the volatile store of
 * {@code FULL}; a consumer reads it after its CAS (acquire) on that word and frees the slot with
 * a volatile store after its last read, which the next producer's claiming CAS acquires. The
 * commit and release stores are volatile (not just release) because each is followed by a read
 * of a waiter count: that store-load pair, mirrored by the sleeper's getAndAdd on the count
 * before it re-checks the slot, is what makes a lost wake-up impossible (see {@link #signal}).
 *
 * <p>Corruption: the hints never lag what a slot holds by more than one lap. A claim at
 * {@code q} is made after reading the hint as {@code q}, and hints only grow, so while a hint
 * reads {@code p} no slot is past {@code p + N}; a hint moves past {@code q} only once the slot
 * holds {@code q} or later, and slot positions only grow, so no slot is before {@code p - N}.
 * A slot found outside {@code [p - N, p + N]} while the hint still reads {@code p}, or a negative
 * hint, can only be garbage written by something else: it throws {@link IllegalStateException}
 * instead of stepping the hint one position at a time through up to 2<sup>52</sup> positions.
 */
public final class Ring {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /** For the recovery event: the queue's name, or null. */
    private final String name;
    private final MemorySegment region;
    private final int slots;
    private final int slotSize;
    private final long indexMask; // slots - 1 when a power of two, else -1
    private final WaitWord notEmptyWord;
    private final WaitWord notFullWord;
    private final Participants participants;
    private final SpillCleaner spills;
    /** Null unless the queue is joinable. */
    private final TaskCounts tasks;
    private final WaitWord joinWord;
    /** Null if the region has no record area. */
    private final RecordArea area;

    /** Removes the segment of a spilled record whose claim was recovered. */
    @FunctionalInterface
    public interface SpillCleaner {
        /** Best effort: a missing segment is not an error. */
        void discard(MemorySegment reference);
    }

    /** A ring over a region without flags. */
    public Ring(MemorySegment region, int slots, int slotSize, SpillCleaner spills, LongPredicate alive) {
        this(region, slots, slotSize, 0, spills, alive);
    }

    /**
     * A ring over an initialized region with the given header values.
     *
     * @param alive whether the process a participant entry names may be alive ({@code false}
     *     only on proof of death: normally the region's liveness mark, which the caller holds
     *     for as long as it uses the ring, so that it is never taken for dead itself)
     */
    public Ring(MemorySegment region, int slots, int slotSize, int flags, SpillCleaner spills,
            LongPredicate alive) {
        this(region, slots, slotSize, flags, spills, alive, null);
    }

    /**
     * As {@link #Ring(MemorySegment, int, int, int, SpillCleaner, LongPredicate)}, naming the
     * queue for the recovery event ({@code QueueClaimRecoveredEvent}).
     *
     * @param name the queue's name, or null if anonymous
     */
    public Ring(MemorySegment region, int slots, int slotSize, int flags, SpillCleaner spills,
            LongPredicate alive, String name) {
        this.name = name;
        this.region = region;
        this.slots = slots;
        this.slotSize = slotSize;
        this.indexMask = Integer.bitCount(slots) == 1 ? slots - 1 : -1;
        this.notEmptyWord = WaitWord.of(region, QueueLayout.NOT_EMPTY_SEQ_OFFSET);
        this.notFullWord = WaitWord.of(region, QueueLayout.NOT_FULL_SEQ_OFFSET);
        this.participants = new Participants(region, alive);
        this.spills = spills;
        this.tasks = (flags & QueueLayout.JOINABLE) != 0 ? new TaskCounts(region, slots, slotSize) : null;
        this.joinWord = WaitWord.of(region, QueueLayout.JOIN_SEQ_OFFSET);
        // the area's configuration is read from the region, whose header the caller checked
        int chunks = region.get(ValueLayout.JAVA_INT, QueueLayout.CHUNKS_OFFSET);
        this.area = chunks == 0 ? null : new RecordArea(region,
                QueueLayout.areaCtlsOffset(slots, slotSize, flags),
                QueueLayout.areaDataOffset(slots, slotSize, flags, chunks), chunks,
                region.get(ValueLayout.JAVA_INT, QueueLayout.AREA_LIMIT_OFFSET), participants, this::positionOver);
    }

    /**
     * {@return whether {@code position} is over: its slot holds a later position, or held a claim
     * of a dead process on it, recovered here} The record area asks it about a chunk bound to
     * {@code position}; recovering the claim here, rather than when producers next need the slot,
     * is what gives a dead consumer's chunks back while producers wait for a run.
     */
    private boolean positionOver(long position) {
        long slot = slotOf(position);
        long c = ctlVolatile(slot);
        long d = distance(position(c), position);
        return d > 0 || (d == 0 && recoverIfOwnerDead(slot, c));
    }

    /** {@return the participant index of this process, registering it} */
    public int register() {
        return participants.register(Participants.identityOfThisProcess(), this);
    }

    /** Called by {@link Participants} when entry {@code i} of a dead process was taken over. */
    void participantReused(int i) {
        if (tasks != null) {
            tasks.reset(i);
        }
    }

    /** {@return the offset of the slot for {@code position}} */
    public long slotOf(long position) {
        long index = indexMask >= 0 ? position & indexMask : position % slots;
        return QueueLayout.slotOffset(index, slotSize);
    }

    private long ctlVolatile(long slot) {
        return (long) LONG.getVolatile(region, slot);
    }

    private boolean casCtl(long slot, long expected, long update) {
        return LONG.compareAndSet(region, slot, expected, update);
    }

    public long tailVolatile() {
        return hintVolatile(QueueLayout.TAIL_OFFSET);
    }

    public long headVolatile() {
        return hintVolatile(QueueLayout.HEAD_OFFSET);
    }

    private long hintVolatile(long offset) {
        long pos = (long) LONG.getVolatile(region, offset);
        if (pos < 0) {
            throw corrupt(hintName(offset) + " is " + pos);
        }
        return pos;
    }

    /**
     * Checks that the slot read for {@code pos} of a hint, at {@code d} positions from it, is
     * within one lap of it (see the class comment); past it only if the hint has moved on since.
     *
     * @throws IllegalStateException if the region is corrupt
     */
    private void checkLap(long hintOffset, long pos, long d) {
        if (d < -slots || (d > slots && (long) LONG.getVolatile(region, hintOffset) == pos)) {
            throw corrupt(hintName(hintOffset) + " is " + pos + " but its slot is for position "
                    + (pos + d));
        }
    }

    private static String hintName(long offset) {
        return offset == QueueLayout.TAIL_OFFSET ? "tail" : "head";
    }

    /**
     * {@return the length of the committed record in {@code slot}, checked: {@link
     * QueueLayout#SPILLED}, {@link QueueLayout#IN_AREA} (if there is an area) or in
     * {@code [0, slotSize - 16]}}
     *
     * @throws IllegalStateException if the region is corrupt
     */
    private int recordLength(long slot) {
        int length = (int) INT.get(region, slot + QueueLayout.SLOT_LENGTH);
        if (length == QueueLayout.IN_AREA && area != null) {
            return length;
        }
        if (length != QueueLayout.SPILLED && (length < 0 || length > slotSize - QueueLayout.SLOT_PAYLOAD)) {
            throw corrupt("a record's length is " + length + " in a slot of " + slotSize + " bytes");
        }
        return length;
    }

    private IllegalStateException corrupt(String what) {
        return new IllegalStateException("shared queue memory is corrupt: " + what + " (" + slots
                + " slots of " + slotSize + " bytes); something other than this library wrote to it");
    }

    /**
     * Claims the next position for writing.
     *
     * @param me this process's participant index
     * @param checkOwners whether to prove the owner of a blocking slot dead (asks its liveness) and
     *     recover it; a hot retry loop passes {@code false}
     * @return the claimed position, or -1 if the ring is full now
     */
    public long tryClaimWrite(int me, boolean checkOwners) {
        for (;;) {
            long pos = tailVolatile();
            long slot = slotOf(pos);
            long c = ctlVolatile(slot);
            long d = distance(position(c), pos);
            checkLap(QueueLayout.TAIL_OFFSET, pos, d);
            if (d == 0 && state(c) == FREE) {
                if (casCtl(slot, c, ctl(pos, me, WRITING))) {
                    LONG.compareAndSet(region, QueueLayout.TAIL_OFFSET, pos, pos + 1);
                    return pos;
                }
            } else if (d >= 0) {
                // pos is claimed already (or long done): help the hint past it
                LONG.compareAndSet(region, QueueLayout.TAIL_OFFSET, pos, pos + 1);
            } else if (!(checkOwners && recoverIfOwnerDead(slot, c))) {
                return -1; // the slot still holds the previous lap: full
            }
        }
    }

    // ---------------------------------------------------------------- the record format
    //
    // A slot holds one record: int32 length at +SLOT_LENGTH, then the payload at +SLOT_PAYLOAD;
    // or SPILLED and a spill reference as the payload (Spill). Only this class reads or writes
    // those words; a producer writes between its claim and its commit, a consumer reads between
    // its claim and its release, ordered by the ctl word (class comment).

    /** Fills the payload of a record in place (as Agrona's claim/commit lets one). */
    @FunctionalInterface
    public interface RecordWriter<C> {
        /** Writes exactly the record's length in bytes at {@code offset} of {@code region}. */
        void write(C source, MemorySegment region, long offset);
    }

    /** Reads an inline record in place; the slot stays claimed while it runs. */
    @FunctionalInterface
    public interface RecordReader<C, X extends Exception> {
        /**
         * Reads the {@code length} payload bytes at {@code offset} of {@code region}.
         *
         * @return what {@link #read} returns
         * @throws X as the reader chooses
         */
        long read(C target, MemorySegment region, long offset, int length) throws X;
    }

    /**
     * Copies an inline record out of its slot; the slot stays claimed while it runs. What it
     * returns must not refer to {@code region}: the slot is released right after.
     */
    @FunctionalInterface
    public interface RecordCopier<R> {
        /** {@return what the {@code length} payload bytes at {@code offset} of {@code region} become} */
        R copy(MemorySegment region, long offset, int length);
    }

    /** {@return the largest payload that fits a slot inline} */
    public int inlineCapacity() {
        return slotSize - (int) QueueLayout.SLOT_PAYLOAD;
    }

    /**
     * Writes an inline record of {@code length} bytes into the slot of {@code pos}, claimed for
     * writing by this thread: {@code writer} fills the payload, then the length is stored.
     *
     * @throws IllegalArgumentException if {@code length} does not fit inline
     */
    public <C> void write(long pos, int length, C source, RecordWriter<C> writer) {
        if (length < 0 || length > inlineCapacity()) {
            throw new IllegalArgumentException("a record of " + length + " bytes does not fit a slot"
                    + " of " + slotSize + " bytes");
        }
        long slot = slotOf(pos);
        writer.write(source, region, slot + QueueLayout.SLOT_PAYLOAD);
        INT.set(region, slot + QueueLayout.SLOT_LENGTH, length);
    }

    /**
     * As {@link #write(long, int, Object, RecordWriter)}, copying all of {@code record}. Not
     * through a writer, so that the writer call of the other {@code write} sees only the callers'
     * few writers, which the JIT then inlines (and with them, keeps their sources off the heap).
     */
    public void write(long pos, MemorySegment record) {
        long length = record.byteSize();
        if (length > inlineCapacity()) {
            throw new IllegalArgumentException("a record of " + length + " bytes does not fit a slot"
                    + " of " + slotSize + " bytes");
        }
        long slot = slotOf(pos);
        MemorySegment.copy(record, 0, region, slot + QueueLayout.SLOT_PAYLOAD, length);
        INT.set(region, slot + QueueLayout.SLOT_LENGTH, (int) length);
    }

    /**
     * Writes a spilled record's reference into the slot of {@code pos}, claimed for writing by
     * this thread, before its segment exists: whoever recovers the claim after a crash finds the
     * whole reference (a release fence orders it before the {@code SPILLED} length) and removes
     * the segment.
     */
    public void writeSpilled(long pos, MemorySegment reference) {
        long slot = slotOf(pos);
        MemorySegment.copy(reference, 0, region, slot + QueueLayout.SLOT_PAYLOAD,
                QueueLayout.SPILL_REFERENCE_SIZE);
        VarHandle.releaseFence(); // a recoverer that sees SPILLED sees the whole reference
        INT.set(region, slot + QueueLayout.SLOT_LENGTH, QueueLayout.SPILLED);
    }

    // ---------------------------------------------------------------- the record area

    /** {@return the largest encoded record that travels through the record area, 0 if there is none} */
    public int areaLimit() {
        return area == null ? 0 : area.limit();
    }

    /**
     * Allocates a run of the record area for a record of {@code size} bytes, waiting by the one
     * policy as {@link #claim} does (on the not-full word: consumers free chunks before they
     * release a slot, which signals it). The caller fills it at {@link #areaOffset}, then claims
     * a slot and {@link #writeInArea}s, or gives it back with {@link #freeArea}.
     *
     * @param size in {@code (inlineCapacity(), areaLimit()]}
     * @return the first chunk, or -1 on timeout
     * @throws InterruptedException if interrupted before or while sleeping (nothing allocated)
     * @throws IllegalStateException if {@code closed} says so (nothing allocated)
     * @throws IllegalArgumentException if {@code size} is not in the area's range
     */
    public int allocate(long size, int me, long timeoutNanos, BooleanSupplier closed) throws InterruptedException {
        if (area == null || size <= 0 || size > area.limit()) {
            throw new IllegalArgumentException("a record of " + size + " bytes does not go through the record area"
                    + " (records up to " + areaLimit() + " bytes do)");
        }
        int first = area.tryAllocate(size, me, false);
        if (first >= 0) {
            return first;
        }
        return (int) await(true, timeoutNanos, closed, check -> area.tryAllocate(size, me, check));
    }

    /** {@return the offset in the region of the run from chunk {@code first}} */
    public long areaOffset(int first) {
        return area.dataOffset(first);
    }

    /** {@return the region the record area is part of, for writing an allocated run} */
    public MemorySegment region() {
        return region;
    }

    /** Gives back a run allocated by this thread and not written into a slot. */
    public void freeArea(int first, long size) {
        area.free(first, RecordArea.chunksFor(size));
        signal(QueueLayout.PRODUCERS_WAITING_OFFSET, notFullWord);
    }

    /**
     * Writes the reference to the run from {@code first} holding a record of {@code size} bytes
     * into the slot of {@code pos}, claimed for writing by this thread, then binds the run to
     * {@code pos}: from here on the slot's claim (and, once committed, the queue) owns the run.
     * The reference and the {@code IN_AREA} length come before the binding (a release fence), so
     * whoever recovers this claim finds the run to free.
     */
    public void writeInArea(long pos, int first, long size) {
        long slot = slotOf(pos);
        LONG.set(region, slot + QueueLayout.SLOT_PAYLOAD, size);
        INT.set(region, slot + QueueLayout.SLOT_PAYLOAD + 8, first);
        VarHandle.releaseFence();
        INT.set(region, slot + QueueLayout.SLOT_LENGTH, QueueLayout.IN_AREA);
        area.bind(first, size, pos);
    }

    /**
     * {@return the size of the record in the area referenced by {@code slot}, claimed by this
     * thread or in a checked copy; its first chunk is at +8}
     *
     * @throws IllegalStateException if the reference is corrupt
     */
    private long areaRecordSize(long slot) {
        long size = (long) LONG.get(region, slot + QueueLayout.SLOT_PAYLOAD);
        int first = (int) INT.get(region, slot + QueueLayout.SLOT_PAYLOAD + 8);
        if (!area.validRun(first, size)) {
            throw corrupt("a record in the area of " + size + " bytes from chunk " + first);
        }
        return size;
    }

    private int areaFirst(long slot) {
        return (int) INT.get(region, slot + QueueLayout.SLOT_PAYLOAD + 8);
    }

    /**
     * {@return whether the record at {@code pos}, claimed for reading by this thread, is spilled}
     *
     * @throws IllegalStateException if its length is corrupt
     */
    public boolean spilled(long pos) {
        return recordLength(slotOf(pos)) == QueueLayout.SPILLED;
    }

    /** {@return a copy of the spill reference of the spilled record at claimed {@code pos}} */
    public MemorySegment spillReference(long pos) {
        MemorySegment ref = MemorySegment.ofArray(new byte[QueueLayout.SPILL_REFERENCE_SIZE]);
        MemorySegment.copy(region, slotOf(pos) + QueueLayout.SLOT_PAYLOAD, ref, 0, ref.byteSize());
        return ref;
    }

    /**
     * Runs {@code reader} on the inline record at {@code pos}, claimed for reading by this thread.
     *
     * @return what {@code reader} returns
     * @throws IllegalStateException if the record is spilled, or its length is corrupt
     */
    public <C, X extends Exception> long read(long pos, C target, RecordReader<C, X> reader) throws X {
        long slot = slotOf(pos);
        int length = recordLength(slot);
        if (length == QueueLayout.SPILLED) {
            throw new IllegalStateException("the record at position " + pos + " is spilled");
        }
        if (length == QueueLayout.IN_AREA) {
            long size = areaRecordSize(slot);
            return reader.read(target, region, area.dataOffset(areaFirst(slot)), (int) size);
        }
        return reader.read(target, region, slot + QueueLayout.SLOT_PAYLOAD, length);
    }

    /**
     * Runs {@code copier} on the inline record at {@code pos} (or its bytes in the record area),
     * claimed for reading by this thread; for a spilled record returns {@code null} without running it (then
     * {@link #spillReference}). One read of the length and one call: the path of every
     * {@code take()}.
     *
     * @return what {@code copier} returns, or {@code null} if the record is spilled
     * @throws IllegalStateException if the record's length is corrupt
     */
    public <R> R copyInline(long pos, RecordCopier<R> copier) {
        long slot = slotOf(pos);
        int length = recordLength(slot);
        if (length == QueueLayout.IN_AREA) {
            long size = areaRecordSize(slot);
            return copier.copy(region, area.dataOffset(areaFirst(slot)), (int) size);
        }
        return length == QueueLayout.SPILLED ? null : copier.copy(region, slot + QueueLayout.SLOT_PAYLOAD, length);
    }

    /** Publishes the record at {@code pos} (written after a successful claim). */
    public void commitWrite(long pos, int me) {
        // A CAS from our own claim, not a plain store: if another process ever took us for dead
        // (it cannot while this process holds the region's liveness mark; the CAS keeps a wrong
        // verdict from corrupting the ring all the same), our store must not overwrite the next
        // lap's claim.
        if (!casCtl(slotOf(pos), ctl(pos, me, WRITING), ctl(pos, 0, FULL))) {
            throw new IllegalStateException("the record at position " + pos + " was taken over by"
                    + " another process that judged this one dead; it is lost");
        }
        signal(QueueLayout.CONSUMERS_WAITING_OFFSET, notEmptyWord);
    }

    /** Gives up a claimed position without a record; consumers skip it (and are told). */
    public void abandonWrite(long pos, int me) {
        release(pos, me, WRITING);
        signal(QueueLayout.CONSUMERS_WAITING_OFFSET, notEmptyWord);
    }

    /**
     * Claims the oldest committed record.
     *
     * @param me this process's participant index
     * @param checkOwners as for {@link #tryClaimWrite}
     * @return the claimed position, or -1 if there is no committed record at the head now
     */
    public long tryClaimRead(int me, boolean checkOwners) {
        for (;;) {
            long pos = headVolatile();
            long slot = slotOf(pos);
            long c = ctlVolatile(slot);
            long d = distance(position(c), pos);
            checkLap(QueueLayout.HEAD_OFFSET, pos, d);
            int s = state(c);
            if (d == 0 && s == FULL) {
                if (casCtl(slot, c, ctl(pos, me, READING))) {
                    LONG.compareAndSet(region, QueueLayout.HEAD_OFFSET, pos, pos + 1);
                    return pos;
                }
            } else if (d > 0 || (d == 0 && s == READING)) {
                LONG.compareAndSet(region, QueueLayout.HEAD_OFFSET, pos, pos + 1);
            } else if (s == FREE || !(checkOwners && recoverIfOwnerDead(slot, c))) {
                return -1; // empty, or the producer of pos (or the reader of pos - N) is not done
            }
        }
    }

    /**
     * Frees the slot of a position read after a successful claim, and first the record's chunks
     * if it is in the record area (its last read is done).
     */
    public void releaseRead(long pos, int me) {
        if (area != null) {
            long slot = slotOf(pos);
            if ((int) INT.get(region, slot + QueueLayout.SLOT_LENGTH) == QueueLayout.IN_AREA) {
                area.release(areaFirst(slot), (long) LONG.get(region, slot + QueueLayout.SLOT_PAYLOAD), pos);
            }
        }
        release(pos, me, READING);
    }

    private void release(long pos, int me, int state) {
        // CAS from our own claim, for the reason given in commitWrite; a failure means someone
        // recovered the slot already, which freed it: nothing more to do.
        casCtl(slotOf(pos), ctl(pos, me, state), ctl(pos + slots, 0, FREE));
        signal(QueueLayout.PRODUCERS_WAITING_OFFSET, notFullWord);
    }

    /**
     * If {@code c} (just read from {@code slot}) is a claim whose owner is proven dead, frees the
     * slot for the next lap, discarding the record. Reads ctl before the entry: see
     * {@link Participants}.
     *
     * @return whether the slot changed (recovered here or by someone else): the caller retries
     */
    private boolean recoverIfOwnerDead(long slot, long c) {
        int s = state(c);
        if (s != WRITING && s != READING) {
            return false;
        }
        int owner = owner(c);
        long entry = participants.entryVolatile(owner);
        if (!participants.isDead(owner, entry)) {
            return false;
        }
        recover(slot, c, entry);
        return true;
    }

    /** Frees the claim {@code c} of {@code slot}, made by the dead participant {@code entry}. */
    private void recover(long slot, long c, long entry) {
        int length = (int) INT.getVolatile(region, slot + QueueLayout.SLOT_LENGTH);
        MemorySegment spill = null;
        if (length == QueueLayout.SPILLED) { // maybe stale from an earlier lap: then already gone
            spill = MemorySegment.ofArray(new byte[QueueLayout.SPILL_REFERENCE_SIZE]);
            MemorySegment.copy(region, slot + QueueLayout.SLOT_PAYLOAD, spill, 0, spill.byteSize());
        }
        // maybe stale from an earlier lap, or garbage: release frees only chunks bound to this position
        long areaSize = length == QueueLayout.IN_AREA && area != null
                ? (long) LONG.get(region, slot + QueueLayout.SLOT_PAYLOAD) : 0;
        int areaFirst = areaSize > 0 ? areaFirst(slot) : -1;
        if (casCtl(slot, c, ctl(position(c) + slots, 0, FREE))) {
            if (spill != null) {
                spills.discard(spill);
            }
            if (areaSize > 0) {
                area.release(areaFirst, areaSize, position(c));
            }
            signal(QueueLayout.PRODUCERS_WAITING_OFFSET, notFullWord);
            signal(QueueLayout.CONSUMERS_WAITING_OFFSET, notEmptyWord);
            if (QueueClaimRecoveredEvent.PROBE.isEnabled()) {
                QueueClaimRecoveredEvent event = new QueueClaimRecoveredEvent();
                event.queue = name;
                event.deadPid = ProcessToken.pid(entry);
                event.position = position(c);
                event.operation = state(c) == WRITING ? "put" : "take";
                event.spilled = spill != null;
                event.commit();
            }
            boolean spilled = spill != null;
            try { // a handler that throws must not undo a recovery that happened
                Logs.of("SharedQueue").log(System.Logger.Level.WARNING, () -> "SharedQueue"
                        + (name != null ? " " + name : "") + ": process " + ProcessToken.pid(entry)
                        + " died in the middle of a " + (state(c) == WRITING ? "put" : "take")
                        + "; its slot (position " + position(c) + ") was freed and the record lost"
                        + (spilled ? ", its spilled block removed" : ""));
            } catch (RuntimeException logFailed) {
                // the slot is free either way
            }
        }
    }

    /** Recovers every claim naming participant {@code i}, whose entry holds the dead {@code entry}. */
    void recoverAllOwnedBy(int i, long entry, Participants table) {
        if (area != null && table.entryVolatile(i) == entry) {
            area.freeOwnedBy(i);
        }
        for (int k = 0; k < slots; k++) {
            long slot = QueueLayout.slotOffset(k, slotSize);
            long c = ctlVolatile(slot);
            int s = state(c);
            if ((s == WRITING || s == READING) && owner(c) == i && table.entryVolatile(i) == entry) {
                recover(slot, c, entry);
            }
        }
    }

    /** A copy of the record at the head: its encoded bytes, or a spill reference. */
    public record Peeked(byte[] bytes, boolean spilled) {
    }

    /**
     * {@return a copy of the committed record at the head, or {@code null} if there is none}
     * Reads without claiming, like a seqlock: the copy counts only if {@code ctl} is unchanged
     * after it, so a record taken (and its slot rewritten) meanwhile is never returned torn.
     */
    public Peeked peekHead() {
        for (;;) {
            long pos = headVolatile();
            long slot = slotOf(pos);
            long c = ctlVolatile(slot);
            long d = distance(position(c), pos);
            checkLap(QueueLayout.HEAD_OFFSET, pos, d);
            int s = state(c);
            if (d == 0 && s == FULL) {
                int length = (int) INT.get(region, slot + QueueLayout.SLOT_LENGTH);
                if (length == QueueLayout.IN_AREA && area != null) {
                    long size = (long) LONG.get(region, slot + QueueLayout.SLOT_PAYLOAD);
                    int first = areaFirst(slot);
                    if (area.validRun(first, size)) {
                        byte[] copy = new byte[(int) size];
                        MemorySegment.copy(region, ValueLayout.JAVA_BYTE, area.dataOffset(first), copy, 0, copy.length);
                        VarHandle.acquireFence(); // as below: the chunks are freed only after a claim
                        if (ctlVolatile(slot) == c) {
                            return new Peeked(copy, false);
                        }
                    } else if (ctlVolatile(slot) == c) {
                        areaRecordSize(slot); // a committed reference is stable: it is garbage
                    }
                    continue;
                }
                boolean spilled = length == QueueLayout.SPILLED;
                int n = spilled ? QueueLayout.SPILL_REFERENCE_SIZE : length;
                if (n >= 0 && n <= slotSize - QueueLayout.SLOT_PAYLOAD) {
                    byte[] copy = new byte[n];
                    MemorySegment.copy(region, ValueLayout.JAVA_BYTE, slot + QueueLayout.SLOT_PAYLOAD, copy, 0, n);
                    VarHandle.acquireFence(); // the copy's loads complete before ctl is read again
                    if (ctlVolatile(slot) == c) {
                        return new Peeked(copy, spilled);
                    }
                } else if (ctlVolatile(slot) == c) {
                    recordLength(slot); // a committed record's length is stable: it is garbage
                }
            } else if (d > 0 || (d == 0 && s == READING)) {
                LONG.compareAndSet(region, QueueLayout.HEAD_OFFSET, pos, pos + 1);
            } else {
                return null;
            }
        }
    }

    /** {@return the approximate number of committed or in-flight records, in [0, N]} */
    public int size() {
        long tail = tailVolatile();
        long head = headVolatile();
        // Step over positions already passed (abandoned or recovered claims), as consumers do,
        // so that a quiet queue reports exactly what can still be taken.
        while (distance(tail, head) > 0) {
            long c = ctlVolatile(slotOf(head));
            long d = distance(position(c), head);
            if (d <= 0) {
                break;
            }
            checkLap(QueueLayout.HEAD_OFFSET, head, d);
            LONG.compareAndSet(region, QueueLayout.HEAD_OFFSET, head, head + 1);
            head = headVolatile();
        }
        return (int) Math.max(0, Math.min(slots, distance(tail, head)));
    }

    // ---------------------------------------------------------------- joinable queues

    /** {@return whether this ring counts unfinished tasks} */
    public boolean joinable() {
        return tasks != null;
    }

    /** Counts the record {@code me} just claimed for reading as taken; before {@link #releaseRead}. */
    public void taken(int me) {
        tasks.taken(me);
    }

    /** Uncounts a record {@code me} took but cannot hand over (it failed to decode). */
    public void untaken(int me) {
        if (tasks.untaken(me) && tasks.bumpIfJoiners()) {
            wake(joinWord, Integer.MAX_VALUE);
        }
    }

    /**
     * Marks a taken task done (see {@link TaskCounts#done}); wakes joiners when a counter reaches
     * zero (while it is positive, they cannot be done; a dead holder's counter they stop
     * counting on their own, within a sleep slice).
     *
     * @return false if there was no task taken and not done
     */
    public boolean taskDone(int me) {
        long left = tasks.done(me, participants);
        if (left < 0) {
            return false;
        }
        if (left == 0 && tasks.bumpIfJoiners()) {
            wake(joinWord, Integer.MAX_VALUE);
        }
        return true;
    }

    /**
     * {@return whether no record is in the queue (committed, or being put or taken by a live
     * process) and no live process holds a taken task not yet done} Slots are read before
     * counters: {@link TaskCounts} explains why that order cannot miss a task.
     */
    public boolean allTasksDone() {
        if (!tasks.noneTakenByLive(participants)) {
            return false; // cheap early answer; the decisive read of the counters is below
        }
        for (int k = 0; k < slots; k++) {
            long c = ctlVolatile(QueueLayout.slotOffset(k, slotSize));
            int s = state(c);
            if (s == FULL || (s != FREE && !participants.isDead(participants.entryVolatile(owner(c))))) {
                return false;
            }
        }
        return tasks.noneTakenByLive(participants);
    }

    /** {@return the value now (acquire) of the word joiners sleep on} */
    public int joinSeq() {
        return tasks.joinSeq();
    }

    /** {@return the word joiners sleep on} */
    public WaitWord joinWord() {
        return joinWord;
    }

    /** Counts a sleeping joiner in (+1) or out (-1); a full fence. */
    public void joiners(int delta) {
        tasks.joiners(delta);
    }

    // ---------------------------------------------------------------- waiting

    /**
     * Claims a position for writing or reading, waiting by the one policy
     * ({@link Waiting}): try, spin, then sleep on the not-full (not-empty) word in slices,
     * proving the owner of a blocking claim dead after each sleep.
     *
     * @param write whether to claim for writing
     * @param me this process's participant index
     * @param timeoutNanos negative: forever; 0: do not wait
     * @param closed whether the caller's view was closed meanwhile (checked before each sleep)
     * @return the position, or -1 on timeout
     * @throws InterruptedException if interrupted before or while sleeping (nothing claimed)
     * @throws IllegalStateException if {@code closed} says so (nothing claimed)
     */
    public long claim(boolean write, int me, long timeoutNanos, BooleanSupplier closed)
            throws InterruptedException {
        long pos = write ? tryClaimWrite(me, false) : tryClaimRead(me, false);
        if (pos >= 0) {
            return pos;
        }
        return await(write, timeoutNanos, closed, check -> write ? tryClaimWrite(me, check) : tryClaimRead(me, check));
    }

    /** One try of a wait: {@code checkOwners} as for {@link #tryClaimWrite}; -1 for "not now". */
    @FunctionalInterface
    private interface Attempt {
        long attempt(boolean checkOwners);
    }

    /**
     * The waiting of {@link #claim} and {@link #allocate}, after a first try failed: spin, then
     * sleep on the not-full (not-empty) word, each sleep preceded by a try with owner checks.
     */
    private long await(boolean write, long timeoutNanos, BooleanSupplier closed, Attempt attempt)
            throws InterruptedException {
        long pos = -1;
        if (timeoutNanos == 0) {
            return attempt.attempt(true);
        }
        long start = System.nanoTime();
        Waiting.Spin spin = new Waiting.Spin(timeoutNanos);
        while (spin.next()) {
            pos = attempt.attempt(false);
            if (pos >= 0) {
                return pos;
            }
        }
        // A commit (release) wakes one sleeping consumer (producer) and takes its count off the
        // waiting count itself, so that later commits make no system call for a sleeper that
        // is woken but not yet running. A sleeper takes its own count off only when it leaves
        // without having been woken (it found what it waited for, timed out, was interrupted).
        // One that was woken and leaves without claiming passes the wake-up on, so no other
        // sleeper waits a slice for it. See signal for why no wake-up is lost.
        WaitWord word = write ? notFullWord : notEmptyWord;
        boolean woken = false;
        QueueBlockedEvent event = QueueBlockedEvent.PROBE.isEnabled() ? QueueBlockedEvent.started(size()) : null;
        boolean timedOut = false;
        try {
            for (;;) {
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                if (closed.getAsBoolean()) {
                    throw new IllegalStateException("shared queue was closed while waiting");
                }
                int seq = write ? notFullSeq() : notEmptySeq();
                arm(write);
                woken = false;
                try {
                    pos = attempt.attempt(true);
                    if (pos >= 0) {
                        return pos;
                    }
                    long left = timeoutNanos < 0 ? Long.MAX_VALUE : timeoutNanos - (System.nanoTime() - start);
                    if (left <= 0) {
                        timedOut = true;
                        return -1;
                    }
                    woken = Waiting.sleep(word, seq, left);
                } finally {
                    if (!woken) {
                        disarm(write);
                    }
                }
            }
        } finally {
            QueueBlockedEvent.finish(event, name, write, timedOut);
            if (woken && pos < 0) {
                try {
                    wake(word, 1);
                } catch (UncheckedIOException ignored) {
                    // best effort: other sleepers re-check within a slice anyway
                }
            }
        }
    }

    /**
     * The {@code join()} of a joinable queue: waits until {@link #allTasksDone()}, sleeping on
     * the join word in slices (joiners are woken when a counter reaches zero; a dead holder's
     * counter they stop counting on their own, at the next slice).
     *
     * @param timeoutNanos negative: forever
     * @param closed whether the caller's view was closed meanwhile
     * @return whether every task is done; false once the timeout has fully elapsed
     * @throws InterruptedException if interrupted
     * @throws IllegalStateException if {@code closed} says so
     */
    public boolean awaitAllTasksDone(long timeoutNanos, BooleanSupplier closed) throws InterruptedException {
        long start = System.nanoTime();
        for (;;) {
            if (allTasksDone()) {
                return true;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            if (closed.getAsBoolean()) {
                throw new IllegalStateException("shared queue was closed while joining");
            }
            long left = timeoutNanos < 0 ? Long.MAX_VALUE : timeoutNanos - (System.nanoTime() - start);
            if (left <= 0) {
                return false;
            }
            int seq = joinSeq();
            joiners(1);
            try {
                if (allTasksDone()) {
                    return true;
                }
                Waiting.sleep(joinWord, seq, left);
            } finally {
                joiners(-1);
            }
        }
    }

    /** {@return the value now (acquire) of the word consumers sleep on} */
    public int notEmptySeq() {
        return (int) INT.getAcquire(region, QueueLayout.NOT_EMPTY_SEQ_OFFSET);
    }

    /** {@return the value now (acquire) of the word producers sleep on} */
    public int notFullSeq() {
        return (int) INT.getAcquire(region, QueueLayout.NOT_FULL_SEQ_OFFSET);
    }

    /** {@return the word consumers sleep on} */
    public WaitWord notEmptyWord() {
        return notEmptyWord;
    }

    /** {@return the word producers sleep on} */
    public WaitWord notFullWord() {
        return notFullWord;
    }

    /**
     * Counts a consumer ({@code producers} false) or producer in as about to sleep: before it
     * re-checks the ring and sleeps; a full fence.
     */
    public void arm(boolean producers) {
        INT.getAndAdd(region, producers ? QueueLayout.PRODUCERS_WAITING_OFFSET : QueueLayout.CONSUMERS_WAITING_OFFSET, 1);
    }

    /** Takes back an {@link #arm} whose sleep was not ended by a wake-up; never below zero. */
    public void disarm(boolean producers) {
        takeOne(producers ? QueueLayout.PRODUCERS_WAITING_OFFSET : QueueLayout.CONSUMERS_WAITING_OFFSET);
    }

    private boolean takeOne(long waitersOffset) {
        for (;;) {
            int w = (int) INT.getVolatile(region, waitersOffset);
            if (w <= 0) {
                return false;
            }
            if (INT.compareAndSet(region, waitersOffset, w, w - 1)) {
                return true;
            }
        }
    }

    /**
     * Wakes one sleeper if the count says someone may sleep, taking one off the count on its
     * behalf: no system call when nobody sleeps, nor for a sleeper already woken and not yet
     * running.
     *
     * <p>No lost wake-up: the count is never below the number of threads inside the channel wait.
     * A sleeper reads the word, arms (a full fence), re-checks the ring, then waits on the value
     * it read. A signal comes after a commit or release (a full-fence
     * CAS) and reads the count: if it reads zero, the sleeper's arm comes later in the order of
     * volatile accesses, so its re-check sees the commit. Otherwise the signal takes one off, bumps
     * the word, then wakes one thread inside the wait: a sleeper not yet inside finds the word
     * changed and returns at once. Each decrement is matched by a thread woken, or by a sleeper
     * that will not block (or by a stale arm); a sleeper takes its own arm back only when no
     * wake-up ended its sleep. A stale arm (a sleeper killed while asleep) costs one wake call.
     */
    private void signal(long waitersOffset, WaitWord word) {
        if (takeOne(waitersOffset)) {
            INT.getAndAdd(word.word(), 0L, 1);
            try {
                wake(word, 1);
            } catch (UncheckedIOException e) {
                // The commit or release already happened: failing the caller now would make it
                // retry (a duplicate) or drop what it took. Sleepers re-check within a slice anyway.
                System.getLogger(Ring.class.getName()).log(System.Logger.Level.WARNING,
                        "wait channel wake failed: " + e.getMessage());
            }
        }
    }

    /** Wakes up to {@code count} sleepers on {@code word} (they re-check and may sleep again). */
    public static void wake(WaitWord word, int count) {
        Waiting.wake(word, count);
    }
}
