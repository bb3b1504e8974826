package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SharedJoinableQueue} across child JVMs (Python's JoinableQueue semantics, and what a
 * death does to the count), and named queues opened by a process that knows only the name.
 */
@Timeout(120)
class SharedJoinableQueueTest {

    @Test
    void joinWaitsUntilEveryRecordIsTakenAndDoneInAnotherProcess() throws Exception {
        int count = 200;
        try (SharedJoinableQueue<Integer> q = SharedJoinableQueue.create(8);
             SharedLong sum = SharedLong.create(0);
             ChildProcess worker = new ChildProcess(() -> {
                 for (;;) {
                     int n = q.take();
                     if (n < 0) {
                         q.taskDone();
                         return;
                     }
                     sum.addAndGet(n);
                     q.taskDone();
                 }
             })) {
            assertTrue(q.join(0, TimeUnit.SECONDS), "nothing put: done");
            worker.start();
            for (int i = 1; i <= count; i++) {
                q.put(i);
            }
            q.join();
            assertEquals(count * (count + 1) / 2, sum.get(), "join returned after every task was done");
            q.put(-1);
            q.join();
            worker.join();
            assertEquals(0, worker.exitCode().getAsInt(), () -> String.valueOf(worker.failure()));
        }
    }

    @Test
    void joinTimesOutWhileATaskIsOutstandingAndTooManyTaskDoneCallsThrow() throws Exception {
        try (SharedJoinableQueue<String> q = SharedJoinableQueue.create()) {
            assertThrows(IllegalStateException.class, q::taskDone, "nothing taken yet");
            q.put("a");
            assertFalse(q.join(20, TimeUnit.MILLISECONDS), "a record in the queue is unfinished");
            assertEquals("a", q.take());
            assertFalse(q.join(20, TimeUnit.MILLISECONDS), "a taken record is unfinished until done");
            q.taskDone();
            assertTrue(q.join(0, TimeUnit.SECONDS));
            IllegalStateException e = assertThrows(IllegalStateException.class, q::taskDone);
            assertTrue(e.getMessage().contains("more times"), e.getMessage());
            assertTrue(q.toString().startsWith("SharedJoinableQueue["), q.toString());
        }
    }

