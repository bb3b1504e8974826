package org.multiprocessing4j.internal.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.SharedMemory;

/**
 * Every interleaving of the record area's protocol ({@link RecordArea}: allocate a run, claim a
 * slot, bind and commit; claim, read in place, free and release; and the reclaim of what a dead
 * participant held), explored exhaustively with the real {@link Ring} code over a two-slot ring
 * and an area of three chunks, as {@link RingInterleavingTest} does for the slots alone.
 *
 * <p>A producer's record takes one or two chunks; its steps are {@code allocate} (which also
 * writes the record's id into the first byte of every chunk of the run), {@code tryClaimWrite},
 * then {@code writeInArea} + {@code commitWrite}. A consumer's steps are {@code tryClaimRead}
 * (which also reads the record in place) and {@code releaseRead}. Every try is made with owner
 * checks (a waiter after its spin), so it reclaims on its way; a try that would fail without
 * changing the region is not a step (the caller would wait). A killable participant may die
 * before any step, holding whatever it holds.
 *
 * <p>Checked in every state: a record claimed by a consumer was committed, is claimed once, in
 * its producer's order, and its chunks still hold its id and are bound to its position (no run
 * was given to anyone else while the record was in the queue). Checked in every final state:
 * every live producer finished (no death wedges the queue or the area), every committed record
 * was taken or lost in a dead consumer's hands, and the area and ring are whole again: a new
 * participant allocates all three chunks at once, and fills and drains the ring.
 */
class RecordAreaInterleavingTest {
    private static final int SLOTS = 2;
    private static final int SLOT_SIZE = 64;
    private static final int CHUNKS = 3;
    private static final QueueLayout.Header HEADER =
            new QueueLayout.Header(SLOTS, SLOT_SIZE, SLOTS, 0, CHUNKS, CHUNKS * QueueLayout.CHUNK_SIZE);
    private static final long CTLS = QueueLayout.areaCtlsOffset(SLOTS, SLOT_SIZE, 0);
    private static final long DATA = QueueLayout.areaDataOffset(SLOTS, SLOT_SIZE, 0, CHUNKS);
    private static final long STATE_BYTES = DATA + (long) CHUNKS * QueueLayout.CHUNK_SIZE;

    private SharedMemory memory;
    private MemorySegment region;
    private final Set<Integer> dead = new HashSet<>();
    private final LongPredicate alive = token -> !dead.contains((int) (token >>> 32));

    /** A participant's program: {@code count} records to put (of {@code chunks[k]} chunks) or take. */
    private record Program(int index, boolean producer, int count, boolean killable, int... chunks) {
    }

    private static final class State {
        int[] pc; // per participant: records done
        int[] phase; // producer: 0 allocate, 1 claim, 2 commit; consumer: 0 claim, 1 release; -1 dead
        long[] pos;
        int[] run; // a producer's allocated first chunk
        int[] held; // the record a consumer claimed
        int committed;
        int taken;
        int lostInHands;
        int[] lastClaimedSeq;
        byte[] region;

        State copy() {
            State s = new State();
            s.pc = pc.clone();
            s.phase = phase.clone();
            s.pos = pos.clone();
            s.run = run.clone();
            s.held = held.clone();
            s.committed = committed;
            s.taken = taken;
            s.lostInHands = lostInHands;
            s.lastClaimedSeq = lastClaimedSeq.clone();
            s.region = region.clone();
            return s;
        }

