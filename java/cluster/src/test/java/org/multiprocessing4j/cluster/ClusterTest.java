package org.multiprocessing4j.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;
import org.multiprocessing4j.ProcessPool;
import org.multiprocessing4j.RemoteTaskException;

/**
 * The pool, queue and dict on one 3-member local cluster shared by every test of the class
 * (members are JVMs: starting them dominates the time).
 */
@ExtendWith(NoChildLeft.class)
class ClusterTest {
    private static Cluster cluster;
    private static ClusterPool pool;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = Cluster.builder().localMembers(3).threadsPerMember(1).start();
        pool = cluster.pool();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static long pid() {
        return ProcessHandle.current().pid();
    }

    private static Set<Long> memberPids() {
        Set<Long> pids = new HashSet<>();
        for (Cluster.LocalMember m : cluster.localMembers()) {
            pids.add(m.pid());
        }
        return pids;
    }

    @Test
    void threeLocalMembersFormOneClusterOfChildJvms() {
        assertEquals(3, cluster.members().size());
        assertEquals(3, cluster.localMembers().size());
        Set<Long> children = new HashSet<>();
        ProcessHandle.current().children().forEach(p -> children.add(p.pid()));
        assertTrue(children.containsAll(memberPids()), () -> children + " vs " + memberPids());
        assertEquals(3, pool.parallelism());
    }

    @Test
    void mapReturnsResultsInInputOrderAndUsesEveryMember() throws Exception {
        List<Integer> items = IntStream.range(0, 30).boxed().toList();
        List<Long> pids = pool.map((Integer x) -> {
            Thread.sleep(20);
            return pid();
        }, items, 1);
        assertEquals(30, pids.size());
        assertEquals(memberPids(), new HashSet<>(pids));
        assertEquals(IntStream.range(0, 100).map(x -> x * x).boxed().toList(),
                pool.map((Integer x) -> x * x, IntStream.range(0, 100).boxed().toList()));
        assertEquals(List.of(), pool.map((Integer x) -> x, List.of()));
    }

    @Test
    void starmapApplyAsyncAndSubmitRunOnMembers() throws Exception {
        assertEquals(List.of("a1", "b2"), pool.starmap((String s, Integer i) -> s + i,
                List.of(Map.entry("a", 1), Map.entry("b", 2))));
        assertEquals(42, pool.applyAsync((Integer x) -> x + 1, 41).get(60, TimeUnit.SECONDS));
        long member = pool.submit(() -> pid()).get(60, TimeUnit.SECONDS);
        assertTrue(memberPids().contains(member));
        assertNull(pool.submit(() -> { }).get(60, TimeUnit.SECONDS));
        assertEquals("done", pool.submit((Runnable & Serializable) () -> { }, "done").get(60, TimeUnit.SECONDS));
    }