    @Test
    void aJoinerBlockedInJoinIsWokenByTaskDoneInAnotherProcess() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (SharedJoinableQueue<String> q = SharedJoinableQueue.create();
             SharedEvent go = SharedEvent.create();
             ChildProcess finisher = new ChildProcess(() -> {
                 go.await();
                 q.taskDone(); // finishes the task this (parent) process took
             })) {
            q.put("task");
            assertEquals("task", q.take());
            Future<?> joined = pool.submit(() -> {
                q.join();
                return null;
            });
            finisher.start();
            assertThrows(java.util.concurrent.TimeoutException.class, () -> joined.get(50, TimeUnit.MILLISECONDS));
            go.set();
            joined.get(30, TimeUnit.SECONDS);
            finisher.join();
            assertEquals(0, finisher.exitCode().getAsInt(), () -> String.valueOf(finisher.failure()));
            assertThrows(IllegalStateException.class, q::taskDone, "the one task was done by the child");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void tasksAKilledConsumerHeldStopCountingSoJoinReturns() throws Exception {
        try (SharedJoinableQueue<Integer> q = SharedJoinableQueue.create();
             SharedEvent took = SharedEvent.create();
             ChildProcess consumer = new ChildProcess(() -> {
                 q.take();
                 took.set();
                 Thread.sleep(60_000); // killed before taskDone
             })) {
            try {
                q.put(1);
                consumer.start();
                assertTrue(took.await(30, TimeUnit.SECONDS));
                assertFalse(q.join(20, TimeUnit.MILLISECONDS), "a live consumer's task is unfinished");
                consumer.kill();
                consumer.join();
                assertTrue(q.join(30, TimeUnit.SECONDS), "the dead consumer's task no longer counts");
                q.put(2);
                assertFalse(q.join(20, TimeUnit.MILLISECONDS), "new records count as before");
                assertEquals(2, q.take());
                q.taskDone();
                assertTrue(q.join(0, TimeUnit.SECONDS));
            } finally {
                SharedQueueTest.stopAll(List.of(consumer));
            }
        }
    }

    @Test
    void taskDoneFinishesALiveConsumersTaskNotADeadOnes() throws Exception {
        try (SharedJoinableQueue<Integer> q = SharedJoinableQueue.create();
             SharedEvent took = SharedEvent.create();
             SharedEvent release = SharedEvent.create();
             ChildProcess dead = new ChildProcess(() -> {
                 q.take(); // registers before the live consumer: its counter comes first
                 took.set();
                 Thread.sleep(60_000); // killed before taskDone
             });
             ChildProcess live = new ChildProcess(() -> {
                 q.take();
                 took.set();
                 release.await();
             })) {
            try {
                q.put(1);
                q.put(2);
                dead.start();
                assertTrue(took.await(30, TimeUnit.SECONDS));
                took.clear();
                dead.kill();
                dead.join();
                live.start();
                assertTrue(took.await(30, TimeUnit.SECONDS));
                assertFalse(q.join(20, TimeUnit.MILLISECONDS), "the live consumer's task is unfinished");
                q.taskDone(); // this process finishes the live consumer's task (as Python allows)
                assertTrue(q.join(10, TimeUnit.SECONDS),
                        "taskDone finished the live consumer's task, not the dead one's");
                release.set();
                live.join();
                assertEquals(0, live.exitCode().getAsInt(), () -> String.valueOf(live.failure()));
            } finally {
                release.set();
                SharedQueueTest.stopAll(List.of(dead, live));
            }
        }
    }

    @Test
    void closingTheQueueEndsABlockedJoin() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            SharedJoinableQueue<String> q = SharedJoinableQueue.create();
            q.put("never taken");
            Future<?> joined = pool.submit(() -> {
                q.join();
                return null;
            });
            assertThrows(java.util.concurrent.TimeoutException.class, () -> joined.get(50, TimeUnit.MILLISECONDS));
            q.close();
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> joined.get(30, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertThrows(IllegalStateException.class, q::join);
            q.close();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aNamedQueueIsOpenedByAProcessThatKnowsOnlyTheName() throws Exception {
        String name = "mp4j-test-q-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (SharedQueue<String> q = SharedQueue.builder().name(name).maxsize(4).create();
             ChildProcess other = new ChildProcess(() -> {
                 try (SharedQueue<String> mine = SharedQueue.open(name)) {
                     mine.put("hello by name");
                     mine.put(mine.getClass().getSimpleName() + " " + mine.capacity());
                 }
             })) {
            assertThrows(FileAlreadyExistsException.class, () -> SharedQueue.builder().name(name).create());
            IllegalStateException notJoinable = assertThrows(IllegalStateException.class,
                    () -> SharedJoinableQueue.open(name));
            assertTrue(notJoinable.getMessage().contains("not created joinable"), notJoinable.getMessage());
            other.start();
            assertEquals("hello by name", q.poll(30, TimeUnit.SECONDS));
            assertEquals("SharedQueue 4", q.poll(30, TimeUnit.SECONDS));
            other.join();
            assertEquals(0, other.exitCode().getAsInt(), () -> String.valueOf(other.failure()));
            q.unlink();
            assertThrows(NoSuchFileException.class, () -> SharedQueue.open(name));
            q.put("still works after unlink");
            assertEquals("still works after unlink", q.take());
        }
    }

    @Test
    void aNamedJoinableQueueOpensAsJoinable() throws Exception {
        String name = "mp4j-test-jq-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (SharedJoinableQueue<Integer> q = SharedQueue.builder().name(name).capacity(16).createJoinable();
             SharedJoinableQueue<Integer> view = SharedJoinableQueue.open(name)) {
            q.unlink();
            view.put(5);
            assertEquals(5, q.take());
            assertFalse(view.join(10, TimeUnit.MILLISECONDS));
            q.taskDone();
            assertTrue(view.join(0, TimeUnit.SECONDS));
            assertEquals(16, view.capacity());
        }
    }

    @Test
    void badNamesAreRejectedWhenGiven() {
        assertThrows(IllegalArgumentException.class, () -> SharedQueue.builder().name("has space"));
        assertThrows(IllegalArgumentException.class, () -> SharedQueue.builder().name(".."));
    }

    @Test
    void openingSomethingThatIsNotAQueueFailsClearly() throws Exception {
        String small = "mp4j-test-notq-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (SharedEvent e = SharedEvent.create(small)) {
            try {
                java.io.IOException x = assertThrows(java.io.IOException.class, () -> SharedQueue.open(small));
                assertTrue(x.getMessage().contains("smaller than a SharedQueue region"), x.getMessage());
            } finally {
                e.unlink();
            }
        }
        String junk = small + "-junk";
        try (SharedMemory m = SharedMemory.create(junk, 1 << 16)) {
            try {
                m.segment().set(java.lang.foreign.ValueLayout.JAVA_INT, 0, 0x12345678);
                IllegalStateException x = assertThrows(IllegalStateException.class, () -> SharedQueue.open(junk));
                assertTrue(x.getMessage().contains("magic 0x12345678"), x.getMessage());
            } finally {
                m.unlink();
            }
        }
    }
}
