package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.pool.PoolWorkerLink;
import org.multiprocessing4j.testing.PoolParentMain;
import org.multiprocessing4j.testing.TestJvms;

/**
 * Fault tests: a pool worker killed, exiting or out of memory fails only the tasks it held, is
 * replaced, and every other task completes; the parent's death takes the workers with it.
 */
@Timeout(180)
class ProcessPoolWorkerDeathTest {

    static int spin(int x) {
        long end = System.nanoTime() + 50_000; // 50 µs of work
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        return x;
    }

    @Test
    void sigkillDuringTenThousandTasksFailsOnlyTheTasksTheWorkerHeld() throws Exception {
        int total = 10_000;
        try (ProcessPool pool = ProcessPool.create(2)) {
            try {
                List<CompletableFuture<Integer>> futures = new ArrayList<>(total);
                for (int i = 0; i < total; i++) {
                    futures.add(pool.applyAsync(ProcessPoolWorkerDeathTest::spin, i));
                }
                // Kill one worker once a fifth of the work is done.
                while (futures.get(total / 5).isDone() == false) {
                    Thread.sleep(5);
                }
                int victim = pool.workerPids().get(0);
                ProcessHandle.of(victim).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL
                int ok = 0;
                int died = 0;
                for (int i = 0; i < total; i++) {
                    try {
                        assertEquals(i, futures.get(i).get(60, TimeUnit.SECONDS));
                        ok++;
                    } catch (ExecutionException e) {
                        WorkerDiedException d = assertInstanceOf(WorkerDiedException.class, e.getCause());
                        assertEquals(victim, d.pid());
                        assertEquals(9, d.signal().orElse(0), d.getMessage());
                        assertTrue(d.getMessage().contains("SIGKILL"), d.getMessage());
                        assertEquals(java.util.Optional.of("SIGKILL"), d.signalName());
                        died++;
                    } catch (TimeoutException e) {
                        fail("task " + i + " hangs after a worker was killed");
                    }
                }
                System.out.printf("SIGKILL of one of 2 workers during %d tasks: %d failed with it%n",
                        total, died);
                assertEquals(total, ok + died);
                assertTrue(died <= PoolWorkerLink.MAX_WINDOW, died + " tasks failed");
                assertEquals(7, pool.submit(() -> 7).get(60, TimeUnit.SECONDS), "the pool still works");
                assertTrue(!pool.workerPids().contains(victim));
                assertEquals(2, pool.workerPids().size(), "the worker was replaced");
            } catch (Throwable t) {
                pool.kill();
                throw t;
            }
        }
    }

    @Test
    void systemExitInATaskFailsThatTaskWithTheExitCode() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            CompletableFuture<Integer> exits = pool.submit(() -> {
                System.exit(3);
                return 0;
            });
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> exits.get(60, TimeUnit.SECONDS));
            WorkerDiedException d = assertInstanceOf(WorkerDiedException.class, e.getCause());
            assertEquals(3, d.exitCode().orElse(-1), d.getMessage());
            assertTrue(d.signal().isEmpty());
            assertTrue(d.signalName().isEmpty());
            assertEquals(List.of(0, 2, 4), pool.map(x -> 2 * x, List.of(0, 1, 2)));
        }
    }

    static Object hog() {
        List<long[]> hog = new ArrayList<>();
        while (true) {
            hog.add(new long[1 << 20]);
        }
    }

    @Test
    void outOfMemoryInATaskFailsThatTask() throws Exception {
        try (ProcessPool pool = ProcessPool.builder().processes(1).jvmOptions("-Xmx48m").build()) {
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> pool.submit(ProcessPoolWorkerDeathTest::hog).get(60, TimeUnit.SECONDS));
            RemoteTaskException r = assertInstanceOf(RemoteTaskException.class, e.getCause());
            assertInstanceOf(OutOfMemoryError.class, r.getCause());
            assertEquals(3, pool.submit(() -> 3).get(60, TimeUnit.SECONDS), "the worker goes on");
        }
    }

    @Test
    void aWorkerThatExitsOnOutOfMemoryFailsItsTaskAndIsReplaced() throws Exception {
        try (ProcessPool pool = ProcessPool.builder().processes(1)
                .jvmOptions("-Xmx48m", "-XX:+ExitOnOutOfMemoryError").build()) {
            long before = pool.submit(() -> ProcessHandle.current().pid()).get(60, TimeUnit.SECONDS);
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> pool.submit(ProcessPoolWorkerDeathTest::hog).get(60, TimeUnit.SECONDS));
            WorkerDiedException d = assertInstanceOf(WorkerDiedException.class, e.getCause());
            assertEquals(3, d.exitCode().orElse(-1), d.getMessage()); // the JVM's exit code for it
            long after = pool.submit(() -> ProcessHandle.current().pid()).get(60, TimeUnit.SECONDS);
            assertNotEquals(before, after, "the worker was replaced");
        }
    }

    @Test
    void theParentsDeathTakesEveryWorkerWithIt() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", TestJvms.backendOption(),
                "-cp", System.getProperty("java.class.path"), PoolParentMain.class.getName());
        pb.redirectErrorStream(true);
        Process parent = pb.start();
        List<Integer> workers = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
            StringBuilder all = new StringBuilder();
            for (String line; (line = r.readLine()) != null && !line.equals("ready"); ) {
                all.append(line).append('\n');
                if (line.startsWith("worker ")) {
                    workers.add(Integer.parseInt(line.substring(7)));
                }
            }
            assertEquals(2, workers.size(), all.toString());
            for (int pid : workers) {
                assertTrue(ParentDeathTest.alive(pid), "worker " + pid + " should run before the kill");
            }
            long killedAt = System.nanoTime();
            parent.destroyForcibly(); // SIGKILL: no exit hooks run
            parent.waitFor();
            for (int pid : workers) {
                ParentDeathTest.awaitGone(pid);
            }
            System.out.printf("pool workers gone %.1f ms after their parent's SIGKILL%n",
                    (System.nanoTime() - killedAt) / 1e6);
        } finally {
            parent.destroyForcibly();
            parent.waitFor();
            for (int pid : workers) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
