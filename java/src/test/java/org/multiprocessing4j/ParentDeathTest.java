package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.multiprocessing4j.testing.ExitSemanticsMain;
import org.multiprocessing4j.testing.TestJvms;

/**
 * Orphans never survive, and a parent that exits normally follows Python's rules.
 */
@Timeout(60)
class ParentDeathTest {

    @Test
    void grandchildrenDieWhenTheirParentIsKilled() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            try (ChildProcess middle = new ChildProcess(() -> startSleepersAndReport(c))) {
                middle.start();
                pipe.second().close();
                int[] grandchildren = (int[]) pipe.first().recv();
                for (int pid : grandchildren) {
                    assertTrue(alive(pid), "grandchild " + pid + " should run before the kill");
                }
                long killedAt = System.nanoTime();
                middle.kill();
                middle.join();
                assertEquals(-9, middle.exitCode().getAsInt());
                for (int pid : grandchildren) {
                    awaitGone(pid);
                }
                System.out.printf("orphans gone %.1f ms after their parent's SIGKILL%n",
                        (System.nanoTime() - killedAt) / 1e6);
            }
        }
    }

    static void startSleepersAndReport(Connection c) throws Exception {
        int[] pids = new int[2];
        for (int i = 0; i < pids.length; i++) {
            ChildProcess p = new ChildProcess(() -> Thread.sleep(600_000));
            p.start();
            pids[i] = p.pid();
        }
        c.send(pids);
        Thread.sleep(600_000);
    }

    /**
     * A spawned child whose exit hangs in a shutdown hook still dies with its parent: the pipe
     * watchdog stands down once the JVM exits, so this is the parent-death signal's (or the posix
     * backend's watchdog's) work, which must outlive the thread that set it up.
     */
    @Test
    void aChildHangingInItsShutdownHookDiesWhenItsParentIsKilled(@TempDir Path dir) throws Exception {
        String marker = dir.resolve("in-hook").toString();
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            try (ChildProcess middle = new ChildProcess(() -> startHangingExiterAndReport(c, marker))) {
                middle.start();
                pipe.second().close();
                int grandchild = (int) pipe.first().recv();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!Files.exists(Path.of(marker))) { // the grandchild is exiting, in its hook
                    assertTrue(System.nanoTime() < deadline, "the grandchild never reached its hook");
                    Thread.sleep(10);
                }
                middle.kill();
                middle.join();
                awaitGone(grandchild);
            }
        }
    }

    static void startHangingExiterAndReport(Connection c, String marker) throws Exception {
        ChildProcess p = new ChildProcess(() -> {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Files.writeString(Path.of(marker), "hook");
                    Thread.sleep(600_000);
                } catch (Exception e) {
                    // ends the hook
                }
            }));
            Thread.sleep(1_500); // the set-up thread has long finished its work
            System.exit(0);
        });
        p.start();
        c.send(p.pid());
        Thread.sleep(600_000);
    }

    @Test
    void normalExitTerminatesDaemonicChildrenAndJoinsTheOthers(@TempDir Path dir) throws Exception {
        Path marker = dir.resolve("worker-finished");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", TestJvms.backendOption(),
                "-cp", System.getProperty("java.class.path"),
                ExitSemanticsMain.class.getName(), marker.toString());
        pb.redirectErrorStream(true);
        Process parent = pb.start();
        Map<String, Integer> pids = new HashMap<>();
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
            assertTrue(parent.waitFor(40, TimeUnit.SECONDS), "the parent program did not exit");
            String line;
            StringBuilder all = new StringBuilder();
            while ((line = r.readLine()) != null) {
                all.append(line).append('\n');
                String[] f = line.split(" ");
                if (f.length == 2 && (f[0].equals("daemon") || f[0].equals("worker"))) {
                    pids.put(f[0], Integer.parseInt(f[1]));
                }
            }
            assertEquals(0, parent.exitValue(), all.toString());
            assertEquals(2, pids.size(), all.toString());
        } finally {
            parent.destroyForcibly();
            parent.waitFor();
        }
        assertEquals("done", Files.readString(marker), "the non-daemonic child was not joined");
        awaitGone(pids.get("daemon"));
        awaitGone(pids.get("worker"));
    }

    /** Alive and not a zombie (an orphan's zombie may wait for a reaper we do not control). */
    static boolean alive(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Bounds the wait so a surviving orphan fails the test instead of hanging it. */
    static void awaitGone(int pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (alive(pid)) {
            if (System.nanoTime() > deadline) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                throw new AssertionError("process " + pid + " survived");
            }
            Thread.sleep(10);
        }
    }
}