    @Test
    void invokeAllAndInvokeAnyFollowTheExecutorServiceContract() throws Exception {
        List<Callable<Integer>> tasks = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int n = i;
            tasks.add((ProcessPool.SerializableCallable<Integer>) () -> n * 10);
        }
        List<Integer> results = new ArrayList<>();
        for (Future<Integer> f : pool.invokeAll(tasks)) {
            results.add(f.get());
        }
        assertEquals(List.of(0, 10, 20, 30, 40), results);
        assertTrue(List.of(0, 10, 20, 30, 40).contains(pool.invokeAny(tasks)));
    }

    @Test
    void aTaskExceptionArrivesWithItsRemoteCause() {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> pool.map((Integer x) -> {
                    if (x == 3) {
                        throw new IllegalStateException("bad item " + x);
                    }
                    return x;
                }, List.of(1, 2, 3, 4), 1));
        RemoteTaskException remote = assertInstanceOf(RemoteTaskException.class, e.getCause());
        IllegalStateException original = assertInstanceOf(IllegalStateException.class, remote.getCause());
        assertEquals("bad item 3", original.getMessage());
        assertTrue(remote.getMessage().contains("member 127.0.0.1:"), remote.getMessage());
    }

    @Test
    void aTaskThatCannotBeEncodedIsRefusedAtTheCall() {
        Object notSerializable = new Object();
        assertThrows(IllegalArgumentException.class,
                () -> pool.submit(() -> notSerializable.hashCode()));
        Callable<Integer> plain = () -> 1; // not Serializable
        assertThrows(IllegalArgumentException.class, () -> pool.submit(plain));
        assertThrows(IllegalArgumentException.class, () -> pool.map((Object x) -> x, List.of(1), 0));
    }

    @Test
    void membersDecodeTasksBehindTheDefaultCodecFilter() {
        Object[] deep = new Object[0];
        for (int i = 0; i < 100; i++) { // deeper than Codec.Builder.DEFAULT_MAX_DEPTH
            deep = new Object[] {deep};
        }
        Object[] captured = deep;
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> pool.submit(() -> captured.length).get(60, TimeUnit.SECONDS));
        CodecException c = assertInstanceOf(CodecException.class, e.getCause());
        assertTrue(c.getMessage().contains("could not decode the task"), c.getMessage());
    }

    /** Defines {@code OnlyHere}, a serializable {@code Callable} that exists in this JVM only. */
    private static final class OnlyHereLoader extends ClassLoader {
        OnlyHereLoader() {
            super(ClusterTest.class.getClassLoader());
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            if (!name.equals("OnlyHere")) {
                throw new ClassNotFoundException(name);
            }
            byte[] bytes = ClassFile.of().build(ClassDesc.of("OnlyHere"), cb -> cb
                    .withFlags(ClassFile.ACC_PUBLIC)
                    .withSuperclass(ConstantDescs.CD_Object)
                    .withInterfaceSymbols(ClassDesc.of("java.util.concurrent.Callable"),
                            ClassDesc.of("java.io.Serializable"))
                    .withMethodBody(ConstantDescs.INIT_NAME, ConstantDescs.MTD_void, ClassFile.ACC_PUBLIC,
                            b -> b.aload(0).invokespecial(ConstantDescs.CD_Object, ConstantDescs.INIT_NAME,
                                    ConstantDescs.MTD_void).return_())
                    .withMethodBody("call", MethodTypeDesc.of(ConstantDescs.CD_Object), ClassFile.ACC_PUBLIC,
                            b -> b.ldc("ran").areturn()));
            return defineClass(name, bytes, 0, bytes.length);
        }
    }

    @Test
    void aClassMissingOnTheMembersFailsWithMissingClassException() throws Exception {
        @SuppressWarnings("unchecked")
        Callable<String> task = (Callable<String>) new OnlyHereLoader().loadClass("OnlyHere")
                .getConstructor().newInstance();
        assertEquals("ran", task.call());
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> pool.submit(task).get(60, TimeUnit.SECONDS));
        MissingClassException missing = assertInstanceOf(MissingClassException.class, e.getCause());
        assertEquals("OnlyHere", missing.className());
        assertTrue(cluster.members().contains(missing.member()), missing.member());
        assertEquals(2, pool.applyAsync((Integer x) -> x + 1, 1).get(60, TimeUnit.SECONDS)); // still fine
    }

    @Test
    void imapOverAnEndlessInputTakesInputOnlyAsResultsAreConsumed() throws Exception {
        AtomicInteger taken = new AtomicInteger();
        Iterable<Integer> endless = () -> new Iterator<>() {
            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Integer next() {
                return taken.getAndIncrement();
            }
        };
        int window = Math.max(16, ClusterPool.IMAP_TASKS_PER_THREAD * pool.parallelism());
        try (ProcessPool.ResultIterator<Integer> it = pool.imap((Integer x) -> 2 * x, endless, 2)) {
            for (int i = 0; i < 100; i++) {
                assertEquals(2 * i, it.next());
                int consumed = i + 1; // in flight: the window, plus the task being returned
                assertTrue(taken.get() - consumed <= (window + 1) * 2, () -> "taken " + taken.get());
            }
        }
        int afterClose = taken.get();
        Thread.sleep(50);
        assertEquals(afterClose, taken.get());
    }

    @Test
    void imapUnorderedReturnsEveryResultOnce() throws Exception {
        Set<Integer> seen = new HashSet<>();
        try (ProcessPool.ResultIterator<Integer> it = pool.imapUnordered((Integer x) -> x + 1000,
                IntStream.range(0, 50).boxed().toList())) {
            while (it.hasNext()) {
                assertTrue(seen.add(it.next()));
            }
        }
        assertEquals(IntStream.range(1000, 1050).boxed().collect(java.util.stream.Collectors.toSet()), seen);
    }

    @Test
    void imapReportsAFailedTaskAndGoesOn() {
        try (ProcessPool.ResultIterator<Integer> it = pool.imap((Integer x) -> 10 / x, List.of(1, 0, 2))) {
            assertEquals(10, it.next());
            CompletionException e = assertThrows(CompletionException.class, it::next);
            assertInstanceOf(RemoteTaskException.class, e.getCause());
            assertEquals(5, it.next());
            assertFalse(it.hasNext());
        }
    }

    @Test
    void aClosedPoolRefusesTasksAndLeavesTheClusterRunning() throws Exception {
        ClusterPool own = cluster.pool();
        CompletableFuture<Integer> f = own.applyAsync((Integer x) -> {
            Thread.sleep(200);
            return x;
        }, 7);
        own.close(); // drains
        assertEquals(7, f.getNow(-1));
        assertTrue(own.isShutdown());
        assertTrue(own.isTerminated());
        assertThrows(RejectedExecutionException.class, () -> own.submit(() -> 1));
        assertThrows(RejectedExecutionException.class, () -> own.map((Integer x) -> x, List.of(1)));
        assertThrows(RejectedExecutionException.class, () -> own.imap((Integer x) -> x, List.of(1)));
        own.close(); // idempotent
        assertEquals(3, cluster.members().size());
        assertEquals(1, pool.applyAsync((Integer x) -> x, 1).get(60, TimeUnit.SECONDS));
    }

    @Test
    void shutdownNowCancelsQueuedAndRunningTasks() throws Exception {
        ClusterPool own = cluster.pool();
        List<CompletableFuture<Integer>> futures = new ArrayList<>();
        for (int i = 0; i < 12; i++) { // 3 members x 2 in flight, the rest queued here
            futures.add(own.applyAsync((Integer x) -> {
                Thread.sleep(60_000);
                return x;
            }, i));
        }
        assertEquals(List.of(), own.shutdownNow());
        for (CompletableFuture<Integer> f : futures) {
            assertTrue(f.isCancelled());
        }
        assertTrue(own.awaitTermination(60, TimeUnit.SECONDS));
        own.close();
    }

    // ------------------------------------------------------------------ queue and dict

    record Job(String name, int size) implements Serializable {
    }

    static final class Opaque implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    @Test
    void aQueueCarriesValuesBetweenClientsInOrder() throws Exception {
        ClusterQueue<Object> q = cluster.queue("q-order");
        try {
            q.put("a");
            q.put(1);
            q.put(new Job("j", 3));
            q.put(new byte[] {1, 2});
            assertEquals(4, q.size());
            assertTrue(q.contains("a"));
            assertEquals("a", q.take());
            assertEquals(1, q.poll());
            assertEquals(new Job("j", 3), q.poll(10, TimeUnit.SECONDS));
            assertEquals(2, ((byte[]) q.take()).length);
            assertNull(q.poll());
            assertNull(q.poll(10, TimeUnit.MILLISECONDS));
            assertThrows(NullPointerException.class, () -> q.put(null));
        } finally {
            q.destroy();
        }
    }

    @Test
    void aBoundedQueueRefusesWhenFullAndIsSharedByName() throws Exception {
        ClusterQueue<String> q = cluster.queue("q-bounded", 2, Codec.forUntrustedPeers());
        try {
            assertTrue(q.offer("x"));
            assertTrue(q.offer("y"));
            assertFalse(q.offer("z"));
            assertFalse(q.offer("z", 10, TimeUnit.MILLISECONDS));
            assertEquals(0, q.remainingCapacity());
            ClusterQueue<String> same = cluster.queue("q-bounded", 2, Codec.forUntrustedPeers());
            List<String> drained = new ArrayList<>();
            assertEquals(2, same.drainTo(drained));
            assertEquals(List.of("x", "y"), drained);
        } finally {
            q.destroy();
        }
    }

    @Test
    void aQueueDecodesThroughItsCodecFilter() throws Exception {
        ClusterQueue<Object> q = cluster.queue("q-filter"); // Codec.forUntrustedPeers()
        try {
            q.put(new Opaque()); // encodes fine
            UncheckedIOException e = assertThrows(UncheckedIOException.class, q::take);
            assertInstanceOf(CodecException.class, e.getCause());
            assertEquals(0, q.size()); // consumed
            ClusterQueue<Object> trusting = cluster.queue("q-filter", 0, Codec.defaults());
            trusting.put(new Opaque());
            assertInstanceOf(Opaque.class, trusting.take());
        } finally {
            q.destroy();
        }
    }

    @Test
    void aDictIsAConcurrentMapKeyedByEncoding() throws Exception {
        ClusterDict<String, Object> d = cluster.dict("d-basic");
        try {
            assertNull(d.put("a", 1));
            assertEquals(1, d.put("a", 2));
            assertEquals(2, d.get("a"));
            assertNull(d.get("missing"));
            assertNull(d.putIfAbsent("b", new Job("x", 1)));
            assertEquals(new Job("x", 1), d.putIfAbsent("b", "other"));
            assertTrue(d.replace("a", 2, 3));
            assertFalse(d.replace("a", 2, 4));
            assertEquals(Map.of("a", 3, "b", new Job("x", 1)), new HashMap<>(d));
            assertTrue(d.containsKey("b"));
            assertTrue(d.containsValue(3));
            assertFalse(d.remove("a", 99));
            assertTrue(d.remove("a", 3));
            assertEquals(1, d.size());
            assertEquals(Set.of("b"), new HashSet<>(d.keySet()));
            d.merge("n", 1, (x, y) -> (Integer) x + (Integer) y);
            d.merge("n", 1, (x, y) -> (Integer) x + (Integer) y);
            assertEquals(2, d.get("n"));
            d.keySet().remove("b");
            assertFalse(d.containsKey("b"));
            assertEquals(d.size(), cluster.<String, Object>dict("d-basic").size()); // same by name
            assertThrows(NullPointerException.class, () -> d.put(null, 1));
            d.put("x", new Opaque()); // encodes; the untrusted-peer filter refuses to decode it
            assertThrows(UncheckedIOException.class, () -> d.get("x"));
        } finally {
            d.destroy();
        }
    }
}
