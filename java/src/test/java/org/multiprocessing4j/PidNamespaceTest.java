package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.testing.NamespacePeerMain;
import org.multiprocessing4j.testing.TestJvms;

/**
 * Processes that share {@code /dev/shm} but not a PID namespace (containers of one pod,
 * {@code docker --ipc=container:…}, {@code unshare -p}) see each other's pids as meaningless or
 * as someone else: a live owner must never be judged dead for that. The peer runs in
 * {@code unshare -Urpf --mount-proc} (a user and PID namespace of its own, with its own /proc);
 * the tests are skipped where user namespaces are unavailable.
 */
@Timeout(120)
class PidNamespaceTest {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private final List<Peer> peers = new ArrayList<>();

    @BeforeAll
    static void unshareWorks() throws Exception {
        boolean ok;
        try {
            Process p = new ProcessBuilder("unshare", "-Urpf", "--mount-proc", "--kill-child", "true")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            ok = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
            if (!ok) {
                System.err.println("PidNamespaceTest skipped: unshare -Urpf failed: " + out.strip());
            }
        } catch (IOException e) {
            System.err.println("PidNamespaceTest skipped: no unshare (util-linux): " + e.getMessage());
            ok = false;
        }
        assumeTrue(ok, "user and PID namespaces are unavailable (unshare -Urpf --mount-proc)");
    }

    /** A peer JVM in a new user + PID namespace: pid 1 there, a stranger's pid here. */
    private final class Peer implements AutoCloseable {
        final Process process;
        final BufferedReader out;
        final Writer in;

