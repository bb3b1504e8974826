package org.multiprocessing4j.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A member SIGKILLed in the middle of a map: its own cluster, since it loses a member. */
@ExtendWith(NoChildLeft.class)
class ClusterMemberDeathTest {

    @Test
    void aMemberKilledMidMapFailsItsTasksWithMemberLostAndTheOthersGoOn(@TempDir Path dir) throws Exception {
        String marks = dir.toString();
        try (ClusterPool pool = ClusterPool.builder().localMembers(2).threadsPerMember(1).build()) {
            Cluster cluster = pool.cluster();
            Cluster.LocalMember victim = cluster.localMembers().get(0);
            Cluster.LocalMember survivor = cluster.localMembers().get(1);
            CompletableFuture<List<Long>> map = pool.mapAsync((Integer x) -> {
                long pid = ProcessHandle.current().pid();
                Files.createFile(Path.of(marks, pid + "-" + x));
                Thread.sleep(300);
                return pid;
            }, IntStream.range(0, 40).boxed().toList(), 1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!running(dir, victim.pid())) { // wait for the state, never for a duration
                assertTrue(System.nanoTime() < deadline, "no task reached the victim");
                Thread.sleep(5);
            }
            cluster.killLocalMember(0);

            ExecutionException e = assertThrows(ExecutionException.class, () -> map.get(60, TimeUnit.SECONDS));
            MemberLostException lost = assertInstanceOf(MemberLostException.class, e.getCause());
            assertEquals(victim.address(), lost.member());
            assertEquals(victim.pid(), lost.pid().orElseThrow());

            // the pool goes on with the survivor alone
            List<Long> pids = pool.map((Integer x) -> ProcessHandle.current().pid(),
                    IntStream.range(0, 10).boxed().toList(), 1);
            assertEquals(List.of(survivor.pid()), List.copyOf(new HashSet<>(pids)));
        }
        assertTrue(ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive));
    }

    private static boolean running(Path dir, long pid) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith(pid + "-"));
        }
    }
}
