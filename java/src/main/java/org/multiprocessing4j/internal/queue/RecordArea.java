package org.multiprocessing4j.internal.queue;

import static org.multiprocessing4j.internal.queue.QueueLayout.FULL;
import static org.multiprocessing4j.internal.queue.QueueLayout.WRITING;
import static org.multiprocessing4j.internal.queue.QueueLayout.ctl;
import static org.multiprocessing4j.internal.queue.QueueLayout.owner;
import static org.multiprocessing4j.internal.queue.QueueLayout.position;
import static org.multiprocessing4j.internal.queue.QueueLayout.state;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.function.LongPredicate;

/**
 * The record area of a queue region ({@link QueueLayout}: CTLS and DATA): records larger than a
 * slot and at most {@code areaLimit} bytes travel here in place, in a run of contiguous
 * {@value QueueLayout#CHUNK_SIZE}-byte chunks, instead of through a named segment per record.
 * Slabs with an owner word each, not a variable-length byte ring: a chunk's owner is in its own
 * word, so a dead process's chunks are found and freed one by one, with no order among records
 * to repair.
 *
 * <p>Each chunk has one 8-byte {@code ctl} word, in the encoding of a slot's ({@link
 * QueueLayout#ctl}):
 * <pre>
 *   0                      FREE
 *   ctl(tag, me, WRITING)  OWNED by participant me: being filled, not yet in the queue; tag = 52
 *                          bits of me's participant entry (its process token), see below
 *   ctl(p, 0, FULL)        BOUND to queue position p: the record of the slot of p
 * </pre>
 * and it moves
 * <pre>
 *   FREE --producer CAS--> OWNED(me, tag) --release store, once its slot p is claimed--> BOUND(p)
 *   BOUND(p) --consumer of p, CAS, before it frees the slot--> FREE
 *   OWNED(dead, tag) --anyone, CAS--> FREE                     (the record was never put)
 *   BOUND(p), the slot of p holding a later position --anyone, CAS--> FREE   (p is over)
 *   BOUND(p), the slot of p claimed by a dead process --anyone: recovers the slot, which frees it
 *   OWNED(i) --the process taking over dead participant i's entry, CAS--> FREE
 * </pre>
 *
 * <p>A {@code put}: allocate a run of OWNED chunks (waiting, holding nothing, while there is no
 * free run), copy the record in, claim a slot p (waiting, holding the run, while the ring is
 * full), write the reference and {@link QueueLayout#IN_AREA} into the slot, bind every chunk to
 * p, commit the slot. A {@code take}: claim the slot, read the record in place, free its chunks
 * (CAS from BOUND(p)), release the slot. The run is allocated before the slot so that no one
 * waits for chunks while holding a slot: consumers can always pass every committed record and
 * free its chunks, so no cycle of waits exists.
 *
 * <p><b>Crashes.</b> A process dies holding at most: OWNED chunks (before its slot was bound),
 * freed by anyone who finds them while its liveness mark is gone, or by the process that takes
 * over its participant entry (an index alone would then look alive again); chunks BOUND(p) with
 * the slot of p claimed by it, which the slot's recovery frees at once (it reads the reference)
 * or, if the reference was not written yet, anyone who finds the slot past p; a producer waiting
 * for a run that finds a chunk BOUND(p) whose slot is still claimed at p by a dead process
 * recovers that claim itself (else a dead consumer's chunks would wait until producers lap the
 * ring, which they may not do while they wait for a run). A chunk is BOUND(p)
 * only after the slot of p was claimed at p, and a slot's position only grows, so "the slot
 * holds a position after p" means p was released or recovered: nobody will read the record. A
 * committed record's chunks are freed by nobody but its consumer while the slot holds p. So a
 * death costs at most the record in the dead process's hands, and every chunk comes back.
 *
 * <p>The tag keeps a reclaimer from freeing a live process's run when a participant index is
 * reused: it reads OWNED(i) of a dead process, then the entry (dead); meanwhile the index is
 * taken over, the old chunks freed and the new holder of i allocates the same chunk. Without a
 * tag its CAS would succeed on the new holder's word. With it the words differ; and a chunk
 * whose tag is not the current entry's belongs to an earlier holder of the index, which is dead
 * (an entry is only taken over from a dead process).
 *
 * <p><b>Ordering.</b> The producer's plain stores of the record precede its release stores of
 * BOUND and the volatile commit of the slot; the consumer reads after its acquiring claim of the
 * slot and frees each chunk with a CAS (a full fence) after its last read; the next producer's
 * claiming CAS acquires the free. A reclaimer's decision rests on two volatile reads (the chunk,
 * then the slot or the participant entry) and a CAS from exactly the word it judged: a chunk
 * that changed meanwhile is not touched. Free runs are searched from a process-local cursor (a
 * hint: any value is safe), so in a FIFO the area is used as a ring.
 */
final class RecordArea {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final long FREE_CHUNK = 0;

    private final MemorySegment region;
    private final long ctls;
    private final long data;
    private final int chunks;
    private final int limit;
    private final Participants participants;
    /**
     * Whether a queue position is over: its slot holds a later position, or its claim was made by
     * a dead process (then recovered by the test itself, which frees the position's chunks).
     */
    private final LongPredicate positionOver;
    /** Where the next search starts; a racy hint. */
    private int cursor;

