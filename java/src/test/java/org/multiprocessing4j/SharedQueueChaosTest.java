package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Chaos: producers and consumers in several child JVMs, SIGKILLed at random moments and
 * replaced (a replacement producer streams under a new id). Every producer journals (in shared
 * memory, after {@code put} returned) the last sequence number it committed; every consumer marks
 * what it took. At the end, every committed record was delivered exactly once, except at most one
 * per killed consumer (the record in its hands); the one record a producer may have committed
 * after its last journal entry was delivered at most once; nothing else was delivered; each
 * consumer saw each producer's records in order; nothing hung. Every fourth record is a medium
 * one (a {@code byte[]} of 300 B to 12 KiB that carries its number and a pattern), which travels
 * through a record area small enough that producers wait for runs; so kills land in the middle
 * of medium records too, and at the end the whole area must be free again (a record of the
 * area's size is put and taken).
 *
 * <p>Sized for CI (a few seconds). {@code -Dmp4j.soak=true} runs many more rounds. Children do
 * not see this JVM's system properties: everything they need travels in their task.
 */
@Timeout(300)
class SharedQueueChaosTest {
    private static final boolean SOAK = Boolean.getBoolean("mp4j.soak");
    private static final int PRODUCER_SLOTS = 3;
    private static final int PER_PRODUCER = SOAK ? 200_000 : 20_000;
    private static final int ROUNDS = SOAK ? 40 : 4;
    private static final int SEQ_BITS = 18; // PER_PRODUCER < 2^18
    private static final int IDS = PRODUCER_SLOTS + ROUNDS; // every replacement gets a new id
    private static final int AREA = 64 * 1024;

    @Test
    void randomKillsLoseNothingCommittedAndDuplicateNothing() throws Exception {
        Random random = new Random(SOAK ? System.nanoTime() : 42);
        System.out.println("chaos: " + ROUNDS + " kill rounds, " + PRODUCER_SLOTS + " producer slots x "
                + PER_PRODUCER + " records");
        try (SharedQueue<Object> q = SharedQueue.builder().maxsize(256).recordArea(AREA, AREA).create();
             SharedLongArray journal = SharedLongArray.create(IDS);
             SharedIntArray seen = SharedIntArray.create(IDS << SEQ_BITS);
             SharedInt orderViolations = SharedInt.create(0)) {
            for (int id = 0; id < IDS; id++) {
                journal.set(id, -1);
            }
            int nextId = 0;
            List<ChildProcess> all = new ArrayList<>();
            ChildProcess[] producers = new ChildProcess[PRODUCER_SLOTS];
            ChildProcess[] consumers = new ChildProcess[2];
            int killedConsumers = 0;
            try {
                for (int p = 0; p < PRODUCER_SLOTS; p++) {
                    producers[p] = startProducer(q, journal, nextId++, all);
                }
                for (int c = 0; c < consumers.length; c++) {
                    consumers[c] = startConsumer(q, seen, orderViolations, all);
                }
                for (int round = 0; round < ROUNDS; round++) {
                    Thread.sleep(100 + random.nextInt(300));
                    if (random.nextBoolean()) {
                        int p = random.nextInt(PRODUCER_SLOTS);
                        producers[p].kill();
                        producers[p].join();
                        producers[p] = startProducer(q, journal, nextId++, all);
                    } else {
                        int c = random.nextInt(consumers.length);
                        consumers[c].kill();
                        consumers[c].join();
                        killedConsumers++;
                        consumers[c] = startConsumer(q, seen, orderViolations, all);
                    }
                }
                for (ChildProcess p : producers) { // let the producers finish their streams
                    if (!p.join(java.time.Duration.ofSeconds(120))) {
                        StringBuilder state = new StringBuilder("a producer hung: queue size "
                                + q.size() + ", journal [");
                        for (int id = 0; id < nextId; id++) {
                            state.append(id == 0 ? "" : ", ").append(journal.get(id));
                        }
                        state.append("], consumers alive ");
                        for (ChildProcess c : consumers) {
                            state.append(c.isAlive()).append(' ');
                        }
                        throw new AssertionError(state.append(", ").append(q).toString());
                    }
                }
                // Consumers drain what is left; the parent helps and waits for the queue to empty.
                long quietSince = System.nanoTime();
                while (System.nanoTime() - quietSince < TimeUnit.MILLISECONDS.toNanos(500)) {
                    Object v = q.poll(50, TimeUnit.MILLISECONDS);
                    if (v != null) {
                        mark(seen, orderViolations, v, null);
                        quietSince = System.nanoTime();
                    } else if (!q.isEmpty()) {
                        quietSince = System.nanoTime();
                    }
                }
            } finally {
                SharedQueueTest.stopAll(all);
            }
            byte[] whole = new byte[AREA - 5]; // the area's size, encoded: every chunk must be free
            assertTrue(q.offer(whole, 30, TimeUnit.SECONDS), "the record area did not come back whole");
            assertTrue(q.take() instanceof byte[] b && b.length == whole.length);
            int duplicates = 0;
            int missing = 0;
            int phantoms = 0;
            for (int id = 0; id < nextId; id++) {
                long committed = journal.get(id);
                for (int s = 0; s < PER_PRODUCER; s++) {
                    int n = seen.get((id << SEQ_BITS) | s);
                    if (n > 1) {
                        duplicates++;
                    } else if (n == 0 && s <= committed) {
                        missing++;
                    } else if (n == 1 && s > committed + 1) {
                        phantoms++; // never put
                    }
                }
            }
            System.out.println("chaos: " + killedConsumers + " consumers killed, " + missing
                    + " committed records missing, " + duplicates + " duplicated");
            assertTrue(duplicates == 0, duplicates + " records delivered twice");
            assertTrue(phantoms == 0, phantoms + " records delivered that were never put");
            assertTrue(missing <= killedConsumers, missing + " committed records lost, but only "
                    + killedConsumers + " consumers were killed (at most one record each)");
            assertTrue(orderViolations.get() == 0, "a consumer saw a producer's records out of order,"
                    + " or a medium record's bytes were wrong (" + orderViolations.get() + ")");
        }
    }

    private static ChildProcess startProducer(SharedQueue<Object> q, SharedLongArray journal, int p,
                                              List<ChildProcess> all) throws Exception {
        int perProducer = PER_PRODUCER;
        ChildProcess child = new ChildProcess(() -> produce(q, journal, p, perProducer));
        child.start();
        all.add(child);
        return child;
    }

    static void produce(SharedQueue<Object> q, SharedLongArray journal, int id, int perProducer)
            throws Exception {
        java.util.Random sizes = new java.util.Random(id);
        for (long s = 0; s < perProducer; s++) {
            long v = ((long) id << SEQ_BITS) | s;
            q.put(s % 4 == 3 ? medium(v, 300 + sizes.nextInt(12 * 1024)) : (Object) v);
            journal.set(id, s); // after put returned: journal <= committed <= journal + 1
        }
    }

    private static ChildProcess startConsumer(SharedQueue<Object> q, SharedIntArray seen,
                                              SharedInt orderViolations, List<ChildProcess> all)
            throws Exception {
        int ids = IDS;
        ChildProcess child = new ChildProcess(() -> consume(q, seen, orderViolations, ids));
        child.start();
        all.add(child);
        return child;
    }

    static void consume(SharedQueue<Object> q, SharedIntArray seen, SharedInt orderViolations, int ids)
            throws Exception {
        long[] last = new long[ids];
        java.util.Arrays.fill(last, -1);
        for (;;) {
            mark(seen, orderViolations, q.take(), last);
        }
    }

    /** A medium record: {@code v}, then bytes that follow from it, {@code n} bytes in all. */
    static byte[] medium(long v, int n) {
        byte[] b = new byte[n];
        java.nio.ByteBuffer.wrap(b).putLong(v);
        for (int i = 8; i < n; i++) {
            b[i] = (byte) (v * 31 + i);
        }
        return b;
    }

    /** {@return the number a record carries, or -1 if a medium record's bytes are wrong} */
    private static long number(Object record) {
        if (record instanceof Long l) {
            return l;
        }
        byte[] b = (byte[]) record;
        long v = java.nio.ByteBuffer.wrap(b).getLong();
        for (int i = 8; i < b.length; i++) {
            if (b[i] != (byte) (v * 31 + i)) {
                return -1;
            }
        }
        return v;
    }

    private static void mark(SharedIntArray seen, SharedInt orderViolations, Object record, long[] last) {
        long v = number(record);
        if (v < 0) {
            orderViolations.incrementAndGet();
            return;
        }
        int p = (int) (v >>> SEQ_BITS);
        long s = v & ((1 << SEQ_BITS) - 1);
        if (last != null) {
            if (s <= last[p]) {
                orderViolations.incrementAndGet();
            }
            last[p] = s;
        }
        seen.addAndGet((int) v, 1);
    }
}