        String key() {
            MemorySegment r = MemorySegment.ofArray(region);
            StringBuilder b = new StringBuilder(200);
            b.append(r.get(ValueLayout.JAVA_LONG_UNALIGNED, QueueLayout.TAIL_OFFSET)).append(',')
                    .append(r.get(ValueLayout.JAVA_LONG_UNALIGNED, QueueLayout.HEAD_OFFSET));
            for (int i = 0; i < SLOTS; i++) {
                long slot = QueueLayout.slotOffset(i, SLOT_SIZE);
                b.append('|').append(Long.toHexString(r.get(ValueLayout.JAVA_LONG_UNALIGNED, slot)))
                        .append(',').append(r.get(ValueLayout.JAVA_INT_UNALIGNED, slot + QueueLayout.SLOT_LENGTH))
                        .append(',').append(r.get(ValueLayout.JAVA_LONG_UNALIGNED, slot + QueueLayout.SLOT_PAYLOAD))
                        .append(',').append(r.get(ValueLayout.JAVA_INT_UNALIGNED, slot + QueueLayout.SLOT_PAYLOAD + 8));
            }
            for (int i = 0; i < CHUNKS; i++) {
                b.append('#').append(Long.toHexString(r.get(ValueLayout.JAVA_LONG_UNALIGNED, CTLS + 8L * i)))
                        .append(',').append(r.get(ValueLayout.JAVA_BYTE, DATA + (long) i * QueueLayout.CHUNK_SIZE));
            }
            return b.append(Arrays.toString(pc)).append(Arrays.toString(phase)).append(Arrays.toString(pos))
                    .append(Arrays.toString(run)).append(Arrays.toString(held)).append(committed).append('/')
                    .append(taken).append('/').append(lostInHands).append(Arrays.toString(lastClaimedSeq)).toString();
        }
    }

    private List<Program> programs;
    private final Set<String> visited = new HashSet<>();
    private long finals;
    private long ownedReclaims;
    private long boundReclaims;
    private long waitsForRun;

