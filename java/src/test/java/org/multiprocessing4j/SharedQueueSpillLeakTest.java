package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Records larger than a slot wait in spill segments ({@code /dev/shm/mp4j-q-…}); when every
 * process that had the queue is gone (killed, or closed it), nobody can take them any more, and
 * the segments are removed rather than left in {@code /dev/shm}.
 *
 * <p>Other test JVMs on the machine create spill segments of their own, so the segments of a test
 * are told apart by their content: each record starts with bytes unique to the test.
 */
@Timeout(180)
class SharedQueueSpillLeakTest {
    private static final int RECORDS = 3;
    private static final int RECORD_SIZE = 1 << 20;

    /**
     * Sweeping a dead queue's spill blocks needs to list named memory by prefix and to see who
     * still maps the queue (Linux: {@code /dev/shm} and {@code /proc}); POSIX offers neither,
     * so the posix backend's reaper does not sweep (see its {@code PosixReaper}).
     */
    private static void onlyWhereSpillsAreSwept() {
        String backend = org.multiprocessing4j.platform.Platform.current().backendId();
        org.junit.jupiter.api.Assumptions.assumeTrue(backend.equals("linux"), "the " + backend
                + " backend's reaper cannot list named memory or its users: spills are not swept");
    }

    @Test
    void spilledRecordsOfAQueueWhoseOnlyProcessWasKilledAreRemoved() throws Exception {
        onlyWhereSpillsAreSwept();
        byte[] marker = marker();
        try (SharedEvent put = SharedEvent.create();
             ChildProcess owner = new ChildProcess(() -> {
                 SharedQueue<byte[]> q = SharedQueue.create(); // only this process ever has it
                 for (int i = 0; i < RECORDS; i++) {
                     q.put(record(marker, i));
                 }
                 put.set();
                 Thread.sleep(120_000); // killed with the records in the queue
             })) {
            try {
                owner.start();
                assertTrue(put.await(60, TimeUnit.SECONDS), "the child put its records");
                assertEquals(RECORDS, segmentsWith(marker).size(), "one spill segment per record");
                owner.kill();
                owner.join();
                awaitNoSegmentWith(marker);
            } finally {
                SharedQueueTest.stopAll(List.of(owner));
                removeSegmentsWith(marker);
            }
        }
    }

    @Test
    void spilledRecordsAreRemovedWhenTheLastProcessClosesTheQueueAfterTheProducerWasKilled()
            throws Exception {
        onlyWhereSpillsAreSwept();
        byte[] marker = marker();
        try (SharedEvent put = SharedEvent.create()) {
            SharedQueue<byte[]> q = SharedQueue.create();
            try (ChildProcess producer = new ChildProcess(() -> {
                for (int i = 0; i < RECORDS; i++) {
                    q.put(record(marker, i));
                }
                put.set();
                Thread.sleep(120_000);
            })) {
                try {
                    producer.start();
                    assertTrue(put.await(60, TimeUnit.SECONDS), "the child put its records");
                    producer.kill();
                    producer.join();
                    assertEquals(RECORDS, q.size());
                    assertEquals(RECORDS, segmentsWith(marker).size(), "still takeable: kept");
                    q.close(); // the last process that had the queue: the records are lost now
                    awaitNoSegmentWith(marker);
                } finally {
                    q.close();
                    SharedQueueTest.stopAll(List.of(producer));
                    removeSegmentsWith(marker);
                }
            }
        }
    }

    @Test
    void aKilledProducersSpilledRecordsStayTakeableWhileTheQueueLives() throws Exception {
        byte[] marker = marker();
        try (SharedQueue<byte[]> q = SharedQueue.create(); SharedEvent put = SharedEvent.create();
             ChildProcess producer = new ChildProcess(() -> {
                 for (int i = 0; i < RECORDS; i++) {
                     q.put(record(marker, i));
                 }
                 put.set();
                 Thread.sleep(120_000);
             })) {
            try {
                producer.start();
                assertTrue(put.await(60, TimeUnit.SECONDS), "the child put its records");
                producer.kill();
                producer.join();
                for (int i = 0; i < RECORDS; i++) {
                    assertTrue(Arrays.equals(record(marker, i), q.take()), "record " + i);
                }
                assertEquals(0, segmentsWith(marker).size(), "taken: removed by the consumer");
            } finally {
                SharedQueueTest.stopAll(List.of(producer));
                removeSegmentsWith(marker);
            }
        }
    }

