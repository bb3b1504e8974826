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
 * Every interleaving of the {@code ctl} word's transitions (claim, commit, release, and the
 * take-over of a dead participant's claim), explored exhaustively over a two-slot ring with the
 * real {@link Ring} code: a small model checker in place of jcstress (not served here).
 *
 * <p>Participants are logical (each its own participant index and liveness token, all in this
 * JVM); a step is one call of the ring's protocol: a producer's {@code tryClaimWrite} (with
 * owner checks, so it takes over a dead claim in its way), then {@code write} + {@code
 * commitWrite}; a consumer's {@code tryClaimRead}, then {@code copyInline} + {@code releaseRead}.
 * A participant marked killable may die before any of its steps (it stops, and its token is
 * dead from then on). A claim that would fail without changing the region is not a step (the
 * caller would wait). Depth-first search over the states reached, each state visited once (the
 * region's hot words and slots, the participants' program counters, what was committed, taken
 * and lost); a fresh {@code Ring} per step, so that no process-local cache carries over.
 *
 * <p>Checked in every state: no record is taken twice, and none is taken that was not committed;
 * records of one producer are claimed in the order it put them. Checked in every final state (no
 * step left): every committed record was taken, or was in the hands of a consumer that died; and
 * the ring is healthy: a new participant finds it empty, then fills and drains all its slots.
 *
 * <p>Not covered: interleavings inside one call (between a claim's CAS on {@code ctl} and its
 * CAS on the hint, for example); the chaos and crash tests cover those with real processes.
 */
class RingInterleavingTest {
    private static final int SLOTS = 2;
    private static final int SLOT_SIZE = 64;
    private static final long STATE_BYTES = QueueLayout.SLOTS_OFFSET + (long) SLOTS * SLOT_SIZE;

    private SharedMemory memory;
    private MemorySegment region;
    private final Set<Integer> dead = new HashSet<>();
    private final LongPredicate alive = token -> !dead.contains((int) (token >>> 32));

    /** A participant's program: {@code puts} records to put, or {@code takes} records to take. */
    private record Program(int index, boolean producer, int count, boolean killable) {
    }

    /** The mutable state of one exploration, copied at every branch. */
    private static final class State {
        int[] pc; // per participant: operations done
        int[] phase; // 0 = next is a claim, 1 = claimed (next finishes), -1 = dead
        long[] pos; // the claimed position
        int[] held; // the record claimed by a consumer
        int committed; // bitmask of records
        int taken;
        int lostInHands;
        int[] lastClaimedSeq; // per producer: the highest sequence number claimed by a consumer
        byte[] region;

        State copy() {
            State s = new State();
            s.pc = pc.clone();
            s.phase = phase.clone();
            s.pos = pos.clone();
            s.held = held.clone();
            s.committed = committed;
            s.taken = taken;
            s.lostInHands = lostInHands;
            s.lastClaimedSeq = lastClaimedSeq.clone();
            s.region = region.clone();
            return s;
        }

        String key() {
            // the hints and the slots (ctl, length, record id), and the participants' own state;
            // waiter counts are never set here
            MemorySegment r = MemorySegment.ofArray(region);
            StringBuilder b = new StringBuilder(160);
            b.append(r.get(ValueLayout.JAVA_LONG_UNALIGNED, QueueLayout.TAIL_OFFSET)).append(',')
                    .append(r.get(ValueLayout.JAVA_LONG_UNALIGNED, QueueLayout.HEAD_OFFSET));
            for (int i = 0; i < SLOTS; i++) {
                long slot = QueueLayout.slotOffset(i, SLOT_SIZE);
                b.append('|').append(Long.toHexString(r.get(ValueLayout.JAVA_LONG_UNALIGNED, slot + QueueLayout.SLOT_CTL)))
                        .append(',').append(r.get(ValueLayout.JAVA_INT_UNALIGNED, slot + QueueLayout.SLOT_LENGTH))
                        .append(',').append(r.get(ValueLayout.JAVA_BYTE, slot + QueueLayout.SLOT_PAYLOAD));
            }
            return b.append(Arrays.toString(pc)).append(Arrays.toString(phase)).append(Arrays.toString(pos))
                    .append(Arrays.toString(held)).append(committed).append('/').append(taken).append('/')
                    .append(lostInHands).append(Arrays.toString(lastClaimedSeq)).toString();
        }
    }

