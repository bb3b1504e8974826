package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.util.OptionalInt;
import java.lang.foreign.ValueLayout;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.TimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import jdk.jfr.consumer.RecordingFile;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import jdk.jfr.Configuration;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.multiprocessing4j.internal.launch.ForkserverLauncher;
import org.multiprocessing4j.internal.queue.QueueLayout;
import org.multiprocessing4j.internal.sync.LockLayout;
import org.multiprocessing4j.internal.sync.MutexLayout;
import org.multiprocessing4j.internal.sync.ProcessToken;

/**
 * The library's Flight Recorder events, recorded in this (the parent) process with the settings
 * file the jar carries, each made to happen across real processes.
 */
@Timeout(120)
class JfrEventsTest {
    static final String SETTINGS = "/org/multiprocessing4j/internal/jfr/multiprocessing4j.jfc";

    private RecordingStream stream;
    private final ConcurrentLinkedQueue<RecordedEvent> seen = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void record() throws Exception {
        Configuration settings;
        try (Reader r = new InputStreamReader(
                JfrEventsTest.class.getResourceAsStream(SETTINGS), StandardCharsets.UTF_8)) {
            settings = Configuration.create(r);
        }
        assertEquals("multiprocessing4j", settings.getLabel());
        stream = new RecordingStream(settings);
        stream.onEvent(e -> {
            if (e.getEventType().getName().startsWith("org.multiprocessing4j.")) {
                seen.add(e);
            }
        });
        stream.startAsync();
    }

    @AfterEach
    void stop() {
        stream.close();
    }

