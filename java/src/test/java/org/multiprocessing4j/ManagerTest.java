package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Manager} across real processes: built-in proxies used by children, locks owned per
 * thread, remote exceptions, user-registered types, remote managers served in one process and
 * used from another, and the failure cases — a killed server fails calls at once, a killed client's
 * references are dropped. One manager process is shared by the tests that do not kill it.
 */
@Timeout(120)
class ManagerTest {
    private static Manager shared;

    /** A user type. */
    public interface Counter {
        int increment();

        int value();
    }

    static final class CounterImpl implements Counter {
        private int n;

        @Override
        public synchronized int increment() {
            return ++n;
        }

        @Override
        public synchronized int value() {
            return n;
        }
    }

    @BeforeAll
    static void startManager() throws Exception {
        shared = Manager.builder().register("counter", CounterImpl::new).start();
    }

    @AfterAll
    static void stopManager() {
        shared.close();
        shared.close(); // harmless
    }

    @Test
    void childrenShareADictAListANamespaceAndAValue() throws Exception {
        Map<String, Integer> scores = shared.dict();
        List<String> log = shared.list();
        Map<String, Object> ns = shared.namespace();
        Manager.Value<Integer> total = shared.value(0);
        List<ChildProcess> workers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int n = i;
            workers.add(new ChildProcess(() -> {
                scores.put("worker-" + n, n * n);
                log.add("worker-" + n + " done");
                ns.put("last", n);
            }));
        }
        for (ChildProcess w : workers) {
            w.start();
        }
        for (ChildProcess w : workers) {
            w.join();
            assertEquals(0, w.exitCode().getAsInt(), () -> String.valueOf(w.failure()));
            w.close();
        }
        assertEquals(Map.of("worker-0", 0, "worker-1", 1, "worker-2", 4), new LinkedHashMap<>(scores));
        assertEquals(3, log.size());
        assertTrue(ns.containsKey("last"));
        total.set(scores.values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(5, total.get());
        assertEquals(List.of(0, 1, 4), scores.values().stream().sorted().toList(), "views arrive as copies");
        assertTrue(scores.toString().contains("worker-1=1"), scores.toString());
        assertEquals(scores, scores, "a proxy equals itself");
    }

