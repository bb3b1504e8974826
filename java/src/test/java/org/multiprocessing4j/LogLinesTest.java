package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.queue.QueueLayout;
import org.multiprocessing4j.internal.sync.ProcessToken;

/**
 * The library's log lines ({@link System.Logger}, which the JDK's default maps to
 * {@code java.util.logging}): a handler on the {@code org.multiprocessing4j} logger sees one line
 * per real event, from the logger of the public type concerned.
 */
@Timeout(120)
class LogLinesTest {
    /** Held strongly: java.util.logging keeps loggers only weakly. */
    private final Logger root = Logger.getLogger("org.multiprocessing4j");
    private final ConcurrentLinkedQueue<LogRecord> lines = new ConcurrentLinkedQueue<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            lines.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private Level before;

    @BeforeEach
    void install() {
        before = root.getLevel();
        root.setLevel(Level.ALL);
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
    }

    @AfterEach
    void remove() {
        root.removeHandler(handler);
        root.setLevel(before);
    }

    private List<LogRecord> from(String logger, Predicate<LogRecord> which) {
        return lines.stream().filter(r -> r.getLoggerName().equals(logger) && which.test(r)).toList();
    }

    @Test
    void aLockTakenOverFromAKilledHolderLogsOneWarning() throws Exception {
        String name = "mp4j-test-log-" + UUID.randomUUID();
        try (SharedLock lock = SharedLock.create(name); Pipe pipe = Pipe.open();
             ChildProcess holder = new ChildProcess(SharedLockTest.holdAndReport(pipe.second(), lock))) {
            try {
                holder.start();
                assertEquals("holding", pipe.first().recv());
                holder.kill();
                holder.join();
                assertTrue(lock.tryLock(30, TimeUnit.SECONDS), "taken over from the dead holder");
                lock.markConsistent();
                lock.unlock();
                String pid = Integer.toString(holder.pid());
                List<LogRecord> taken = from("org.multiprocessing4j.SharedLock",
                        r -> r.getMessage().contains(name));
                assertEquals(1, taken.size(), "one line: " + taken);
                LogRecord line = taken.get(0);
                assertEquals(Level.WARNING, line.getLevel());
                assertTrue(line.getMessage().contains("process " + pid + ", died"), line.getMessage());
                assertTrue(line.getMessage().contains("markConsistent"), line.getMessage());
                assertEquals("org.multiprocessing4j.internal.sync.RobustMutex", line.getSourceClassName(),
                        "the record names the code that took over, not a logging helper");
            } finally {
                lock.unlink();
            }
        }
    }

