package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.multiprocessing4j.internal.pool.PoolFuture;
import org.multiprocessing4j.internal.pool.PoolWire;
import org.multiprocessing4j.internal.pool.PoolWorkerLink;

/**
 * Faults between a pool and its workers other than a worker's death: an {@link Error} thrown
 * while a task is encoded (by a codec, or out of memory), a worker answering a task it does not
 * hold. Whatever is thrown where, every future completes and {@code close()} returns.
 */
@Timeout(180)
class ProcessPoolProtocolFaultTest {
    private static final long WAIT_SECONDS = 60;

    /** An argument that {@link ThrowingCodec} cannot encode: it throws {@code error}. */
    record Poison(String error) implements Serializable {
    }

    /** The default codec, except that it throws an {@link Error} when asked to encode a poison. */
    static final class ThrowingCodec implements Codec, Serializable {
        private static final long serialVersionUID = 1L;
        /** The threads that were asked to encode a poison, in this JVM. */
        static final List<String> POISONED_THREADS = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void encode(Object value, ByteSink out) throws CodecException {
            if (value instanceof Poison p) {
                POISONED_THREADS.add(Thread.currentThread().getName());
                if (p.error().equals("close")) {
                    out.close(); // a codec bug that breaks the pool's own buffer
                    return;
                }
                throw switch (p.error()) {
                    case "oom" -> new OutOfMemoryError("simulated, encoding " + p);
                    case "stack" -> new StackOverflowError("simulated, encoding " + p);
                    default -> new AssertionError("a codec bug, encoding " + p);
                };
            }
            Codec.defaults().encode(value, out);
        }

        @Override
        public Object decode(MemorySegment in) throws CodecException {
            return Codec.defaults().decode(in);
        }
    }

    private static ProcessPool throwingCodecPool() throws IOException {
        return ProcessPool.builder().processes(1)
                .context(Multiprocessing.context().withCodec(new ThrowingCodec())).build();
    }

    /** The future's failure, within a bound; fails the test if it does not complete. */
    private static Throwable failureOf(Future<?> f, String what) throws InterruptedException {
        try {
            Object v = f.get(WAIT_SECONDS, TimeUnit.SECONDS);
            return fail(what + " completed with " + v + " instead of failing");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            return fail(what + " never completes");
        }
    }

    /** Closes the pool, failing the test (and killing the pool) if close() does not return. */
    private static void closeWithin(ProcessPool pool) throws InterruptedException {
        Thread closer = Thread.ofPlatform().start(pool::close);
        closer.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        if (closer.isAlive()) {
            pool.kill();
            closer.join();
            fail("close() does not return");
        }
        assertTrue(pool.isTerminated());
    }