    @Test
    void aLockProxyExcludesAcrossProcessesAndAQueueProxyCarriesValues() throws Exception {
        Map<String, Integer> counter = shared.dict();
        counter.put("n", 0);
        Lock lock = shared.lock();
        BlockingQueue<String> done = shared.queue();
        List<ChildProcess> workers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            workers.add(new ChildProcess(() -> {
                for (int k = 0; k < 100; k++) {
                    lock.lock();
                    try {
                        counter.put("n", counter.get("n") + 1); // read-modify-write: needs the lock
                    } finally {
                        lock.unlock();
                    }
                }
                done.put(ChildProcess.currentProcess().name());
            }));
        }
        for (ChildProcess w : workers) {
            w.start();
        }
        assertNotNull(done.poll(60, TimeUnit.SECONDS));
        assertNotNull(done.poll(60, TimeUnit.SECONDS));
        for (ChildProcess w : workers) {
            w.join();
            assertEquals(0, w.exitCode().getAsInt(), () -> String.valueOf(w.failure()));
            w.close();
        }
        assertEquals(200, counter.get("n"));
    }

    @Test
    void exceptionsCarryTheServerSideStackTrace() {
        List<String> list = shared.list();
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> list.get(99));
        assertTrue(Arrays.stream(e.getStackTrace()).anyMatch(f -> f.getClassName().contains("ManagerServer")),
                "the trace is the server's: " + Arrays.toString(e.getStackTrace()));
        assertEquals(1, e.getSuppressed().length, "where it was called from is attached");
        List<Object> objects = shared.list();
        assertThrows(IllegalArgumentException.class, () -> objects.add(new NotSerializable()),
                "an argument that cannot be encoded fails at the call");
        objects.add("the connection is still fine");
        assertEquals(1, objects.size());
    }

    private static final class NotSerializable {
    }

    @Test
    void registeredTypesAreCreatedInTheServer() throws Exception {
        Counter c = shared.create("counter", Counter.class);
        ChildProcess p = new ChildProcess(() -> {
            for (int i = 0; i < 10; i++) {
                c.increment();
            }
        });
        try (p) {
            p.start();
            p.join();
            assertEquals(0, p.exitCode().getAsInt(), () -> String.valueOf(p.failure()));
        }
        assertEquals(11, c.increment());
        assertThrows(IllegalArgumentException.class, () -> shared.create("nope", Counter.class));
        assertThrows(IllegalArgumentException.class, () -> shared.create("counter", CounterImpl.class));
        assertThrows(IllegalArgumentException.class, () -> Manager.builder().register("dict", LinkedHashMap::new));
    }

    @Test
    void aRemoteManagerServedHereIsUsedByAnotherProcessByAddress() throws Exception {
        byte[] key = "remote key".getBytes(StandardCharsets.UTF_8);
        LinkedBlockingQueue<String> jobs = new LinkedBlockingQueue<>();
        try (ManagerServer server = Manager.builder()
                .register("jobs", (Manager.Factory<BlockingQueue<String>> & Serializable) () -> jobs)
                .serve(Listener.builder().tcp(0).authkey(key))) {
            java.net.SocketAddress address = server.address();
            try (ChildProcess other = new ChildProcess(() -> {
                try (Manager m = Manager.connect(address, key)) {
                    BlockingQueue<String> q = m.create("jobs", BlockingQueue.class);
                    q.put("job from pid " + ProcessHandle.current().pid());
                }
            })) {
                other.start();
                String job = jobs.poll(60, TimeUnit.SECONDS);
                assertNotNull(job, () -> "child failure: " + other.failure());
                assertEquals("job from pid " + other.pid(), job);
                other.join();
                assertEquals(0, other.exitCode().getAsInt(), () -> String.valueOf(other.failure()));
            }
            assertThrows(AuthenticationException.class,
                    () -> Client.connect(address, "wrong".getBytes()), "the server checks the key");
        }
    }

    @Test
    void aKilledClientsReferencesAreDroppedByTheServer() throws Exception {
        byte[] key = "k".getBytes(StandardCharsets.UTF_8);
        try (ManagerServer server = Manager.builder().serve(Listener.builder().unix().authkey(key));
             SharedEvent created = SharedEvent.create()) {
            java.net.SocketAddress address = server.address();
            try (ChildProcess client = new ChildProcess(() -> {
                Manager m = Manager.connect(address, key);
                Map<String, String> d = m.dict();
                d.put("held", "by a process about to be killed");
                created.set();
                Thread.sleep(60_000);
            })) {
                client.start();
                assertTrue(created.await(60, TimeUnit.SECONDS), () -> "child failure: " + client.failure());
                assertEquals(1, server.objectCount());
                client.kill();
                client.join();
                for (int i = 0; i < 200 && server.objectCount() > 0; i++) {
                    Thread.sleep(25);
                }
                assertEquals(0, server.objectCount(), "the dead client's dict was released");
            }
        }
    }

    /** A user type that holds a resource. */
    public interface Resource {
        boolean isClosed();
    }

    static final class SharedResource implements Resource, AutoCloseable {
        final java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public boolean isClosed() {
            return closes.get() > 0;
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    @Test
    void aSharedSingletonIsClosedOnlyWhenNoClientHoldsItAndOnceAtShutdown() throws Exception {
        byte[] key = "singleton".getBytes(StandardCharsets.UTF_8);
        SharedResource single = new SharedResource();
        ManagerServer server = Manager.builder()
                .register("single", (Manager.Factory<Resource> & Serializable) () -> single)
                .serve(Listener.builder().unix().authkey(key));
        try {
            java.net.SocketAddress address = server.address();
            try (Manager here = Manager.connect(address, key);
                 ChildProcess other = new ChildProcess(() -> {
                try (Manager m = Manager.connect(address, key)) {
                    if (m.create("single", Resource.class).isClosed()) {
                        throw new IllegalStateException("closed while in use");
                    }
                } // that process's reference is dropped here: the object is still ours
            })) {
                Resource mine = here.create("single", Resource.class);
                other.start();
                other.join();
                assertEquals(0, other.exitCode().getAsInt(), () -> String.valueOf(other.failure()));
                for (int i = 0; i < 400 && server.objectCount() > 1; i++) {
                    Thread.sleep(10); // until the server has dropped the other process's reference
                }
                assertEquals(1, server.objectCount());
                assertTrue(!mine.isClosed(), "another client's release must not close an instance we still hold");
            }
        } finally {
            server.close();
        }
        assertEquals(1, single.closes.get(), "closed exactly once, at the latest at shutdown");
    }

    @Test
    void aKilledServerFailsPendingAndLaterCallsInsteadOfHanging() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Manager m = Manager.start()) {
            BlockingQueue<String> q = m.queue();
            Map<String, String> d = m.dict();
            d.put("a", "b");
            Future<String> pending = pool.submit(() -> q.take()); // blocks in the server
            assertThrows(java.util.concurrent.TimeoutException.class, () -> pending.get(200, TimeUnit.MILLISECONDS));
            ProcessHandle.of(m.serverPid().getAsInt()).orElseThrow().destroyForcibly();
            ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(30, TimeUnit.SECONDS));
            assertInstanceOf(ManagerUnavailableException.class, e.getCause());
            assertThrows(ManagerUnavailableException.class, () -> d.get("a"));
            assertThrows(ManagerUnavailableException.class, () -> d.put("c", "d"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void proxiesFailAfterShutdown() throws Exception {
        Manager m = Manager.start();
        List<Integer> l = m.list();
        l.add(1);
        m.shutdown();
        assertThrows(ManagerUnavailableException.class, () -> l.add(2));
        assertThrows(IllegalStateException.class, m::dict);
        m.close();
        assertTrue(m.serverPid().isPresent());
        assertTrue(ProcessHandle.of(m.serverPid().getAsInt()).map(h -> !h.isAlive()).orElse(true),
                "the server process is gone");
    }
}
