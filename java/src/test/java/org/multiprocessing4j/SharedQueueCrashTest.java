package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault tests: a producer or consumer child JVM SIGKILLed while it works. Nothing committed is
 * lost, nothing is duplicated, at most the record in the dead process's hands is lost, and the
 * survivors never hang.
 */
@Timeout(120)
class SharedQueueCrashTest {

    @Test
    void producerKilledWhilePuttingLosesNoRecordItsPutReturnedFor() throws Exception {
        try (SharedQueue<Integer> q = SharedQueue.create(64);
             SharedLongArray journal = SharedLongArray.of(-1);
             ChildProcess producer = new ChildProcess(() -> {
                 for (int i = 0; ; i++) {
                     q.put(i);
                     journal.set(0, i); // after put returned: journal <= committed
                 }
             })) {
            try {
                producer.start();
                int next = 0;
                while (next < 20_000) {
                    assertEquals(next++, q.take());
                }
                producer.kill();
                producer.join();
                long journaled = journal.get(0);
                for (Integer v; (v = q.poll(200, TimeUnit.MILLISECONDS)) != null; ) {
                    assertEquals(next++, v, "records arrive once, in order, with no gap");
                }
                long last = next - 1;
                assertTrue(last == journaled || last == journaled + 1,
                        "received up to " + last + ", journal says " + journaled);
            } finally {
                SharedQueueTest.stopAll(List.of(producer));
            }
            q.put(-7);
            assertEquals(-7, q.take(), "the queue still works after the crash");
        }
    }

    @Test
    void consumerKilledWhileTakingLosesAtMostOneRecord() throws Exception {
        int total = 30_000;
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (SharedQueue<Integer> q = SharedQueue.create(64);
             SharedIntArray seen = SharedIntArray.create(total);
             SharedInt taken = SharedInt.create(0);
             ChildProcess consumer = new ChildProcess(() -> {
                 for (;;) {
                     int v = q.take();
                     seen.addAndGet(v, 1);
                     taken.incrementAndGet();
                 }
             })) {
            int[] mine = new int[total];
            try {
                consumer.start();
                Future<?> producer = pool.submit(() -> {
                    for (int i = 0; i < total; i++) {
                        q.put(i);
                    }
                    return null;
                });
                while (taken.get() < total / 3) {
                    Thread.sleep(1);
                }
                consumer.kill();
                consumer.join();
                int last = -1;
                for (;;) {
                    Integer v = q.poll(200, TimeUnit.MILLISECONDS);
                    if (v == null) {
                        if (producer.isDone()) {
                            break;
                        }
                        continue;
                    }
                    assertTrue(v > last, v + " after " + last);
                    last = v;
                    mine[v]++;
                }
                producer.get();
            } finally {
                pool.shutdownNow();
                SharedQueueTest.stopAll(List.of(consumer));
            }
            int lost = 0;
            for (int i = 0; i < total; i++) {
                int n = seen.get(i) + mine[i];
                assertTrue(n <= 1, "record " + i + " delivered " + n + " times");
                lost += 1 - n;
            }
            assertTrue(lost <= 1, lost + " records lost");
        }
    }
}
