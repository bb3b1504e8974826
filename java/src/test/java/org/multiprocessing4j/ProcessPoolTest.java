package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.multiprocessing4j.internal.pool.PoolFuture;
import org.multiprocessing4j.internal.pool.PoolWorkerLink;

/**
 * The {@link ProcessPool} contract: Python's Pool semantics and the {@code ExecutorService} ones.
 * Most tests share one two-worker pool; those about the life cycle or the pool's settings start
 * their own.
 */
@Timeout(120)
class ProcessPoolTest {
    private static ProcessPool pool;

    @BeforeAll
    static void startPool() throws Exception {
        pool = ProcessPool.create(2);
    }

    @AfterAll
    static void closePool() {
        if (pool != null) {
            pool.close();
            assertTrue(pool.isTerminated());
        }
    }

    static int twice(int x) {
        return 2 * x;
    }

    static long pid() {
        return ProcessHandle.current().pid();
    }

    // ------------------------------------------------------------------ tasks and failures

    @Test
    void submitRunsTheLambdaInAWorkerProcess() throws Exception {
        CompletableFuture<Long> f = pool.submit(() -> ProcessHandle.current().pid());
        long worker = f.get(30, TimeUnit.SECONDS);
        assertNotEquals(ProcessHandle.current().pid(), worker);
        assertTrue(pool.workerPids().contains((int) worker), pool.workerPids() + " " + worker);
        assertTrue(pool.submit(() -> ChildProcess.currentProcess().name()).get().startsWith("PoolWorker-"));
    }

    @Test
    void submitRunnableCompletesWithNullOrTheGivenResult() throws Exception {
        assertNull(pool.submit(() -> { }).get());
        Runnable r = (ProcessPool.SerializableRunnable) () -> { };
        assertEquals("done", pool.submit(r, "done").get());
        CompletableFuture<?> plain = pool.submit(r);
        assertNull(plain.get());
    }