    @BeforeEach
    void setUp() throws Exception {
        memory = SharedMemory.create(QueueLayout.regionSize(SLOTS, SLOT_SIZE, 0, CHUNKS));
        region = memory.segment();
        QueueLayout.initialize(region, HEADER);
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private static long token(int index) {
        return (long) (1000 + index) << 32 | 1;
    }

    /** Record ids: producer p's k-th record is {@code p * 4 + k} (bit of that number in the masks). */
    private static int record(int producer, int k) {
        return producer * 4 + k;
    }

    @Test
    void producersThatDieHoldingARunOrABoundSlotAndAConsumerThatDiesReadingLeaveNoChunkBehind() {
        // p1 puts two records of 2 and 1 chunks, p2 (killable) one of 2: never all three fit the
        // area at once, so producers wait for runs; c3 takes up to 3, c4 (killable) takes 1.
        explore(List.of(new Program(1, true, 2, false, 2, 1), new Program(2, true, 1, true, 2),
                new Program(3, false, 3, false), new Program(4, false, 1, true)));
    }

    @Test
    void everyParticipantButOneConsumerMayDie() {
        explore(List.of(new Program(1, true, 1, true, 2), new Program(2, true, 2, true, 1, 2),
                new Program(3, false, 3, false), new Program(4, false, 2, true)));
    }

    private void explore(List<Program> programs) {
        this.programs = programs;
        int n = programs.size();
        for (Program p : programs) {
            region.set(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(p.index()), token(p.index()));
        }
        State s = new State();
        s.pc = new int[n];
        s.phase = new int[n];
        s.pos = new long[n];
        s.run = new int[n];
        s.held = new int[n];
        Arrays.fill(s.held, -1);
        s.lastClaimedSeq = new int[8];
        Arrays.fill(s.lastClaimedSeq, -1);
        s.region = region.asSlice(0, STATE_BYTES).toArray(ValueLayout.JAVA_BYTE);
        dfs(s);
        String seen = visited.size() + " states, " + finals + " final, " + ownedReclaims
                + " reclaims of a dead producer's run, " + boundReclaims + " of chunks bound to a dead claim's position, "
                + waitsForRun + " states where a producer waits for a run";
        System.out.println("RecordAreaInterleavingTest: " + seen);
        assertTrue(finals > 0 && ownedReclaims > 0 && boundReclaims > 0 && waitsForRun > 0,
                "the exploration must reach every kind of transition: " + seen);
    }

    private void dfs(State s) {
        if (!visited.add(s.key())) {
            return;
        }
        boolean anyStep = false;
        for (int a = 0; a < programs.size(); a++) {
            Program p = programs.get(a);
            if (s.phase[a] < 0 || (s.phase[a] == 0 && s.pc[a] == p.count())) {
                continue;
            }
            State next = step(s, a);
            if (next != null) {
                anyStep = true;
                dfs(next);
            }
            if (p.killable()) {
                anyStep = true;
                State k = s.copy();
                if (k.phase[a] == 1 && !p.producer()) {
                    k.lostInHands |= 1 << k.held[a];
                }
                k.phase[a] = -1;
                dfs(k);
            }
        }
        if (!anyStep) {
            checkFinal(s);
        }
    }

    private State step(State s, int a) {
        Program p = programs.get(a);
        State n = s.copy();
        load(n);
        Ring ring = new Ring(region, SLOTS, SLOT_SIZE, ref -> { }, alive);
        int me = p.index();
        byte[] before = n.region;
        if (p.producer()) {
            int r = record(me, n.pc[a]);
            long size = (long) p.chunks()[n.pc[a]] * QueueLayout.CHUNK_SIZE;
            switch (n.phase[a]) {
                case 0 -> {
                    int first;
                    try {
                        first = ring.allocate(size, me, 0, () -> false);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    if (first < 0) {
                        waitsForRun++;
                        return changedOrNull(n, before, me);
                    }
                    for (int c = first; c < first + p.chunks()[n.pc[a]]; c++) {
                        region.set(ValueLayout.JAVA_BYTE, DATA + (long) c * QueueLayout.CHUNK_SIZE, (byte) r);
                    }
                    n.run[a] = first;
                    n.phase[a] = 1;
                }
                case 1 -> {
                    long pos = ring.tryClaimWrite(me, true);
                    if (pos < 0) {
                        return changedOrNull(n, before, me);
                    }
                    n.pos[a] = pos;
                    n.phase[a] = 2;
                }
                default -> {
                    ring.writeInArea(n.pos[a], n.run[a], size);
                    ring.commitWrite(n.pos[a], me);
                    n.committed |= 1 << r;
                    n.phase[a] = 0;
                    n.pc[a]++;
                }
            }
        } else if (n.phase[a] == 0) {
            long pos = ring.tryClaimRead(me, true);
            if (pos < 0) {
                return changedOrNull(n, before, me);
            }
            long slot = ring.slotOf(pos);
            long size = region.get(ValueLayout.JAVA_LONG, slot + QueueLayout.SLOT_PAYLOAD);
            int first = region.get(ValueLayout.JAVA_INT, slot + QueueLayout.SLOT_PAYLOAD + 8);
            int r = ring.copyInline(pos, (reg, off, len) -> (int) reg.get(ValueLayout.JAVA_BYTE, off));
            for (int c = first; c < first + RecordArea.chunksFor(size); c++) {
                byte b = region.get(ValueLayout.JAVA_BYTE, DATA + (long) c * QueueLayout.CHUNK_SIZE);
                long ctl = region.get(ValueLayout.JAVA_LONG, CTLS + 8L * c);
                if (b != r || ctl != QueueLayout.ctl(pos, 0, QueueLayout.FULL)) {
                    fail("record " + r + " at position " + pos + ": chunk " + c + " holds " + b + " with ctl "
                            + Long.toHexString(ctl) + ", in state " + s.key());
                }
            }
            if ((n.committed & 1 << r) == 0) {
                fail("claimed record " + r + " that was never committed, in state " + s.key());
            }
            if ((n.taken & 1 << r) != 0 || (n.lostInHands & 1 << r) != 0) {
                fail("record " + r + " claimed a second time, in state " + s.key());
            }
            if (r % 4 <= n.lastClaimedSeq[r / 4]) {
                fail("record " + r + " claimed after a later record of its producer, in state " + s.key());
            }
            n.lastClaimedSeq[r / 4] = r % 4;
            n.held[a] = r;
            n.pos[a] = pos;
            n.phase[a] = 1;
        } else {
            ring.releaseRead(n.pos[a], me);
            n.taken |= 1 << n.held[a];
            n.held[a] = -1;
            n.phase[a] = 0;
            n.pc[a]++;
        }
        n.region = region.asSlice(0, STATE_BYTES).toArray(ValueLayout.JAVA_BYTE);
        countReclaims(before, n.region, me);
        return n;
    }

    /** A failed try: a step if it changed the region (helped a hint, reclaimed), else a wait. */
    private State changedOrNull(State n, byte[] before, int me) {
        byte[] after = region.asSlice(0, STATE_BYTES).toArray(ValueLayout.JAVA_BYTE);
        if (Arrays.equals(after, before)) {
            return null;
        }
        n.region = after;
        countReclaims(before, after, me);
        return n;
    }

    private void countReclaims(byte[] before, byte[] after, int me) {
        MemorySegment b = MemorySegment.ofArray(before);
        MemorySegment a = MemorySegment.ofArray(after);
        for (int i = 0; i < CHUNKS; i++) {
            long cb = b.get(ValueLayout.JAVA_LONG_UNALIGNED, CTLS + 8L * i);
            long ca = a.get(ValueLayout.JAVA_LONG_UNALIGNED, CTLS + 8L * i);
            if (cb != ca && cb != 0 && (ca == 0 || QueueLayout.owner(ca) == me)) {
                if (QueueLayout.state(cb) == QueueLayout.WRITING && QueueLayout.owner(cb) != me) {
                    ownedReclaims++;
                } else if (QueueLayout.state(cb) == QueueLayout.FULL) {
                    long slot = QueueLayout.slotOffset(QueueLayout.position(cb) % SLOTS, SLOT_SIZE);
                    long slotBefore = b.get(ValueLayout.JAVA_LONG_UNALIGNED, slot);
                    int o = QueueLayout.owner(slotBefore);
                    if (o != 0 && o != me && QueueLayout.position(slotBefore) == QueueLayout.position(cb)) {
                        boundReclaims++; // freed with the dead owner's claim on its slot
                    }
                }
            }
        }
    }

    private void load(State s) {
        MemorySegment.copy(MemorySegment.ofArray(s.region), 0, region, 0, STATE_BYTES);
        dead.clear();
        for (int a = 0; a < programs.size(); a++) {
            if (s.phase[a] < 0) {
                dead.add(1000 + programs.get(a).index());
            }
        }
    }

    private void checkFinal(State s) {
        finals++;
        for (int a = 0; a < programs.size(); a++) {
            Program p = programs.get(a);
            if (p.producer() && s.phase[a] >= 0 && s.pc[a] < p.count()) {
                fail("producer " + p.index() + " is stuck in final state " + s.key());
            }
        }
        int missing = s.committed & ~(s.taken | s.lostInHands);
        if (missing != 0) {
            fail("committed records " + Integer.toBinaryString(missing) + " were neither taken nor lost with"
                    + " a dead consumer, in final state " + s.key());
        }
        load(s);
        Ring ring = new Ring(region, SLOTS, SLOT_SIZE, ref -> { }, alive);
        int checker = 9;
        region.set(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(checker), token(checker));
        assertEquals(-1, ring.tryClaimRead(checker, true), () -> "a record is left in final state " + s.key());
        List<Long> claimed = new ArrayList<>();
        int whole;
        try {
            whole = ring.allocate((long) CHUNKS * QueueLayout.CHUNK_SIZE, checker, 0, () -> false);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertEquals(0, whole, () -> "the area is not whole again in final state " + s.key());
        ring.freeArea(whole, (long) CHUNKS * QueueLayout.CHUNK_SIZE);
        for (int i = 0; i < SLOTS; i++) {
            long pos = ring.tryClaimWrite(checker, true);
            assertTrue(pos >= 0, () -> "the ring does not fill after final state " + s.key());
            ring.write(pos, MemorySegment.ofArray(new byte[] {31}));
            ring.commitWrite(pos, checker);
            claimed.add(pos);
        }
        for (long expected : claimed) {
            long pos = ring.tryClaimRead(checker, true);
            assertEquals(expected, pos, () -> "the ring does not give back what was put, after final state " + s.key());
            ring.releaseRead(pos, checker);
        }
        region.set(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(checker), 0L);
    }
}