    @Test
    void aNamedQueuesSpilledRecordsStayWhileItsNameExistsThoughNobodyHoldsIt() throws Exception {
        onlyWhereSpillsAreSwept();
        byte[] marker = marker();
        String name = "mp4j-test-spillq-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        SharedQueue<byte[]> q = SharedQueue.builder().name(name).create();
        long inode = (Long) Files.getAttribute(Path.of("/dev/shm", name), "unix:ino");
        Path sweeperDir = Path.of("/tmp", "mp4j-sweep-" + String.format("%016x",
                org.multiprocessing4j.internal.shm.ShmTracker.queueKey(inode, true)));
        boolean unlinked = false;
        try (ChildProcess producer = new ChildProcess(() -> {
            try (SharedQueue<byte[]> mine = SharedQueue.open(name)) {
                for (int i = 0; i < RECORDS; i++) {
                    mine.put(record(marker, i));
                }
            } // closing (and exiting) has the child's tracker start a sweeper for the queue
        })) {
            producer.start();
            producer.join();
            assertEquals(0, producer.exitCode().getAsInt(), () -> String.valueOf(producer.failure()));
            q.close(); // now no process has the queue; only its name keeps the records
            // A sleep that starts after one already running after the close follows a check made
            // with nobody holding the queue: the sweeper saw the name and kept the records.
            long sleep = awaitSweeperSleeping(sweeperDir, -1);
            awaitSweeperSleeping(sweeperDir, sleep);
            try (SharedQueue<byte[]> again = SharedQueue.open(name)) {
                for (int i = 0; i < RECORDS; i++) {
                    assertTrue(Arrays.equals(record(marker, i), again.take()), "record " + i);
                }
                again.unlink();
                unlinked = true;
            }
            assertEquals(0, segmentsWith(marker).size());
        } finally {
            q.close();
            if (!unlinked) {
                q.unlink();
            }
            removeSegmentsWith(marker);
        }
    }

    /**
     * Waits (up to a minute) until the sweeper named in {@code dir} has looked at the queue and
     * decided to wait: it then sleeps in a child {@code sleep} process, other than {@code not}.
     *
     * @return the pid of that {@code sleep}
     */
    private static long awaitSweeperSleeping(Path dir, long not) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        for (;;) {
            try {
                long pid = Long.parseLong(Files.readString(dir.resolve("pid")).trim());
                java.util.Optional<ProcessHandle> sleeping = ProcessHandle.of(pid).stream()
                        .flatMap(ProcessHandle::children)
                        .filter(c -> c.pid() != not)
                        .filter(c -> c.info().command().map(cmd -> cmd.endsWith("/sleep")).orElse(false))
                        .findAny();
                if (sleeping.isPresent()) {
                    return sleeping.get().pid();
                }
            } catch (NoSuchFileException | NumberFormatException e) {
                // not started yet, or writing its pid
            }
            if (System.nanoTime() - deadline > 0) {
                fail("no sweeper waiting for the queue (" + dir + "): the records were "
                        + (segmentsExist(dir) ? "kept" : "removed"));
            }
            Thread.sleep(20); // polling the state
        }
    }

    private static boolean segmentsExist(Path dir) throws IOException {
        String key = dir.getFileName().toString().substring("mp4j-sweep-".length());
        String prefix = org.multiprocessing4j.internal.queue.Spill.prefix(Long.parseUnsignedLong(key, 16));
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/dev/shm"), prefix + "*")) {
            return d.iterator().hasNext();
        }
    }

    private static byte[] marker() {
        byte[] m = new byte[16];
        new Random().nextBytes(m);
        return m;
    }

    static byte[] record(byte[] marker, int i) {
        byte[] r = new byte[RECORD_SIZE];
        System.arraycopy(marker, 0, r, 0, marker.length);
        r[marker.length] = (byte) i;
        return r;
    }

    /** Waits (up to a minute) until no spill segment holds a record starting with {@code marker}. */
    private static void awaitNoSegmentWith(byte[] marker) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        List<Path> left;
        while (!(left = segmentsWith(marker)).isEmpty()) {
            if (System.nanoTime() - deadline > 0) {
                fail("spill segments still in /dev/shm a minute after every process that had the"
                        + " queue was gone: " + left);
            }
            Thread.sleep(50); // polling the state
        }
    }

    /** The spill segments whose record (a codec BYTES record: tag, int32 length) starts with marker. */
    private static List<Path> segmentsWith(byte[] marker) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/dev/shm"), "mp4j-q-*")) {
            for (Path p : dir) {
                try (InputStream in = Files.newInputStream(p)) {
                    byte[] head = in.readNBytes(5 + marker.length);
                    if (head.length == 5 + marker.length
                            && Arrays.equals(head, 5, head.length, marker, 0, marker.length)) {
                        out.add(p);
                    }
                } catch (NoSuchFileException e) {
                    // taken meanwhile
                }
            }
        }
        return out;
    }

    private static void removeSegmentsWith(byte[] marker) throws IOException {
        for (Path p : segmentsWith(marker)) {
            Files.deleteIfExists(p);
        }
    }
}