    @Test
    void aTaskThatIsNotSerializableIsRefusedAtTheCall() {
        Callable<Integer> notSerializable = () -> 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pool.submit(notSerializable));
        assertTrue(e.getMessage().contains("Serializable"), e.getMessage());
        Object local = new Object();
        e = assertThrows(IllegalArgumentException.class, () -> pool.submit(() -> local.hashCode()));
        assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> pool.map(x -> local, List.of(1)));
        assertThrows(IllegalArgumentException.class, () -> pool.execute(() -> System.out.println()));
        assertThrows(IllegalArgumentException.class, () -> pool.invokeAll(List.of(notSerializable)));
    }

    @Test
    void anArgumentThatCannotBeSentFailsItsTask() {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> pool.map(x -> 1, List.of(new Object()), 1));
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
    }

    @Test
    void aCallbackOfATaskThatCannotBeSentMaySubmitAgain() throws Exception {
        CompletableFuture<Integer> f = pool.<Object, Integer>applyAsync(x -> 1, new Object())
                .exceptionallyCompose(e -> pool.submit(() -> 9));
        assertEquals(9, f.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aTaskExceptionArrivesWithItsRemoteStackTrace() {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> pool.submit(() -> failing("boom")).get());
        RemoteTaskException remote = assertInstanceOf(RemoteTaskException.class, e.getCause());
        IllegalStateException original = assertInstanceOf(IllegalStateException.class, remote.getCause());
        assertEquals("boom", original.getMessage());
        assertTrue(Arrays.stream(original.getStackTrace()).anyMatch(s -> s.getMethodName().equals("failing")),
                () -> Arrays.toString(original.getStackTrace()));
        assertTrue(remote.getMessage().contains("PoolWorker-"), remote.getMessage());
    }

    static <T> T failing(String message) {
        throw new IllegalStateException(message);
    }

    @Test
    void applyAsyncCallbacksAndErrorCallbacks() throws Exception {
        CompletableFuture<Integer> f = pool.applyAsync(ProcessPoolTest::twice, 21);
        assertEquals("42!", f.thenApply(v -> v + "!").get(30, TimeUnit.SECONDS));
        CompletableFuture<Integer> bad = pool.applyAsync(x -> failing("bad " + x), 7);
        String handled = bad.handle((v, t) -> t.getCause().getMessage()).get(30, TimeUnit.SECONDS);
        assertEquals("bad 7", handled);
        CompletionException ce = assertThrows(CompletionException.class, bad::join);
        assertInstanceOf(RemoteTaskException.class, ce.getCause());
    }

    @Test
    void aCallbackMaySubmitMoreWork() throws Exception {
        CompletableFuture<Integer> chained = pool.submit(() -> 1)
                .thenCompose(v -> pool.applyAsync(ProcessPoolTest::twice, v))
                .thenCompose(v -> pool.applyAsync(ProcessPoolTest::twice, v));
        assertEquals(4, chained.get(30, TimeUnit.SECONDS));
    }

    // ------------------------------------------------------------------ map family

    @Test
    void mapReturnsResultsInInputOrderWhateverTheChunkSize() throws Exception {
        List<Integer> in = IntStream.range(0, 1000).boxed().toList();
        List<Integer> expected = in.stream().map(x -> 2 * x).toList();
        for (int chunksize : new int[] {1, 7, 1000, 5000}) {
            assertEquals(expected, pool.map(ProcessPoolTest::twice, in, chunksize), "chunksize " + chunksize);
        }
        assertEquals(expected, pool.map(ProcessPoolTest::twice, in));
        assertEquals(List.of(), pool.map(ProcessPoolTest::twice, List.of()));
        Iterable<Integer> notACollection = () -> in.iterator();
        assertEquals(expected, pool.map(ProcessPoolTest::twice, notACollection, 3));
        assertThrows(IllegalArgumentException.class, () -> pool.map(ProcessPoolTest::twice, in, 0));
    }

    @Test
    void mapChunksKeepTheirItemsTogetherInOneWorker() throws Exception {
        List<Long> pids = pool.map(x -> pid(), IntStream.range(0, 40).boxed().toList(), 10);
        for (int chunk = 0; chunk < 4; chunk++) {
            assertEquals(1, new HashSet<>(pids.subList(chunk * 10, chunk * 10 + 10)).size(), pids.toString());
        }
    }

    @Test
    void mapFailsWithTheFailureOfAnItem() {
        ExecutionException e = assertThrows(ExecutionException.class, () -> pool.map(
                x -> x == 57 ? failing("item " + x) : x, IntStream.range(0, 100).boxed().toList(), 5));
        assertEquals("item 57", assertInstanceOf(RemoteTaskException.class, e.getCause()).getCause().getMessage());
    }

    @Test
    void starmapAppliesTheFunctionToEachPair() throws Exception {
        List<Map.Entry<String, Integer>> pairs = List.of(Map.entry("a", 1), Map.entry("b", 2),
                Map.entry("c", 3));
        assertEquals(List.of("a", "bb", "ccc"), pool.starmap(String::repeat, pairs));
        assertEquals(List.of("a", "bb", "ccc"), pool.starmap((s, n) -> s.repeat(n), pairs, 1));
    }

    @Test
    void imapYieldsResultsInInputOrder() {
        List<Integer> out = new ArrayList<>();
        try (ProcessPool.ResultIterator<Integer> it = pool.imap(x -> {
            Thread.sleep((x * 7) % 5); // finish out of order
            return x;
        }, IntStream.range(0, 60).boxed().toList(), 3)) {
            it.forEachRemaining(out::add);
        }
        assertEquals(IntStream.range(0, 60).boxed().toList(), out);
    }

    @Test
    void imapUnorderedYieldsResultsAsTheyComplete() throws Exception {
        List<Integer> out = new ArrayList<>();
        try (ProcessPool.ResultIterator<Integer> it = pool.imapUnordered(x -> {
            if (x == 0) {
                Thread.sleep(1000);
            }
            return x;
        }, IntStream.range(0, 20).boxed().toList())) {
            while (it.hasNext()) {
                out.add(it.next(java.time.Duration.ofSeconds(30)));
            }
        }
        assertEquals(IntStream.range(0, 20).boxed().toList(), out.stream().sorted().toList());
        assertNotEquals(0, out.get(0), "the slow first item came first: " + out);
    }

    @Test
    void imapTakesAnEndlessInputLazily() {
        AtomicInteger pulled = new AtomicInteger();
        Iterable<Integer> endless = () -> new Iterator<>() {
            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Integer next() {
                return pulled.getAndIncrement();
            }
        };
        try (ProcessPool.ResultIterator<Integer> it = pool.imap(ProcessPoolTest::twice, endless)) {
            for (int i = 0; i < 3000; i++) {
                assertEquals(2 * i, it.next());
            }
        }
        int bound = ProcessPool.IMAP_TASKS_PER_WORKER * pool.processes();
        assertTrue(pulled.get() <= 3000 + bound, "pulled " + pulled.get());
    }

    @Test
    void imapReportsAFailedItemAndGoesOn() {
        try (ProcessPool.ResultIterator<Integer> it = pool.imap(
                x -> x == 2 ? failing("two") : x, List.of(0, 1, 2, 3))) {
            assertEquals(0, it.next());
            assertEquals(1, it.next());
            CompletionException e = assertThrows(CompletionException.class, it::next);
            assertInstanceOf(RemoteTaskException.class, e.getCause());
            assertEquals(3, it.next());
            assertFalse(it.hasNext());
            assertThrows(java.util.NoSuchElementException.class, it::next);
        }
    }

    /** An input whose {@code next()} throws at item {@code failAt}. */
    static Iterable<Integer> failingAt(int failAt) {
        return () -> new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Integer next() {
                if (next == failAt) {
                    throw new IllegalStateException("input fails at " + failAt);
                }
                return next++;
            }
        };
    }

    @Test
    void anInputExceptionComesAfterTheResultsOfTheItemsTakenBeforeIt() {
        for (boolean ordered : new boolean[] {true, false}) {
            for (int chunksize : new int[] {1, 2, 4}) {
                String what = (ordered ? "imap" : "imapUnordered") + ", chunksize " + chunksize;
                ProcessPool.ResultIterator<Integer> it = ordered
                        ? pool.imap(ProcessPoolTest::twice, failingAt(7), chunksize)
                        : pool.imapUnordered(ProcessPoolTest::twice, failingAt(7), chunksize);
                try (it) {
                    List<Integer> out = new ArrayList<>();
                    for (int i = 0; i < 7; i++) {
                        assertTrue(it.hasNext(), what);
                        out.add(it.next());
                    }
                    if (!ordered) {
                        out.sort(null);
                    }
                    assertEquals(IntStream.range(0, 7).map(x -> 2 * x).boxed().toList(), out, what);
                    assertTrue(it.hasNext(), what + ": next() reports the input's exception");
                    IllegalStateException e = assertThrows(IllegalStateException.class, it::next, what);
                    assertEquals("input fails at 7", e.getMessage(), what);
                    assertFalse(it.hasNext(), what);
                    assertThrows(java.util.NoSuchElementException.class, it::next, what);
                }
            }
        }
        ProcessPool.ResultIterator<Integer> it = pool.imap(ProcessPoolTest::twice, failingAt(0));
        try (it) {
            assertThrows(IllegalStateException.class, it::next);
            assertFalse(it.hasNext());
        }
    }

    @Test
    void anInputExceptionLateInTheStreamLosesNoResultTakenBeforeIt() {
        int failAt = ProcessPool.IMAP_TASKS_PER_WORKER * pool.processes() + 2000;
        int seen = 0;
        try (ProcessPool.ResultIterator<Integer> it = pool.imap(ProcessPoolTest::twice, failingAt(failAt))) {
            try {
                while (true) {
                    assertEquals(2 * seen, it.next());
                    seen++;
                }
            } catch (IllegalStateException e) {
                assertEquals("input fails at " + failAt, e.getMessage());
            }
            assertEquals(failAt, seen, "results delivered before the input's exception");
            assertFalse(it.hasNext());
        }
    }

    @Test
    void imapNextWithATimeoutTimesOut() throws Exception {
        try (ProcessPool.ResultIterator<Integer> it = pool.imap(x -> {
            Thread.sleep(2000);
            return x;
        }, List.of(1))) {
            assertThrows(TimeoutException.class, () -> it.next(java.time.Duration.ofMillis(20)));
        }
    }

    // ------------------------------------------------------------------ ExecutorService

    @Test
    void invokeAllWaitsForEveryTask() throws Exception {
        List<Callable<Integer>> tasks = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int n = i;
            tasks.add((ProcessPool.SerializableCallable<Integer>) () -> n * n);
        }
        tasks.add((ProcessPool.SerializableCallable<Integer>) () -> failing("eleven"));
        List<Future<Integer>> results = pool.invokeAll(tasks);
        for (int i = 0; i < 10; i++) {
            assertTrue(results.get(i).isDone());
            assertEquals(i * i, results.get(i).get());
        }
        assertThrows(ExecutionException.class, () -> results.get(10).get());
    }

    @Test
    void invokeAllWithATimeoutCancelsWhatIsUnfinished() throws Exception {
        List<Callable<Integer>> tasks = List.of(
                (ProcessPool.SerializableCallable<Integer>) () -> 1,
                (ProcessPool.SerializableCallable<Integer>) () -> {
                    Thread.sleep(3000);
                    return 2;
                });
        List<Future<Integer>> results = pool.invokeAll(tasks, 1, TimeUnit.SECONDS);
        assertEquals(1, results.get(0).get());
        assertTrue(results.get(1).isCancelled());
    }

    @Test
    void invokeAnyReturnsASuccessfulResult() throws Exception {
        List<Callable<String>> tasks = List.of(
                (ProcessPool.SerializableCallable<String>) () -> failing("no"),
                (ProcessPool.SerializableCallable<String>) () -> "yes");
        assertEquals("yes", pool.invokeAny(tasks));
        List<Callable<String>> allFail = List.of(
                (ProcessPool.SerializableCallable<String>) () -> failing("a"),
                (ProcessPool.SerializableCallable<String>) () -> failing("b"));
        assertThrows(ExecutionException.class, () -> pool.invokeAny(allFail));
        assertThrows(IllegalArgumentException.class, () -> pool.invokeAny(List.<Callable<String>>of()));
    }

    @Test
    void cancellingAFutureCompletesItAsCancelledAndThePoolGoesOn() throws Exception {
        CompletableFuture<Integer> slow = pool.submit(() -> {
            Thread.sleep(300);
            return 1;
        });
        assertTrue(slow.cancel(true));
        assertTrue(slow.isCancelled());
        assertThrows(CancellationException.class, slow::get);
        assertEquals(5, pool.submit(() -> 5).get(30, TimeUnit.SECONDS));
    }

    @Test
    void manyConcurrentSubmittersEachGetTheirOwnResults() throws Exception {
        List<Thread> threads = new ArrayList<>();
        Map<Integer, Integer> results = new java.util.concurrent.ConcurrentHashMap<>();
        for (int t = 0; t < 4; t++) {
            int base = t * 1000;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = base; i < base + 200; i++) {
                    try {
                        results.put(i, pool.applyAsync(ProcessPoolTest::twice, i).get());
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(800, results.size());
        results.forEach((k, v) -> assertEquals(2 * k, v));
    }

    // ------------------------------------------------------------------ life cycle (own pools)

    @Test
    void shutdownRunsWhatIsQueuedAndRefusesNewTasks() throws Exception {
        ProcessPool p = ProcessPool.create(1);
        try {
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int n = i;
                fs.add(p.submit(() -> {
                    Thread.sleep(20);
                    return n;
                }));
            }
            p.shutdown();
            assertTrue(p.isShutdown());
            assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> p.submit(() -> 1));
            assertThrows(java.util.concurrent.RejectedExecutionException.class,
                    () -> p.map(ProcessPoolTest::twice, List.of(1)));
            assertThrows(java.util.concurrent.RejectedExecutionException.class,
                    () -> p.imap(ProcessPoolTest::twice, List.of(1)));
            assertTrue(p.awaitTermination(60, TimeUnit.SECONDS));
            assertTrue(p.isTerminated());
            for (int i = 0; i < 5; i++) {
                assertEquals(i, fs.get(i).getNow(-1));
            }
        } finally {
            p.kill();
        }
    }

    @Test
    void shutdownNowHandsBackTheTasksNoWorkerReceived(@TempDir Path dir) throws Exception {
        ProcessPool p = ProcessPool.create(1);
        String release = dir.resolve("release").toString();
        try {
            // The first task runs until the test releases it, so the worker answers nothing
            // before shutdownNow(): its window stays the initial one.
            CompletableFuture<Integer> first = p.submit(() -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!java.nio.file.Files.exists(Path.of(release))
                        && System.nanoTime() - deadline < 0) {
                    Thread.sleep(1);
                }
                return -1;
            });
            while (((PoolFuture<?>) first).holder == null) { // until the worker has it
                Thread.sleep(10);
            }
            List<CompletableFuture<Integer>> queued = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int n = i;
                queued.add(p.submit(() -> n));
            }
            List<Runnable> back = p.shutdownNow();
            java.nio.file.Files.createFile(Path.of(release));
            // The worker holds the first task and at most the rest of its initial window.
            assertTrue(back.size() >= 20 - (PoolWorkerLink.INITIAL_WINDOW - 1) && back.size() <= 20,
                    "handed back " + back.size());
            assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> p.submit(() -> 1));
            back.forEach(Runnable::run); // runs them here and completes their futures
            assertTrue(p.awaitTermination(60, TimeUnit.SECONDS));
            assertEquals(-1, first.get());
            for (int i = 0; i < 20; i++) {
                assertEquals(i, queued.get(i).get(30, TimeUnit.SECONDS));
            }
        } finally {
            p.kill();
        }
    }

    @Test
    void anImapWhoseInputOutlivesThePoolEndsWithRejectedExecution() throws Exception {
        ProcessPool p = ProcessPool.create(1);
        try {
            Iterable<Integer> endless = () -> IntStream.iterate(0, i -> i + 1).iterator();
            ProcessPool.ResultIterator<Integer> it = p.imap(ProcessPoolTest::twice, endless);
            assertEquals(0, it.next());
            p.shutdown();
            int seen = 1;
            try {
                while (true) {
                    assertEquals(2 * seen, it.next());
                    seen++;
                }
            } catch (java.util.concurrent.RejectedExecutionException expected) {
                // the input could not be taken further: the results already taken came first
            }
            assertTrue(seen > 1, "results taken before the shutdown are delivered: " + seen);
            assertTrue(p.awaitTermination(60, TimeUnit.SECONDS));
        } finally {
            p.kill();
        }
    }

    @Test
    void awaitTerminationTimesOutWhileATaskRuns() throws Exception {
        ProcessPool p = ProcessPool.create(1);
        try {
            CompletableFuture<Integer> f = p.submit(() -> {
                Thread.sleep(1000);
                return 1;
            });
            p.shutdown();
            assertFalse(p.awaitTermination(10, TimeUnit.MILLISECONDS));
            assertFalse(p.isTerminated());
            assertTrue(p.awaitTermination(60, TimeUnit.SECONDS));
            assertEquals(1, f.getNow(0));
        } finally {
            p.kill();
        }
    }

    @Test
    void closeDrainsTheQueueThenStopsTheWorkers() throws Exception {
        ProcessPool p = ProcessPool.create(2);
        List<Integer> pids = p.workerPids();
        CompletableFuture<List<Integer>> all = p.mapAsync(x -> {
            Thread.sleep(5);
            return x;
        }, IntStream.range(0, 100).boxed().toList(), 1);
        p.close();
        assertTrue(p.isTerminated());
        assertEquals(100, all.getNow(null).size());
        for (int pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "worker " + pid);
        }
        assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> p.submit(() -> 1));
        p.close(); // idempotent
    }

    @Test
    void terminateCancelsWhatTheWorkersHold() throws Exception {
        ProcessPool p = ProcessPool.create(1);
        CompletableFuture<Integer> running = p.submit(() -> {
            Thread.sleep(60_000);
            return 1;
        });
        while (((PoolFuture<?>) running).holder == null) { // until the worker has it
            Thread.sleep(10);
        }
        p.terminate();
        assertTrue(p.isTerminated());
        assertThrows(CancellationException.class, running::get);
        p.terminate(); // idempotent
    }

    @Test
    void theInitializerRunsOnceInEachWorkerBeforeAnyTask() throws Exception {
        try (ProcessPool p = ProcessPool.builder().processes(2)
                .initializer(() -> System.setProperty("pool.init",
                        Integer.toString(Integer.getInteger("pool.init", 0) + 1)))
                .build()) {
            List<String> seen = p.map(x -> System.getProperty("pool.init") + "@" + pid(),
                    IntStream.range(0, 50).boxed().toList(), 1);
            for (String s : seen) {
                assertTrue(s.startsWith("1@"), seen.toString());
            }
        }
    }

    @Test
    void maxTasksPerChildReplacesTheWorkerAfterThatManyTasks() throws Exception {
        try (ProcessPool p = ProcessPool.builder().processes(1).maxTasksPerChild(2).build()) {
            List<Long> pids = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                pids.add(p.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS));
            }
            Map<Long, Integer> perWorker = new HashMap<>();
            pids.forEach(pid -> perWorker.merge(pid, 1, Integer::sum));
            assertEquals(3, perWorker.size(), pids.toString());
            perWorker.values().forEach(n -> assertEquals(2, n, pids.toString()));
            // a map chunk counts as one task
            List<Long> chunked = p.map(x -> pid(), IntStream.range(0, 8).boxed().toList(), 2);
            Set<Long> distinct = new HashSet<>(chunked);
            assertEquals(2, distinct.size(), chunked.toString());
        }
    }

    @Test
    void anInitializerThatThrowsBreaksThePool() throws Exception {
        ProcessPool p = ProcessPool.builder().processes(1)
                .initializer(() -> failing("no init")).build();
        try {
            try {
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> p.submit(() -> 1).get(60, TimeUnit.SECONDS));
                assertInstanceOf(java.util.concurrent.RejectedExecutionException.class, e.getCause());
                assertInstanceOf(RemoteTaskException.class, e.getCause().getCause());
            } catch (java.util.concurrent.RejectedExecutionException alreadyBroken) {
                assertInstanceOf(RemoteTaskException.class, alreadyBroken.getCause());
            }
            assertTrue(p.awaitTermination(60, TimeUnit.SECONDS));
            assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> p.submit(() -> 1));
        } finally {
            p.kill();
        }
    }

    @Test
    void builderRefusesBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> ProcessPool.builder().processes(0));
        assertThrows(IllegalArgumentException.class, () -> ProcessPool.builder().maxTasksPerChild(0));
        assertThrows(IllegalArgumentException.class, () -> ProcessPool.create(-1));
    }
}