    /** Waits (bounded) until an event of {@code type} matching {@code which} has been streamed. */
    private RecordedEvent await(String type, Predicate<RecordedEvent> which) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (RecordedEvent e : seen) {
                if (e.getEventType().getName().equals("org.multiprocessing4j." + type) && which.test(e)) {
                    return e;
                }
            }
            Thread.sleep(20); // the stream flushes about once a second
        }
        return fail("no " + type + " event; seen: " + List.copyOf(seen));
    }

    @Test
    void aStartedAndJoinedChildGivesAStartAndAnExitEvent() throws Exception {
        try (ChildProcess child = new ChildProcess(() -> System.exit(5))) {
            child.start();
            child.join();
            int pid = child.pid();
            RecordedEvent start = await("ChildStart", e -> e.getInt("pid") == pid);
            assertEquals(child.name(), start.getString("name"));
            assertEquals(Multiprocessing.context().startMethod(), start.getString("startMethod"));
            assertFalse(start.getDuration().isNegative());
            assertTrue(start.getDuration().compareTo(Duration.ZERO) > 0, "start() takes time");
            assertNotNull(start.getStackTrace(), "the settings ask for the caller's stack");
            RecordedEvent exit = await("ChildExit", e -> e.getInt("pid") == pid);
            assertEquals(child.name(), exit.getString("name"));
            assertEquals(5, exit.getInt("exitCode"));
            assertNull(exit.getString("signal"));
        }
    }

    @Test
    void aKilledLockHolderGivesATakeOverAndAKilledExitEvent() throws Exception {
        String name = "mp4j-test-jfr-" + UUID.randomUUID();
        try (SharedLock lock = SharedLock.create(name); Pipe pipe = Pipe.open();
             ChildProcess holder = new ChildProcess(
                     SharedLockTest.holdAndReport(pipe.second(), lock))) {
            try {
                holder.start();
                assertEquals("holding", pipe.first().recv());
                holder.kill();
                assertTrue(lock.tryLock(30, TimeUnit.SECONDS), "taken over from the dead holder");
                assertFalse(lock.isConsistent());
                lock.markConsistent();
                lock.unlock();
                holder.join();
                int pid = holder.pid();
                RecordedEvent died = await("LockOwnerDied", e -> e.getInt("deadPid") == pid);
                assertEquals(name, died.getString("name"));
                assertEquals("SharedLock", died.getString("kind"));
                assertEquals(Thread.currentThread().threadId(), died.getThread().getJavaThreadId());
                RecordedEvent exit = await("ChildExit", e -> e.getInt("pid") == pid);
                assertEquals(holder.exitCode().getAsInt(), exit.getInt("exitCode"));
                assertTrue(exit.getInt("exitCode") < 0, "ended by a signal");
                assertNotNull(exit.getString("signal"));
            } finally {
                lock.unlink();
            }
        }
    }

    @Test
    void aClaimOfAKilledQueueParticipantRecoveredGivesAnEvent() throws Exception {
        String name = "mp4j-test-jfr-q-" + UUID.randomUUID();
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
            assertEquals(QueueLayout.ctl(1, 0, QueueLayout.FREE), region.get(ValueLayout.JAVA_LONG, slot));
            region.set(ValueLayout.JAVA_LONG, slot, QueueLayout.ctl(1, index, QueueLayout.WRITING));
            assertNull(q.poll(1, TimeUnit.SECONDS), "the half-written record is lost");
            RecordedEvent recovered = await("QueueClaimRecovered", e -> e.getInt("deadPid") == pid);
            assertEquals(name, recovered.getString("queue"));
            assertEquals(1, recovered.getLong("position"));
            assertEquals("put", recovered.getString("operation"));
            assertFalse(recovered.getBoolean("spilled"));
            q.put(2);
            assertEquals(2, q.take(), "the queue goes on");
        } finally {
            q.unlink();
            q.close();
        }
    }

    @Test
    void aKilledAndAnExitingPoolWorkerGiveWorkerDeathEvents() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            try {
                assertEquals(1, pool.submit(() -> 1).get(60, TimeUnit.SECONDS)); // worker ready
                int idle = pool.workerPids().get(0);
                ProcessHandle.of(idle).ifPresent(ProcessHandle::destroyForcibly);
                RecordedEvent killed = await("PoolWorkerDeath", e -> e.getInt("pid") == idle);
                assertTrue(killed.getInt("exitCode") < 0, "ended by a signal");
                assertEquals(0, killed.getInt("tasksLost"));
                assertTrue(killed.getBoolean("replaced"));
                assertNotNull(killed.getString("worker"));

                ExecutionException e = assertThrows(ExecutionException.class, () -> pool.submit(() -> {
                    System.exit(3);
                    return 0;
                }).get(60, TimeUnit.SECONDS));
                int exiting = assertInstanceOf(WorkerDiedException.class, e.getCause()).pid();
                RecordedEvent exited = await("PoolWorkerDeath", ev -> ev.getInt("pid") == exiting);
                assertEquals(3, exited.getInt("exitCode"));
                assertEquals(1, exited.getInt("tasksLost"));
                assertEquals(2, pool.submit(() -> 2).get(60, TimeUnit.SECONDS), "the pool goes on");
            } catch (Throwable t) {
                pool.kill();
                throw t;
            }
        }
    }

    @Test
    void anAnsweredPoolTaskGivesItsQueueAndRunTimes() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            assertEquals(7, pool.submit(() -> 7).get(60, TimeUnit.SECONDS));
            ExecutionException thrown = assertThrows(ExecutionException.class, () -> pool.submit(() -> {
                throw new IllegalStateException("no");
            }).get(60, TimeUnit.SECONDS));
            assertInstanceOf(RemoteTaskException.class, thrown.getCause());
            assertEquals(List.of(0, 2, 4, 6), pool.map(x -> 2 * x, List.of(0, 1, 2, 3), 2));
            int worker = pool.workerPids().get(0);
            RecordedEvent ok = await("PoolTask", e -> !e.getBoolean("failed") && e.getInt("items") == 1);
            RecordedEvent failed = await("PoolTask", e -> e.getBoolean("failed"));
            RecordedEvent chunk = await("PoolTask", e -> e.getInt("items") == 2);
            for (RecordedEvent e : List.of(ok, failed, chunk)) {
                assertEquals(worker, e.getInt("pid"));
                assertNotNull(e.getString("worker"));
                assertTrue(e.getDuration("queueTime").compareTo(Duration.ZERO) >= 0, e.toString());
                assertTrue(e.getDuration("runTime").compareTo(Duration.ZERO) > 0, e.toString());
            }
        }
    }

    @Test
    void aPoolShutDownGivesNoWorkerDeathEvent() throws Exception {
        int pid;
        try (ProcessPool pool = ProcessPool.create(1)) {
            assertEquals(1, pool.submit(() -> 1).get(60, TimeUnit.SECONDS));
            pid = pool.workerPids().get(0);
            pool.shutdown();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        }
        // a child after the pool's end: once its exit is streamed, the stream has flushed the
        // events committed before (a flush takes every thread's buffer)
        try (ChildProcess child = new ChildProcess(() -> { })) {
            child.start();
            child.join();
            int marker = child.pid();
            await("ChildExit", e -> e.getInt("pid") == marker);
        }
        assertTrue(seen.stream().noneMatch(e -> e.getEventType().getName().endsWith("PoolWorkerDeath")
                && e.getInt("pid") == pid), "a worker stopped by the pool did not die");
    }

    /** The threshold of the wait events in the jar's settings. */
    private static final Duration THRESHOLD = Duration.ofMillis(20);
    /**
     * How long the tests' waits last at least: ten times the threshold, because JFR decides the
     * threshold with its own clock, not {@code System.nanoTime()}, and the two disagree on a VM
     * (a child's 30 ms timed-out wait was recorded as 27.6 ms, and once not at all).
     */
    private static final long WAIT_MILLIS = 200;

    /**
     * A task that waits (bounded) until the 4-byte word at {@code offset} of the named block is
     * positive (a sleeper of this test's parent has registered), waits {@code pauseMillis} more,
     * then runs {@code then}: the parent's wait, begun before it registered, lasts at least the
     * pause, whatever the machine's load.
     */
    static Task afterSleeperRegistered(String block, long offset, long pauseMillis, Task then) {
        return () -> {
            try (SharedMemory raw = SharedMemory.attach(block)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (raw.segment().get(ValueLayout.JAVA_INT, offset) <= 0) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("no sleeper registered");
                    }
                    Thread.sleep(1);
                }
                Thread.sleep(pauseMillis);
                then.run();
            }
        };
    }

    @Test
    void aPutBlockedByASlowConsumerInAChildGivesAQueueBlockedEvent() throws Exception {
        String name = "mp4j-test-jfr-qb-" + UUID.randomUUID();
        SharedQueue<Integer> q = SharedQueue.builder().name(name).maxsize(1).create();
        try (ChildProcess consumer = new ChildProcess(afterSleeperRegistered(name,
                QueueLayout.PRODUCERS_WAITING_OFFSET, WAIT_MILLIS, () -> {
                    q.take();
                    q.take();
                }))) {
            q.put(1); // full
            consumer.start();
            q.put(2); // sleeps until the child takes 1
            consumer.join();
            assertEquals(OptionalInt.of(0), consumer.exitCode());
            RecordedEvent blocked = await("QueueBlocked", e -> name.equals(e.getString("queue")));
            assertEquals("put", blocked.getString("operation"));
            assertEquals(1, blocked.getInt("depth"));
            assertFalse(blocked.getBoolean("timedOut"));
            assertTrue(blocked.getDuration().compareTo(THRESHOLD) >= 0, blocked.toString());
            assertEquals(Thread.currentThread().threadId(), blocked.getThread().getJavaThreadId());
        } finally {
            q.unlink();
            q.close();
        }
    }

    @Test
    void aByteTakeThatWaitsForAChildAndOneThatTimesOutGiveQueueBlockedEvents() throws Exception {
        String name = "mp4j-test-jfr-qt-" + UUID.randomUUID();
        SharedJoinableQueue<byte[]> q = SharedQueue.builder().name(name).capacity(4).createJoinable();
        try (Arena arena = Arena.ofConfined();
             ChildProcess producer = new ChildProcess(afterSleeperRegistered(name,
                     QueueLayout.CONSUMERS_WAITING_OFFSET, WAIT_MILLIS, () -> q.put(new byte[] {7})))) {
            MemorySegment target = arena.allocate(64);
            producer.start();
            assertEquals(1, q.takeBytes(target)); // sleeps until the child puts
            q.taskDone();
            producer.join();
            assertEquals(-1, q.pollBytes(target, WAIT_MILLIS, TimeUnit.MILLISECONDS), "nothing more comes");
            RecordedEvent waited = await("QueueBlocked", e -> name.equals(e.getString("queue"))
                    && !e.getBoolean("timedOut"));
            assertEquals("take", waited.getString("operation"));
            assertEquals(0, waited.getInt("depth"));
            RecordedEvent timedOut = await("QueueBlocked", e -> name.equals(e.getString("queue"))
                    && e.getBoolean("timedOut"));
            assertEquals("take", timedOut.getString("operation"));
        } finally {
            q.unlink();
            q.close();
        }
    }

    @Test
    void aLockHeldByAChildGivesTheWaitingParentASyncWaitEvent() throws Exception {
        String name = "mp4j-test-jfr-sw-" + UUID.randomUUID();
        try (SharedLock lock = SharedLock.create(name); Pipe pipe = Pipe.open()) {
            Connection out = pipe.second();
            try (ChildProcess holder = new ChildProcess(() -> {
                lock.lock();
                out.send("holding");
                afterSleeperRegistered(name, LockLayout.MUTEX_OFFSET + MutexLayout.WAITERS_OFFSET,
                        WAIT_MILLIS, lock::unlock).run();
            })) {
                holder.start();
                assertEquals("holding", pipe.first().recv());
                lock.lock(); // sleeps until the child unlocks
                lock.unlock();
                holder.join();
                assertEquals(OptionalInt.of(0), holder.exitCode());
                RecordedEvent waited = await("SyncWait", e -> name.equals(e.getString("name")));
                assertEquals("SharedLock", waited.getString("kind"));
                assertEquals("lock", waited.getString("operation"));
                assertFalse(waited.getBoolean("timedOut"));
                assertTrue(waited.getDuration().compareTo(THRESHOLD) >= 0, waited.toString());
            } finally {
                lock.unlink();
            }
        }
    }

    @Test
    void timedOutWaitsOnEachPrimitiveGiveSyncWaitEvents() throws Exception {
        try (SharedSemaphore semaphore = SharedSemaphore.create(0);
             SharedEvent event = SharedEvent.create();
             SharedCondition condition = SharedCondition.create();
             SharedBarrier barrier = SharedBarrier.create(2);
             SharedReentrantLock reentrant = SharedReentrantLock.create()) {
            assertFalse(semaphore.tryAcquire(WAIT_MILLIS, TimeUnit.MILLISECONDS));
            assertFalse(event.await(WAIT_MILLIS, TimeUnit.MILLISECONDS));
            condition.lock().lock();
            try {
                assertFalse(condition.await(WAIT_MILLIS, TimeUnit.MILLISECONDS));
            } finally {
                condition.lock().unlock();
            }
            assertThrows(TimeoutException.class, () -> barrier.await(WAIT_MILLIS, TimeUnit.MILLISECONDS));
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                reentrant.lock();
                try {
                    assertFalse(other.submit(() -> reentrant.tryLock(WAIT_MILLIS, TimeUnit.MILLISECONDS))
                            .get(60, TimeUnit.SECONDS));
                } finally {
                    reentrant.unlock();
                }
            } finally {
                other.shutdown();
            }
            for (String[] kindAndOperation : List.of(new String[] {"SharedSemaphore", "acquire"},
                    new String[] {"SharedEvent", "await"}, new String[] {"SharedCondition", "await"},
                    new String[] {"SharedBarrier", "await"},
                    new String[] {"SharedReentrantLock", "lock"})) {
                RecordedEvent e = await("SyncWait",
                        ev -> ev.getString("kind").equals(kindAndOperation[0]));
                assertEquals(kindAndOperation[1], e.getString("operation"), e.toString());
                assertTrue(e.getBoolean("timedOut"), e.toString());
                assertNull(e.getString("name"), "anonymous");
                assertTrue(e.getDuration().compareTo(THRESHOLD) >= 0, e.toString());
            }
        }
    }

    @Test
    void handshakesWithTheRightAndAWrongKeyGiveHandshakeEventsOnBothSides() throws Exception {
        byte[] key = "jfr-test-key".getBytes(StandardCharsets.UTF_8);
        try (Listener listener = Listener.builder().unix().authkey(key).open()) {
            SocketAddress address = listener.address();
            // a client in a child with the right key: the listener's side is recorded here
            try (ChildProcess client = new ChildProcess(() -> {
                try (Connection c = Client.connect(address, key)) {
                    c.send("hello");
                }
            })) {
                client.start();
                try (Connection c = listener.accept(Duration.ofSeconds(60))) {
                    assertEquals("hello", c.recv());
                }
                client.join();
                assertEquals(OptionalInt.of(0), client.exitCode());
            }
            RecordedEvent ok = await("ConnectionHandshake", e -> e.getString("side").equals("listener")
                    && e.getString("result").equals("ok"));
            assertEquals(address.toString(), ok.getString("address"));
            assertEquals("unix", ok.getString("family"));
            assertEquals("digest", ok.getString("protocol"));
            assertNull(ok.getString("reason"));

            // a client in this process with a wrong key: both sides are recorded here
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                Future<?> refused = other.submit(() -> Client.connect(address,
                        "wrong".getBytes(StandardCharsets.UTF_8)));
                assertThrows(AuthenticationException.class, () -> listener.accept(Duration.ofSeconds(60)));
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> refused.get(60, TimeUnit.SECONDS));
                assertInstanceOf(AuthenticationException.class, e.getCause());
            } finally {
                other.shutdown();
            }
            for (String side : List.of("listener", "client")) {
                RecordedEvent no = await("ConnectionHandshake", e -> e.getString("side").equals(side)
                        && e.getString("result").equals("refused"));
                assertEquals(address.toString(), no.getString("address"));
                assertEquals("digest", no.getString("protocol"));
                assertNotNull(no.getString("reason"));
            }
        }
    }

    @Test
    void aForkserverChildGivesAStartEventNamingItsMethod() throws Exception {
        try (ChildProcess child = Multiprocessing.context("forkserver").process(() -> { })) {
            child.start();
            child.join();
            int pid = child.pid();
            RecordedEvent start = await("ChildStart", e -> e.getInt("pid") == pid);
            assertEquals("forkserver", start.getString("startMethod"));
            assertEquals(child.name(), start.getString("name"));
            await("ChildExit", e -> e.getInt("pid") == pid);
        } finally {
            ForkserverLauncher.INSTANCE.shutdown(); // no idle JVM outlives the class
        }
    }

    @Test
    void aChildStartedWithARecordingRecordsItsOwnEvents(@TempDir Path dir) throws Exception {
        // what README tells a user to pass: a recording with %p, so that each child writes its own
        Multiprocessing recorded = Multiprocessing.context("spawn").withJvmOptions(
                "-XX:StartFlightRecording:filename=" + dir.resolve("child-%p.jfr") + ",dumponexit=true");
        try (SharedSemaphore semaphore = SharedSemaphore.create(0);
             ChildProcess child = recorded.process(() -> {
                 if (semaphore.tryAcquire(WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                     System.exit(2);
                 }
             })) {
            child.start();
            child.join();
            assertEquals(OptionalInt.of(0), child.exitCode());
            Path file = dir.resolve("child-" + child.pid() + ".jfr");
            assertTrue(Files.exists(file), "the child wrote its recording: " + file);
            List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            RecordedEvent waited = events.stream()
                    .filter(e -> e.getEventType().getName().equals("org.multiprocessing4j.SyncWait"))
                    .findFirst().orElseThrow(() -> new AssertionError("no SyncWait in " + file));
            assertEquals("SharedSemaphore", waited.getString("kind"));
            assertTrue(waited.getBoolean("timedOut"));
        }
    }
}