    private static void assertUnsendable(Throwable failure, Class<? extends Error> error) {
        IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class, failure);
        assertInstanceOf(error, e.getCause(), e.toString());
    }

    @Test
    void anErrorWhileTheSubmittingThreadEncodesATaskFailsOnlyThatTask() throws Exception {
        ProcessPool pool = throwingCodecPool();
        try {
            assertEquals(1, pool.submit(() -> 1).get(WAIT_SECONDS, TimeUnit.SECONDS)); // ready, idle
            for (String error : List.of("assertion", "oom", "stack")) {
                // An idle worker: the submitting thread encodes and sends the task itself.
                ThrowingCodec.POISONED_THREADS.clear();
                CompletableFuture<Object> bad = pool.applyAsync(x -> x, new Poison(error));
                assertEquals(List.of(Thread.currentThread().getName()), ThrowingCodec.POISONED_THREADS);
                assertUnsendable(failureOf(bad, "the poisoned task"), switch (error) {
                    case "oom" -> OutOfMemoryError.class;
                    case "stack" -> StackOverflowError.class;
                    default -> AssertionError.class;
                });
                CompletableFuture<List<Object>> map = pool.mapAsync(x -> x,
                        List.of(1, new Poison(error), 3), 1);
                assertUnsendable(failureOf(map, "a map with a poisoned item"), Error.class);
                assertEquals(List.of(1, 2, 3), pool.map(x -> x, List.of(1, 2, 3), 1));
            }
            assertEquals(1, pool.workerPids().size(), "the worker was not harmed");
        } catch (Throwable t) {
            pool.kill();
            throw t;
        }
        closeWithin(pool);
    }

    @Test
    void anErrorWhileTheSenderThreadEncodesATaskFailsOnlyThatTask(@TempDir Path dir) throws Exception {
        ProcessPool pool = throwingCodecPool();
        String release = dir.resolve("release").toString();
        ThrowingCodec.POISONED_THREADS.clear();
        try {
            // The worker's window (4 tasks before its first answer) is full while the first task
            // waits for the release file: the poisoned task is queued, and the worker's sender
            // thread encodes it once the worker answers.
            CompletableFuture<Integer> blocker = pool.submit(() -> awaitFile(release));
            while (((PoolFuture<?>) blocker).holder == null) {
                Thread.sleep(5);
            }
            List<CompletableFuture<Object>> fillers = new ArrayList<>();
            for (int i = 0; i < PoolWorkerLink.INITIAL_WINDOW - 1; i++) {
                fillers.add(pool.applyAsync(x -> x, i));
            }
            CompletableFuture<Object> bad = pool.applyAsync(x -> x, new Poison("assertion"));
            CompletableFuture<Object> after = pool.applyAsync(x -> x, "after");
            Files.createFile(Path.of(release));
            assertEquals(0, blocker.get(WAIT_SECONDS, TimeUnit.SECONDS));
            assertUnsendable(failureOf(bad, "the poisoned task"), AssertionError.class);
            assertEquals(1, ThrowingCodec.POISONED_THREADS.size(), ThrowingCodec.POISONED_THREADS.toString());
            assertTrue(ThrowingCodec.POISONED_THREADS.get(0).endsWith("-writer"),
                    ThrowingCodec.POISONED_THREADS.toString());
            for (int i = 0; i < fillers.size(); i++) {
                assertEquals(i, fillers.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS));
            }
            assertEquals("after", after.get(WAIT_SECONDS, TimeUnit.SECONDS));
            assertEquals(7, pool.submit(() -> 7).get(WAIT_SECONDS, TimeUnit.SECONDS));
        } catch (Throwable t) {
            pool.kill();
            throw t;
        }
        closeWithin(pool);
    }

    @Test
    void aCodecThatBreaksTheSendBufferCostsOnlyThatWorker() throws Exception {
        ProcessPool pool = throwingCodecPool();
        try {
            assertEquals(1, pool.submit(() -> 1).get(WAIT_SECONDS, TimeUnit.SECONDS)); // ready, idle
            int broken = pool.workerPids().get(0);
            CompletableFuture<Object> bad = pool.applyAsync(x -> x, new Poison("close"));
            Throwable failure = failureOf(bad, "the task whose encoding closed the send buffer");
            assertTrue(String.valueOf(failure).contains("closed"), String.valueOf(failure));
            assertEquals(7, pool.submit(() -> 7).get(WAIT_SECONDS, TimeUnit.SECONDS), "replaced");
            assertTrue(!pool.workerPids().contains(broken), pool.workerPids() + " " + broken);
            assertEquals(List.of(1, 2, 3), pool.map(x -> x, List.of(1, 2, 3), 1));
        } catch (Throwable t) {
            pool.kill();
            throw t;
        }
        closeWithin(pool);
    }

    /** Waits (in a worker) until {@code path} exists; returns 0. */
    static int awaitFile(String path) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!Files.exists(Path.of(path)) && System.nanoTime() - deadline < 0) {
            Thread.sleep(1);
        }
        return 0;
    }

    // ------------------------------------------------------------------ a worker that lies

    /** Keeps the injected connection reachable (it has no cleaner, but be sure it is never closed). */
    private static final List<Connection> INJECTORS = new ArrayList<>();

    /**
     * Runs in a worker: sends the pool, on the worker's own connection, a RESULT frame for a task
     * id the worker was never given, then returns normally.
     */
    static int answerATaskNeverGiven() throws IOException {
        // A spawned child's task handles follow its bootstrap handles, from inherited handle
        // FIRST_TASK_HANDLE on: a pool worker's only one is its connection to the pool.
        long fd = org.multiprocessing4j.platform.Platform.current()
                .inheritedHandle(org.multiprocessing4j.internal.task.TaskStreams.FIRST_TASK_HANDLE).value();
        String what = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        if (!what.startsWith("socket:")) {
            throw new IllegalStateException("descriptor " + fd + " of the worker is " + what);
        }
        Connection raw = new Connection(org.multiprocessing4j.platform.Handle.of(fd), false, true, Codec.defaults());
        INJECTORS.add(raw);
        ByteBuffer frame = ByteBuffer.allocate(1 + 8 + 8 + 4);
        frame.put(PoolWire.RESULT).putLong(-42).putLong(1).putInt(0).flip();
        raw.sendBytes(frame);
        return 1;
    }

    @Test
    void anAnswerForATaskTheWorkerDoesNotHoldFailsEveryTaskItHeld() throws Exception {
        ProcessPool pool = ProcessPool.builder().processes(1)
                .context(Multiprocessing.context("spawn")).build();
        try {
            assertEquals(1, pool.submit(() -> 1).get(WAIT_SECONDS, TimeUnit.SECONDS)); // ready
            int liar = pool.workerPids().get(0);
            CompletableFuture<Integer> lying = pool.submit(ProcessPoolProtocolFaultTest::answerATaskNeverGiven);
            List<CompletableFuture<Integer>> others = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                others.add(pool.applyAsync(x -> x, i));
            }
            Throwable failure = failureOf(lying, "the task whose worker broke the protocol");
            WorkerDiedException died = assertInstanceOf(WorkerDiedException.class, failure,
                    String.valueOf(failure));
            assertEquals(liar, died.pid());
            assertTrue(String.valueOf(died.getCause()).contains("protocol error"), died.toString());
            for (int i = 0; i < others.size(); i++) { // held by the liar (and failed) or not
                try {
                    assertEquals(i, others.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    assertEquals(liar, assertInstanceOf(WorkerDiedException.class, e.getCause()).pid());
                } catch (TimeoutException e) {
                    fail("task " + i + " never completes");
                }
            }
            assertEquals(7, pool.submit(() -> 7).get(WAIT_SECONDS, TimeUnit.SECONDS), "replaced");
        } catch (Throwable t) {
            pool.kill();
            throw t;
        }
        closeWithin(pool);
    }
}