    private List<Program> programs;
    private final Set<String> visited = new HashSet<>();
    private long finals;
    /** Transitions seen: take-overs of a dead producer's and a dead consumer's claim, laps. */
    private long writerTakeovers;
    private long readerTakeovers;
    private long wraps;

    @BeforeEach
    void setUp() throws Exception {
        memory = SharedMemory.create(QueueLayout.regionSize(SLOTS, SLOT_SIZE));
        region = memory.segment();
        QueueLayout.initialize(region, SLOTS, SLOT_SIZE, SLOTS);
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private static long token(int index) {
        return (long) (1000 + index) << 32 | 1;
    }

    /** Record ids: producer p's k-th record (k from 0) is bit {@code p * 4 + k}. */
    private static int record(int producer, int k) {
        return producer * 4 + k;
    }

    @Test
    void twoProducersTwoConsumersAnyOfWhichMayDieExceptOne() {
        // p1 puts 2, p2 (killable) puts 1, c3 takes up to 3, c4 (killable) takes 1: three records
        // through two slots, so positions wrap and producers find the ring full.
        explore(List.of(new Program(1, true, 2, false), new Program(2, true, 1, true),
                new Program(3, false, 3, false), new Program(4, false, 1, true)));
    }

    @Test
    void aDeadProducersClaimAndADeadConsumersClaimAreTakenOverFromBothSides() {
        // both producers killable, one consumer immortal, one killable: every claim may be orphaned
        explore(List.of(new Program(1, true, 1, true), new Program(2, true, 2, true),
                new Program(3, false, 3, false), new Program(4, false, 2, true)));
    }

    private long explore(List<Program> programs) {
        this.programs = programs;
        int n = programs.size();
        for (Program p : programs) {
            region.set(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(p.index()), token(p.index()));
        }
        State s = new State();
        s.pc = new int[n];
        s.phase = new int[n];
        s.pos = new long[n];
        s.held = new int[n];
        Arrays.fill(s.held, -1);
        s.lastClaimedSeq = new int[8];
        Arrays.fill(s.lastClaimedSeq, -1);
        s.region = region.asSlice(0, STATE_BYTES).toArray(ValueLayout.JAVA_BYTE);
        visited.clear();
        finals = 0;
        writerTakeovers = 0;
        readerTakeovers = 0;
        wraps = 0;
        dfs(s);
        String seen = visited.size() + " states, " + finals + " final, " + writerTakeovers
                + " take-overs of a dead producer's claim, " + readerTakeovers + " of a dead consumer's, "
                + wraps + " claims on a second lap";
        System.out.println("RingInterleavingTest: " + seen);
        assertTrue(finals > 0 && writerTakeovers > 0 && readerTakeovers > 0 && wraps > 0,
                "the exploration must reach every kind of transition: " + seen);
        return visited.size();
    }

    private void dfs(State s) {
        if (!visited.add(s.key())) {
            return;
        }
        boolean anyStep = false;
        for (int a = 0; a < programs.size(); a++) {
            Program p = programs.get(a);
            if (s.phase[a] < 0 || (s.phase[a] == 0 && s.pc[a] == p.count())) {
                continue; // dead, or done
            }
            State next = step(s, a);
            if (next != null) {
                anyStep = true;
                dfs(next);
            }
            if (p.killable()) {
                anyStep = true;
                dfs(kill(s, a));
            }
        }
        if (!anyStep) {
            checkFinal(s);
        }
    }

    private State kill(State s, int a) {
        State k = s.copy();
        if (k.phase[a] == 1 && !programs.get(a).producer()) {
            k.lostInHands |= 1 << k.held[a];
        }
        k.phase[a] = -1;
        return k;
    }

    /** {@return the state after participant {@code a}'s next step, or null if it would only wait} */
    private State step(State s, int a) {
        Program p = programs.get(a);
        State n = s.copy();
        load(n);
        Ring ring = ring(n);
        int me = p.index();
        if (n.phase[a] == 0) {
            long pos = p.producer() ? ring.tryClaimWrite(me, true) : ring.tryClaimRead(me, true);
            if (pos < 0) {
                byte[] after = region.asSlice(0, STATE_BYTES).toArray(ValueLayout.JAVA_BYTE);
                if (Arrays.equals(after, n.region)) {
                    return null; // it would wait
                }
                n.region = after; // helped a hint on, or took over a dead claim, then found nothing
                countTakeovers(s.region, after, me);
                return n;
            }
            n.pos[a] = pos;
            n.phase[a] = 1;
            if (!p.producer()) {
                int r = ring.copyInline(pos, (reg, off, len) -> (int) reg.get(ValueLayout.JAVA_BYTE, off));
                if ((n.committed & 1 << r) == 0) {
                    fail("claimed record " + r + " that was never committed, in state " + s.key());
                }
                if ((n.taken & 1 << r) != 0 || (n.lostInHands & 1 << r) != 0) {
                    fail("record " + r + " claimed a second time, in state " + s.key());
                }
                int producer = r / 4;
                if (r % 4 <= n.lastClaimedSeq[producer]) {
                    fail("record " + r + " claimed after a later record of its producer, in state " + s.key());
                }
                n.lastClaimedSeq[producer] = r % 4;
                n.held[a] = r;
            }
        } else {
            long pos = n.pos[a];
            if (p.producer()) {
                int r = record(p.index(), n.pc[a]);
                ring.write(pos, MemorySegment.ofArray(new byte[] {(byte) r}));
                ring.commitWrite(pos, me);
                n.committed |= 1 << r;
            } else {
                ring.releaseRead(pos, me);
                n.taken |= 1 << n.held[a];
                n.held[a] = -1;
            }
            n.phase[a] = 0;
            n.pc[a]++;
        }
        n.region = region.asSlice(0, STATE_BYTES).toArray(ValueLayout.JAVA_BYTE);
        countTakeovers(s.region, n.region, me);
        return n;
    }

    private void countTakeovers(byte[] before, byte[] after, int me) {
        MemorySegment b = MemorySegment.ofArray(before);
        MemorySegment a = MemorySegment.ofArray(after);
        for (int i = 0; i < SLOTS; i++) {
            long slot = QueueLayout.slotOffset(i, SLOT_SIZE) + QueueLayout.SLOT_CTL;
            long cb = b.get(ValueLayout.JAVA_LONG_UNALIGNED, slot);
            long ca = a.get(ValueLayout.JAVA_LONG_UNALIGNED, slot);
            int owner = QueueLayout.owner(cb);
            if (cb != ca && owner != 0 && owner != me) {
                if (QueueLayout.state(cb) == QueueLayout.WRITING) {
                    writerTakeovers++;
                } else if (QueueLayout.state(cb) == QueueLayout.READING) {
                    readerTakeovers++;
                }
            }
            if (cb != ca && QueueLayout.position(ca) >= SLOTS && QueueLayout.owner(ca) == me) {
                wraps++;
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

    private Ring ring(State s) {
        return new Ring(region, SLOTS, SLOT_SIZE, ref -> { }, alive);
    }

    private void checkFinal(State s) {
        finals++;
        int missing = s.committed & ~(s.taken | s.lostInHands);
        if (missing != 0) {
            fail("committed records " + Integer.toBinaryString(missing) + " were neither taken nor lost with"
                    + " a dead consumer, in final state " + s.key());
        }
        load(s);
        Ring ring = ring(s);
        int checker = 9;
        region.set(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(checker), token(checker));
        assertEquals(-1, ring.tryClaimRead(checker, true), () -> "a record is left in final state " + s.key());
        for (int round = 0; round < 2; round++) {
            long[] claimed = new long[SLOTS];
            for (int i = 0; i < SLOTS; i++) {
                claimed[i] = ring.tryClaimWrite(checker, true);
                if (claimed[i] < 0) {
                    fail("slot " + i + " cannot be claimed for writing in final state " + s.key());
                }
                ring.write(claimed[i], MemorySegment.ofArray(new byte[] {(byte) 31}));
                ring.commitWrite(claimed[i], checker);
            }
            for (int i = 0; i < SLOTS; i++) {
                long pos = ring.tryClaimRead(checker, true);
                assertEquals(claimed[i], pos, () -> "the ring does not give back what was put, after final state " + s.key());
                ring.releaseRead(pos, checker);
            }
        }
        assertEquals(0, ring.size());
        region.set(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(checker), 0L);
    }
}