        Peer(String... args) throws IOException {
            // -XX:-UsePerfData: every peer is pid 1 of its namespace, and two at once (two suites on
            // one machine) would fight over /tmp/hsperfdata_<user>/1 and print a warning on stdout
            List<String> cmd = new ArrayList<>(List.of("unshare", "-Urpf", "--mount-proc", "--kill-child",
                    JAVA, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:-UsePerfData",
                    TestJvms.backendOption(), "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), NamespacePeerMain.class.getName()));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            peers.add(this);
        }

        /** The peer's next report (blocks; the class timeout bounds it). */
        String next() throws IOException {
            String line = out.readLine();
            if (line == null) {
                throw new AssertionError("the peer ended without a report");
            }
            return line;
        }

        void cue() throws IOException {
            in.write("go\n");
            in.flush();
        }

        int exit() throws InterruptedException {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the peer did not exit");
            return process.exitValue();
        }

        @Override
        public void close() throws IOException, InterruptedException {
            try {
                in.close();
            } catch (IOException ignored) {
                // already gone
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly(); // unshare --kill-child takes the JVM with it
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    @AfterEach
    void stopPeers() throws IOException, InterruptedException {
        for (Peer p : peers) {
            p.close();
        }
        peers.clear();
    }

    private static String name(String kind) {
        return "mp4j-test-ns-" + kind + "-" + UUID.randomUUID();
    }

    @Test
    void aLockHeldHereIsNotTakenOverFromAnotherPidNamespace() throws Exception {
        String n = name("lock");
        try (SharedLock lock = SharedLock.create(n)) {
            try {
                lock.lock();
                Peer peer = new Peer("lock-try", n);
                assertEquals("got=false", peer.next(), "a live holder was judged dead");
                assertEquals(0, peer.exit());
                assertTrue(lock.isConsistent());
                lock.unlock();
            } finally {
                lock.unlink();
            }
        }
    }

    @Test
    void aLockHeldInAnotherPidNamespaceIsNotTakenOverHere() throws Exception {
        String n = name("lock");
        try (SharedLock lock = SharedLock.create(n)) {
            try {
                Peer peer = new Peer("lock-hold", n);
                assertEquals("held", peer.next());
                assertFalse(lock.tryLock(200, TimeUnit.MILLISECONDS), "a live holder was judged dead");
                peer.cue();
                assertEquals("released", peer.next());
                assertEquals(0, peer.exit());
                assertTrue(lock.tryLock(10, TimeUnit.SECONDS));
                assertTrue(lock.isConsistent());
                lock.unlock();
            } finally {
                lock.unlink();
            }
        }
    }

    @Test
    void aHolderKilledInAnotherPidNamespaceIsTakenOverHere() throws Exception {
        String n = name("lock");
        try (SharedLock lock = SharedLock.create(n)) {
            try {
                Peer peer = new Peer("lock-hold", n);
                assertEquals("held", peer.next());
                peer.process.destroyForcibly(); // unshare --kill-child SIGKILLs the holder's JVM
                peer.process.waitFor(30, TimeUnit.SECONDS);
                assertTrue(lock.tryLock(30, TimeUnit.SECONDS), "the dead holder's lock was not taken over");
                assertFalse(lock.isConsistent(), "a take-over from a dead owner says so");
                lock.markConsistent();
                lock.unlock();
            } finally {
                lock.unlink();
            }
        }
    }

    @Test
    void aReentrantLockIsNotTakenOverAcrossPidNamespacesEitherWay() throws Exception {
        String n = name("rlock");
        try (SharedReentrantLock lock = SharedReentrantLock.create(n)) {
            try {
                lock.lock();
                Peer trier = new Peer("rlock-try", n);
                assertEquals("got=false", trier.next(), "a live holder was judged dead");
                assertEquals(0, trier.exit());
                lock.unlock();

                Peer holder = new Peer("rlock-hold", n);
                assertEquals("held", holder.next());
                assertFalse(lock.tryLock(200, TimeUnit.MILLISECONDS), "a live holder was judged dead");
                holder.cue();
                assertEquals("released", holder.next());
                assertEquals(0, holder.exit());
                assertTrue(lock.tryLock(10, TimeUnit.SECONDS));
                assertTrue(lock.isConsistent());
                lock.unlock();
            } finally {
                lock.unlink();
            }
        }
    }

    @Test
    void aBarrierPartyInAnotherPidNamespaceIsNotJudgedDead() throws Exception {
        String n = name("barrier");
        try (SharedBarrier barrier = SharedBarrier.create(n, 3)) {
            try {
                Peer peer = new Peer("barrier-await", n, "60000");
                assertEquals("opened", peer.next());
                // Wait until the peer is a waiting party (the count of waiting parties is 1).
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (barrier.numberWaiting() < 1) {
                    assertTrue(System.nanoTime() - deadline < 0, "the peer never reached the barrier");
                    Thread.onSpinWait();
                }
                // Long enough for many liveness checks of the peer (every 5 ms), then a timeout.
                assertThrows(TimeoutException.class, () -> barrier.await(300, TimeUnit.MILLISECONDS),
                        "a live party was judged dead (BrokenBarrierException)");
                assertEquals("broken", peer.next()); // our timeout broke it for everyone
                assertEquals(0, peer.exit());
            } finally {
                barrier.unlink();
            }
        }
    }

    @Test
    void aSemaphoreWorksAcrossPidNamespaces() throws Exception {
        String n = name("sem");
        try (SharedSemaphore sem = SharedSemaphore.create(n, 0, false)) {
            try {
                Peer peer = new Peer("sem-acquire-release", n);
                sem.release();
                assertEquals("acquired=true", peer.next());
                assertEquals("released", peer.next());
                assertTrue(sem.tryAcquire(10, TimeUnit.SECONDS));
                assertTrue(sem.tryAcquire(10, TimeUnit.SECONDS));
                assertEquals(0, peer.exit());
            } finally {
                sem.unlink();
            }
        }
    }

    private static final int RECORDS = 3000;

    @Test
    void queueRecordsPutHereAndTakenInAnotherPidNamespaceAreNeitherRecoveredNorLost() throws Exception {
        String n = name("queue");
        try (SharedQueue<byte[]> q = SharedQueue.builder().name(n).capacity(2).create()) {
            try {
                Peer peer = new Peer("queue-take", n, Integer.toString(RECORDS));
                assertEquals("opened", peer.next());
                long sum = 0;
                List<String> failures = new ArrayList<>();
                for (int i = 0; i < RECORDS; i++) {
                    byte[] r = new byte[200];
                    r[0] = (byte) i;
                    sum += r[0] & 0xFF;
                    try {
                        q.put(r);
                    } catch (RuntimeException e) {
                        failures.add(e.toString());
                    }
                }
                assertEquals(List.of(), failures.subList(0, Math.min(3, failures.size())),
                        failures.size() + " puts by a live process failed");
                assertEquals("took " + RECORDS + " sum " + sum, peer.next());
                assertEquals(0, peer.exit());
            } finally {
                q.unlink();
            }
        }
    }

    @Test
    void queueRecordsPutInAnotherPidNamespaceAndTakenHereAreNeitherRecoveredNorLost() throws Exception {
        String n = name("queue");
        try (SharedQueue<byte[]> q = SharedQueue.builder().name(n).capacity(2).create()) {
            try {
                Peer peer = new Peer("queue-put", n, Integer.toString(RECORDS), "200");
                assertEquals("opened", peer.next());
                long sum = 0;
                long expected = 0;
                for (int i = 0; i < RECORDS; i++) {
                    byte[] r = q.poll(30, TimeUnit.SECONDS);
                    assertTrue(r != null, "record " + i + " is missing");
                    sum += r[0] & 0xFF;
                    expected += (byte) i & 0xFF;
                }
                assertEquals("put " + RECORDS + " failed 0", peer.next(), "puts by a live process failed");
                assertEquals(expected, sum);
                assertEquals(0, peer.exit());
            } finally {
                q.unlink();
            }
        }
    }
}