    @Test
    void aKilledPoolWorkerLogsOneWarningThatItIsReplaced() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            try {
                assertEquals(1, pool.submit(() -> 1).get(60, TimeUnit.SECONDS)); // worker ready
                int pid = pool.workerPids().get(0);
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                List<LogRecord> died;
                while ((died = from("org.multiprocessing4j.ProcessPool",
                        r -> r.getMessage().contains("(process " + pid + ")"))).isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        fail("no line for the killed worker; lines: " + lines.stream().map(LogRecord::getMessage).toList());
                    }
                    Thread.sleep(20); // the worker's reader thread logs once it has reaped it
                }
                assertEquals(1, died.size(), died.toString());
                assertEquals(Level.WARNING, died.get(0).getLevel());
                assertTrue(died.get(0).getMessage().contains("a replacement is starting"), died.get(0).getMessage());
                assertEquals(2, pool.submit(() -> 2).get(60, TimeUnit.SECONDS), "the pool goes on");
            } catch (Throwable t) {
                pool.kill();
                throw t;
            }
        }
    }

    @Test
    void aClaimOfAKilledQueueParticipantRecoveredLogsOneWarning() throws Exception {
        String name = "mp4j-test-log-q-" + UUID.randomUUID();
        int slotSize = 64;
        SharedQueue<Integer> q = SharedQueue.builder().name(name).capacity(8).slotSize(slotSize).create();
        try (SharedMemory raw = SharedMemory.attach(name); Pipe pipe = Pipe.open();
             Connection out = pipe.second();
             ChildProcess participant = new ChildProcess(() -> {
                 q.put(1); // registers the child as a participant of the queue
                 out.send("put");
                 Thread.sleep(60_000);
             })) {
            participant.start();
            assertEquals("put", pipe.first().recv());
            assertEquals(1, q.take());
            participant.kill();
            participant.join();
            int pid = participant.pid();
            MemorySegment region = raw.segment();
            int index = -1;
            for (int i = 1; i <= QueueLayout.PARTICIPANTS; i++) {
                if (ProcessToken.pid(region.get(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(i))) == pid) {
                    index = i;
                }
            }
            assertTrue(index > 0, "the child is a participant");
            // As if the child had died in the middle of its next put: its claim on position 1.
            long slot = QueueLayout.slotOffset(1, slotSize);
            region.set(ValueLayout.JAVA_LONG, slot, QueueLayout.ctl(1, index, QueueLayout.WRITING));
            assertNull(q.poll(1, TimeUnit.SECONDS), "the half-written record is lost");
            List<LogRecord> recovered = from("org.multiprocessing4j.SharedQueue",
                    r -> r.getMessage().contains(name));
            assertEquals(1, recovered.size(), recovered.toString());
            String message = recovered.get(0).getMessage();
            assertEquals(Level.WARNING, recovered.get(0).getLevel());
            assertTrue(message.contains("process " + pid + " died in the middle of a put"), message);
            assertFalse(message.contains("spilled"), message);
        } finally {
            q.unlink();
            q.close();
        }
    }

    /** A handler that fails on every record, as a broken logging back end would. */
    private final Handler throwing = new Handler() {
        @Override
        public void publish(LogRecord r) {
            throw new IllegalStateException("broken handler");
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @Test
    void aHandlerThatThrowsDoesNotUndoATakeOver() throws Exception {
        String name = "mp4j-test-log-" + UUID.randomUUID();
        root.addHandler(throwing);
        try (SharedLock lock = SharedLock.create(name); Pipe pipe = Pipe.open();
             ChildProcess holder = new ChildProcess(SharedLockTest.holdAndReport(pipe.second(), lock))) {
            try {
                holder.start();
                assertEquals("holding", pipe.first().recv());
                holder.kill();
                holder.join();
                // Before the fix the handler's exception came out of tryLock after the take-over:
                // the caller held a lock it was told it did not get.
                assertTrue(lock.tryLock(30, TimeUnit.SECONDS), "taken over from the dead holder");
                assertTrue(lock.isHeldByCurrentThread());
                lock.markConsistent();
                lock.unlock();
            } finally {
                lock.unlink();
            }
        } finally {
            root.removeHandler(throwing);
        }
    }

    @Test
    void aHandlerThatThrowsDoesNotStopAPoolFailingLostTasksAndReplacingTheWorker() throws Exception {
        root.addHandler(throwing);
        try (ProcessPool pool = ProcessPool.create(1)) {
            try {
                assertEquals(1, pool.submit(() -> 1).get(60, TimeUnit.SECONDS)); // worker ready
                int pid = pool.workerPids().get(0);
                java.util.concurrent.CompletableFuture<Integer> lost = pool.submit(() -> {
                    Thread.sleep(120_000);
                    return 0;
                });
                Thread.sleep(200); // let the worker take it (if not, it runs on the replacement)
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                try {
                    lost.get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertTrue(e.getCause() instanceof WorkerDiedException, e.toString());
                } catch (java.util.concurrent.TimeoutException e) {
                    fail("the killed worker's task was neither failed nor run elsewhere");
                }
                assertEquals(2, pool.submit(() -> 2).get(60, TimeUnit.SECONDS), "a replacement runs");
            } catch (Throwable t) {
                pool.kill();
                throw t;
            }
        } finally {
            root.removeHandler(throwing);
        }
    }

    @Test
    void terminatingAPoolLogsNoWorkerDeath() throws Exception {
        try (ProcessPool pool = ProcessPool.create(2)) {
            try {
                assertEquals(1, pool.submit(() -> 1).get(60, TimeUnit.SECONDS));
                pool.terminate();
                assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
                List<LogRecord> deaths = from("org.multiprocessing4j.ProcessPool",
                        r -> r.getLevel() == Level.WARNING && r.getMessage().contains("ended with exit code"));
                assertEquals(List.of(), deaths.stream().map(LogRecord::getMessage).toList(),
                        "workers the pool stopped itself are not deaths");
            } catch (Throwable t) {
                pool.kill();
                throw t;
            }
        }
    }
}