    RecordArea(MemorySegment region, long ctls, long data, int chunks, int limit, Participants participants,
            LongPredicate positionOver) {
        this.region = region;
        this.ctls = ctls;
        this.data = data;
        this.chunks = chunks;
        this.limit = limit;
        this.participants = participants;
        this.positionOver = positionOver;
    }

    /** {@return the largest record the area takes} */
    int limit() {
        return limit;
    }

    /** {@return the offset in the region of chunk {@code first}'s bytes} */
    long dataOffset(int first) {
        return data + (long) first * QueueLayout.CHUNK_SIZE;
    }

    static int chunksFor(long size) {
        return (int) ((size + QueueLayout.CHUNK_SIZE - 1) / QueueLayout.CHUNK_SIZE);
    }

    private long ctlOffset(int chunk) {
        return ctls + 8L * chunk;
    }

    /** {@return chunk {@code i}'s ctl word, volatile} */
    long ctlVolatile(int i) {
        return (long) LONG.getVolatile(region, ctlOffset(i));
    }

    /** {@return whether a run of {@code size} bytes from {@code first} lies in the area} */
    boolean validRun(long first, long size) {
        return size > 0 && size <= limit && first >= 0 && first + chunksFor(size) <= chunks;
    }

    /**
     * Allocates a run for a record of {@code size} bytes (in {@code (0, limit]}), its chunks
     * OWNED by {@code me}.
     *
     * @param reclaim whether to free chunks of dead owners and of positions that are over on the
     *     way (a hot retry loop passes {@code false})
     * @return the first chunk, or -1 if no run is free now
     */
    int tryAllocate(long size, int me, boolean reclaim) {
        int k = chunksFor(size);
        long owned = ctl(QueueLayout.chunkTag(participants.entryVolatile(me)), me, WRITING);
        int i = cursor;
        if (i < 0 || i + k > chunks) {
            i = 0;
        }
        int scanned = 0;
        while (scanned < chunks) {
            if (i + k > chunks) { // a run never wraps
                scanned += chunks - i;
                i = 0;
                continue;
            }
            int j = i;
            while (j < i + k && claim(j, owned, reclaim)) {
                j++;
            }
            if (j == i + k) {
                cursor = j == chunks ? 0 : j;
                return i;
            }
            free(i, j - i); // the part taken; chunk j is in use
            scanned += j - i + 1;
            i = j + 1;
        }
        return -1;
    }

    private boolean claim(int chunk, long owned, boolean reclaim) {
        long off = ctlOffset(chunk);
        long c = (long) LONG.getVolatile(region, off);
        if (c != FREE_CHUNK) {
            if (!(reclaim && reclaimable(c))) {
                return false;
            }
            // freed here, or already by the slot's recovery that reclaimable ran
            LONG.compareAndSet(region, off, c, FREE_CHUNK);
        }
        return LONG.compareAndSet(region, off, FREE_CHUNK, owned);
    }

    /** {@return whether a chunk word just read is garbage of a dead owner or a position that is over} */
    private boolean reclaimable(long c) {
        int s = state(c);
        if (s == WRITING) {
            int o = owner(c);
            long entry = participants.entryVolatile(o);
            return position(c) != QueueLayout.chunkTag(entry) || participants.isDead(o, entry);
        }
        return s == FULL && positionOver.test(position(c));
    }

    /** Frees {@code n} chunks from {@code first}, OWNED by this thread (or bound to its own claim). */
    void free(int first, int n) {
        for (int i = first; i < first + n; i++) {
            LONG.setRelease(region, ctlOffset(i), FREE_CHUNK);
        }
    }

    /** Binds the run of a record of {@code size} bytes from {@code first}, OWNED by this thread, to {@code position}. */
    void bind(int first, long size, long position) {
        long bound = ctl(position, 0, FULL);
        for (int i = first, end = first + chunksFor(size); i < end; i++) {
            LONG.setRelease(region, ctlOffset(i), bound);
        }
    }

    /**
     * Frees the chunks of a run that are BOUND to {@code position} (a CAS each: a chunk that is
     * not, because the reference is stale or garbage, is left alone).
     *
     * @return whether any chunk was freed
     */
    boolean release(long first, long size, long position) {
        if (!validRun(first, size)) {
            return false;
        }
        long bound = ctl(position, 0, FULL);
        boolean any = false;
        for (int i = (int) first, end = i + chunksFor(size); i < end; i++) {
            any |= LONG.compareAndSet(region, ctlOffset(i), bound, FREE_CHUNK);
        }
        return any;
    }

    /**
     * Frees every chunk OWNED by participant {@code i} that belongs to a dead holder of the index,
     * whose entry is being taken over. By the tag rule of {@link #reclaimable}, not by the index
     * alone: two processes may take over the same dead entry at once, and the one that wins may
     * already be filling a run (its tag is the current entry's, and it is alive) while the other
     * still scans.
     */
    void freeOwnedBy(int i) {
        for (int k = 0; k < chunks; k++) {
            long c = ctlVolatile(k);
            if (c != FREE_CHUNK && state(c) == WRITING && owner(c) == i && reclaimable(c)) {
                LONG.compareAndSet(region, ctlOffset(k), c, FREE_CHUNK);
            }
        }
    }

}
