package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.launch.SpawnLauncher;

/**
 * Contract of {@link ChildProcess} across real child JVMs: exit codes as Python reports them,
 * remote exceptions, names, daemons, signals, descriptors and life-cycle errors. Runs with the
 * {@code spawn} start method; {@link ForkserverChildProcessTest} runs the same contract with
 * {@code forkserver}.
 */
@Timeout(60)
class ChildProcessTest {

    /** {@return the context whose start method is under test} */
    Multiprocessing context() {
        return Multiprocessing.context("spawn");
    }

    /** {@return an unstarted child of {@link #context()}} */
    final ChildProcess process(Task task) {
        return context().process(task);
    }

    @Test
    void childJvmsDoNotWaitAtExitForThreadsBlockedInNativeCode() throws Exception {
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(optionValue(pipe.second()))) {
            p.start();
            assertEquals("0", pipe.first().recv());
            p.join();
        }
    }

    private static Task optionValue(Connection c) {
        return () -> c.send(java.util.Arrays.stream(java.nio.file.Files.readString(
                        java.nio.file.Path.of("/proc/self/cmdline")).split("\0"))
                .filter(a -> a.startsWith("-XX:UserThreadWaitAttemptsAtExit="))
                .map(a -> a.substring(a.indexOf('=') + 1)).reduce((x, y) -> y).orElse("unset"));
    }

    @Test
    void taskRunsInAnotherProcessAndNormalReturnGivesExitCodeZero() throws Exception {
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(sendPid(pipe.second()))) {
            assertEquals(OptionalInt.empty(), p.exitCode());
            p.start();
            pipe.second().close();
            Object childPid = pipe.first().recv();
            p.join();
            assertEquals(p.pid(), childPid);
            assertNotEquals(ProcessHandle.current().pid(), (long) p.pid());
            assertEquals(OptionalInt.of(0), p.exitCode());
            assertFalse(p.isAlive());
            assertTrue(p.failure().isEmpty());
        }
    }

    private static Task sendPid(Connection c) {
        return () -> c.send(ChildProcess.currentProcess().pid());
    }

    @Test
    void uncaughtExceptionGivesExitCodeOneAndTheRemoteStackTrace() throws Exception {
        try (ChildProcess p = process(() -> failDeepInside("boom"))) {
            p.start();
            p.join();
            assertEquals(OptionalInt.of(1), p.exitCode());
            RemoteTaskException failure = p.failure().orElseThrow();
            assertTrue(failure.getMessage().contains(p.name()), failure.getMessage());
            IllegalStateException cause = assertInstanceOf(IllegalStateException.class, failure.getCause());
            assertEquals("boom", cause.getMessage());
            assertTrue(List.of(cause.getStackTrace()).stream()
                    .anyMatch(e -> e.getMethodName().equals("failDeepInside")));
        }
    }

    static void failDeepInside(String message) {
        throw new IllegalStateException(message);
    }

    @Test
    void systemExitValueBecomesTheExitCode() throws Exception {
        try (ChildProcess p = process(() -> System.exit(7))) {
            p.start();
            p.join();
            assertEquals(OptionalInt.of(7), p.exitCode());
            assertTrue(p.failure().isEmpty());
        }
    }

    /**
     * The child's parent watchdog blocks in a native receive; HotSpot's exit waits for threads in
     * native code, so the child must release it while exiting, and the normal exit code stays.
     */
    @Test
    void parentWatchdogEndsWhenTheChildExitsNormally() throws Exception {
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(reportWatchdogAtExit(pipe.second()))) {
            p.start();
            pipe.second().close();
            assertEquals("watchdog found", pipe.first().recv());
            assertEquals("watchdog ended", pipe.first().recv());
            p.join();
            assertEquals(OptionalInt.of(0), p.exitCode());
        }
    }

    private static Task reportWatchdogAtExit(Connection c) {
        return () -> {
            Thread watchdog = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("mp4j-parent-watchdog")).findFirst()
                    .orElseThrow();
            c.send("watchdog found");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    watchdog.join(Duration.ofSeconds(20));
                    c.send(watchdog.isAlive() ? "watchdog still running" : "watchdog ended");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        };
    }

    @Test
    void killedChildReportsMinusNine() throws Exception {
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(sleepAfterReady(pipe.second()))) {
            p.start();
            assertEquals("ready", pipe.first().recv());
            assertTrue(p.isAlive());
            p.kill();
            p.join();
            assertEquals(OptionalInt.of(-9), p.exitCode());
        }
    }

    private static Task sleepAfterReady(Connection c) {
        return () -> {
            c.send("ready");
            Thread.sleep(60_000);
        };
    }

    @Test
    void terminateRunsShutdownHooksAndStillReportsMinusFifteen() throws Exception {
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(cleanupOnExit(pipe.second()))) {
            p.start();
            assertEquals("ready", pipe.first().recv());
            p.terminate();
            p.join();
            assertEquals(OptionalInt.of(-15), p.exitCode());
            assertEquals("cleaned up", pipe.first().recv());
        }
    }

    @Test
    void interruptSendsSigintAndReportsMinusTwo() throws Exception {
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(cleanupOnExit(pipe.second()))) {
            p.start();
            assertEquals("ready", pipe.first().recv());
            p.interrupt();
            p.join();
            assertEquals(OptionalInt.of(-2), p.exitCode());
            assertEquals("cleaned up", pipe.first().recv());
        }
    }

    private static Task cleanupOnExit(Connection c) {
        return () -> {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    c.send("cleaned up");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
            c.send("ready");
            Thread.sleep(60_000);
        };
    }

    @Test
    void joinWithTimeoutReturnsFalseWhileTheChildRuns() throws Exception {
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(sleepAfterReady(pipe.second()))) {
            p.start();
            assertEquals("ready", pipe.first().recv());
            assertFalse(p.join(Duration.ofMillis(100)));
            assertTrue(p.isAlive());
            assertEquals(OptionalInt.empty(), p.exitCode());
            assertTrue(ChildProcess.activeChildren().contains(p));
            p.kill();
            assertTrue(p.join(Duration.ofSeconds(30)));
            assertFalse(ChildProcess.activeChildren().contains(p));
        }
    }

    @Test
    void lifeCycleMisuseThrows() throws Exception {
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(sleepAfterReady(pipe.second()))) {
            assertThrows(IllegalStateException.class, p::pid);
            assertThrows(IllegalStateException.class, p::join);
            p.start();
            assertThrows(IllegalStateException.class, p::start);
            assertThrows(IllegalStateException.class, () -> p.setDaemon(true));
            assertThrows(IllegalStateException.class, () -> p.setName("x"));
            assertEquals("ready", pipe.first().recv());
            IllegalStateException running = assertThrows(IllegalStateException.class, p::close);
            assertTrue(running.getMessage().contains("running"), running.getMessage());
            p.kill();
            p.join();
            p.close();
            p.close(); // harmless
            assertThrows(IllegalStateException.class, p::isAlive);
            assertThrows(IllegalStateException.class, p::join);
            assertThrows(IllegalStateException.class, p::kill);
        }
    }

    @Test
    void nonSerializableTaskIsRejectedAtStartWithoutStartingAProcess() {
        Thread notSerializable = new Thread(() -> { });
        ChildProcess p = process(() -> System.out.println(notSerializable));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::start);
        assertTrue(e.getMessage().contains("java.lang.Thread"), e.getMessage());
        assertThrows(IllegalStateException.class, p::pid); // nothing started
        p.close();
    }

    @Test
    void namesFollowPythonsSchemeInChildrenAndGrandchildren() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            ChildProcess p = process(() -> reportNames(c));
            assertTrue(p.name().matches("Process-\\d+"), p.name());
            try (p) {
                p.start();
                @SuppressWarnings("unchecked")
                Map<String, Object> names = (Map<String, Object>) pipe.first().recv();
                p.join();
                assertEquals(0, p.exitCode().getAsInt());
                assertEquals(p.name(), names.get("self"));
                assertEquals("MainProcess", names.get("parent"));
                assertEquals((int) ProcessHandle.current().pid(), names.get("parentPid"));
                assertEquals(p.name() + ":1", names.get("grandchild"));
            }
        }
        assertEquals("MainProcess", ChildProcess.currentProcess().name());
        assertTrue(ChildProcess.parentProcess().isEmpty());
    }

    static void reportNames(Connection c) throws Exception {
        ChildProcess grandchild = new ChildProcess(() -> { });
        String grandchildName = grandchild.name();
        grandchild.start();
        grandchild.join();
        grandchild.close();
        ProcessInfo parent = ChildProcess.parentProcess().orElseThrow();
        c.send(new java.util.HashMap<>(Map.of("self", ChildProcess.currentProcess().name(),
                "parent", parent.name(), "parentPid", parent.pid(), "grandchild", grandchildName)));
    }

    @Test
    void daemonicChildCannotStartChildren() throws Exception {
        try (ChildProcess p = process(() -> new ChildProcess(() -> { }).start())) {
            p.setDaemon(true);
            p.start();
            p.join();
            assertEquals(OptionalInt.of(1), p.exitCode());
            Throwable cause = p.failure().orElseThrow().getCause();
            assertInstanceOf(IllegalStateException.class, cause);
            assertTrue(cause.getMessage().contains("daemonic"), cause.getMessage());
        }
    }

    @Test
    void sentinelBecomesReadyWhenTheChildEnds() throws Exception {
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(sleepAfterReady(pipe.second()))) {
            p.start();
            assertEquals("ready", pipe.first().recv());
            ChildProcess.Sentinel s = p.sentinel();
            assertTrue(Connection.wait(List.of(s), Duration.ofMillis(50)).isEmpty());
            p.kill();
            assertEquals(List.of(s), Connection.wait(List.of(s), Duration.ofSeconds(30)));
            p.join();
        }
    }

    @Test
    void childInheritsOnlyTheDescriptorsItsTaskCaptured() throws Exception {
        try (Pipe used = Pipe.open(); Pipe unrelated = Pipe.open()) {
            String unrelatedTarget = Files.readSymbolicLink(
                    Path.of("/proc/self/fd/" + unrelated.first().descriptor().handle().value())).toString();
            Connection c = used.second();
            try (ChildProcess p = process(() -> c.send(openDescriptorTargets()))) {
                p.start();
                @SuppressWarnings("unchecked")
                List<String> childFds = (List<String>) used.first().recv();
                p.join();
                assertFalse(childFds.contains(unrelatedTarget), childFds.toString());
                long ipc = childFds.stream().filter(t -> t.startsWith("socket:") || t.startsWith("pipe:"))
                        .count();
                // 0-2 may be pipes (the test runner's), plus fd 3 (bootstrap socket), fd 4 (frame
                // pipe) and the child's own second descriptor of it, and fd 5 (our pipe)
                assertTrue(ipc <= 7, childFds.toString());
            }
        }
    }

    static ArrayList<String> openDescriptorTargets() throws Exception {
        ArrayList<String> out = new ArrayList<>();
        try (var dir = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : dir) {
                try {
                    out.add(Files.readSymbolicLink(p).toString());
                } catch (java.io.IOException e) {
                    // the directory stream's own descriptor
                }
            }
        }
        return out;
    }

    @Test
    void childKilledMidSendLeavesTheParentWithEofNotAHang() throws Exception {
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(sendForever(pipe.second()))) {
            p.start();
            pipe.second().close();
            byte[] first = pipe.first().recvBytes();
            assertEquals(64 * 1024, first.length);
            p.kill();
            p.join();
            assertThrows(EOFException.class, () -> {
                for (;;) {
                    pipe.first().recvBytes();
                }
            });
        }
    }

    private static Task sendForever(Connection c) {
        return () -> {
            byte[] chunk = new byte[64 * 1024];
            for (;;) {
                c.sendBytes(chunk);
            }
        };
    }

    /**
     * A child killed in the middle of its report, whose end of the bootstrap socket another
     * process still holds (here: this JVM, which received a duplicate of it), leaves a partial
     * record and no end of stream: reaping it must not wait for the rest.
     */
    @Test
    void joinIsNotBlockedByAChildKilledMidReportWhoseSocketAnotherProcessHolds() throws Exception {
        org.multiprocessing4j.platform.Platform os = org.multiprocessing4j.platform.Platform.current();
        try (Pipe pipe = Pipe.open(true)) {
            Connection c = pipe.second();
            ChildProcess p = process(() -> handOverBootstrapSocketThenDieMidReport(c));
            org.multiprocessing4j.platform.Handle held = null;
            java.util.concurrent.ExecutorService waiter =
                    java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                p.start();
                try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                    org.multiprocessing4j.platform.Platform.Received r = os.receiveWithHandles(
                            pipe.first().descriptor().handle(), arena.allocate(1), 1);
                    assertEquals(1, r.handles().length, "the child's bootstrap socket");
                    held = r.handles()[0];
                }
                java.util.concurrent.Future<OptionalInt> joined = waiter.submit(() -> {
                    p.join();
                    p.isAlive();
                    return p.exitCode();
                });
                try {
                    assertEquals(OptionalInt.of(-9), joined.get(30, java.util.concurrent.TimeUnit.SECONDS));
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("join() blocked on the partial report of a dead child");
                }
                assertTrue(ChildProcess.activeChildren().isEmpty());
            } finally {
                if (held != null) {
                    os.close(held); // end of stream for a reader still blocked on it
                }
                waiter.shutdown();
                assertTrue(waiter.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS));
                p.close();
            }
        }
    }

    /** Sends its bootstrap socket to the parent, writes half a report and dies. */
    private static void handOverBootstrapSocketThenDieMidReport(Connection c) throws Exception {
        org.multiprocessing4j.platform.Platform os = org.multiprocessing4j.platform.Platform.current();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment one = arena.allocate(1);
            org.multiprocessing4j.platform.Handle boot = os.inheritedHandle(
                    org.multiprocessing4j.internal.launch.ChildMain.BOOTSTRAP_HANDLE);
            os.sendWithHandles(c.descriptor().handle(), one, 1, new org.multiprocessing4j.platform.Handle[] {boot});
            java.lang.foreign.MemorySegment partial = arena.allocate(8);
            partial.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(
                    java.nio.ByteOrder.BIG_ENDIAN), 0, 1000); // a 1000-byte record...
            partial.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 4, SpawnLauncher.REPORT_FAILURE);
            os.writeFully(boot, partial, 8); // ...of which 4 bytes arrive
        }
        os.stop(os.pid(), org.multiprocessing4j.platform.Platform.Stop.KILL);
        Thread.sleep(60_000); // never reached: SIGKILL
    }

    @Test
    void theChildsInheritedDescriptorsAreCloseOnExec() throws Exception {
        try (Pipe pipe = Pipe.open(); Pipe oneWay = Pipe.open(false)) {
            Connection c = pipe.second();
            Connection w = oneWay.second();
            try (ChildProcess p = process(() -> c.send(descriptorFlags(3, (int) c.descriptor().handle().value(),
                    (int) w.descriptor().handle().value())))) {
                p.start();
                String flags = (String) pipe.first().recv();
                p.join();
                assertEquals(OptionalInt.of(0), p.exitCode(), () -> p.failure().toString());
                // O_CLOEXEC is 02000000 in the octal flags of /proc/<pid>/fdinfo
                for (String fd : flags.split(" ")) {
                    String[] kv = fd.split("=");
                    assertTrue((Integer.parseInt(kv[1], 8) & 02000000) != 0,
                            "descriptor " + kv[0] + " of the child is not close-on-exec: " + flags);
                }
            }
        }
    }

    private static String descriptorFlags(int... fds) throws Exception {
        StringBuilder out = new StringBuilder();
        for (int fd : fds) {
            String flags = Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd)).stream()
                    .filter(l -> l.startsWith("flags:")).findFirst().orElseThrow()
                    .substring("flags:".length()).strip();
            out.append(out.isEmpty() ? "" : " ").append(fd).append('=').append(flags);
        }
        return out.toString();
    }

    @Test
    void aChildSeesItsParentAliveWithASentinelThatIsNotReady() throws Exception {
        assertTrue(ChildProcess.parent().isEmpty(), "this library did not start this JVM");
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(reportParent(pipe.second()))) {
            p.start();
            assertEquals(ProcessHandle.current().pid() + " alive=true ready=false same joined=false",
                    pipe.first().recv());
            p.join();
            assertEquals(OptionalInt.of(0), p.exitCode(), () -> p.failure().toString());
        }
    }

    private static Task reportParent(Connection c) {
        return () -> {
            ParentProcess parent = ChildProcess.parent().orElseThrow();
            boolean ready = !Connection.wait(List.of(parent), Duration.ZERO).isEmpty();
            c.send(parent.info().pid() + " alive=" + parent.isAlive() + " ready=" + ready
                    + (parent == ChildProcess.parent().orElseThrow() ? " same" : " another")
                    + " joined=" + parent.join(Duration.ofMillis(20)));
        };
    }

    /**
     * The handle behind {@link ParentProcess} tells a process's end across processes: here on a
     * child of this JVM, since a child's own parent cannot die before it does.
     */
    @Test
    void theParentHandleBecomesReadyWhenItsProcessEnds() throws Exception {
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(sleepAfterReady(pipe.second()))) {
            p.start();
            assertEquals("ready", pipe.first().recv());
            ProcessInfo info = new ProcessInfo(p.name(), p.pid(), false);
            ParentProcess watched = ParentProcess.watching(info);
            ParentProcess notOurParent = ParentProcess.open(info);
            try {
                assertFalse(notOurParent.isAlive(), "a pid that is not our parent is never taken for it");
                assertTrue(watched.isAlive());
                assertFalse(watched.join(Duration.ofMillis(20)));
                p.kill();
                assertTrue(watched.join(Duration.ofSeconds(30)));
                assertFalse(watched.isAlive());
                assertEquals(List.of(watched), Connection.wait(List.of(watched), Duration.ZERO));
            } finally {
                watched.descriptor().close();
                notOurParent.descriptor().close();
            }
            p.join();
        }
    }

    @Test
    void childOutlivesTheThreadThatStartedIt() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            AtomicReference<ChildProcess> started = new AtomicReference<>();
            Thread starter = new Thread(() -> {
                ChildProcess p = process(() -> {
                    c.send("ready");
                    Thread.sleep(500); // outlive the starter thread
                    c.send("still here");
                });
                try {
                    p.start();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                started.set(p);
            });
            starter.start();
            starter.join();
            try (ChildProcess p = started.get()) {
                assertEquals("ready", pipe.first().recv());
                assertEquals("still here", pipe.first().recv());
                p.join();
                assertEquals(OptionalInt.of(0), p.exitCode());
            }
        }
    }

    @Test
    void anOverlongNameIsRejectedAtTheCallThatSetsIt() {
        ChildProcess p = process(() -> { });
        assertThrows(IllegalArgumentException.class, () -> p.setName("x".repeat(70_000)));
        p.close();
    }

    @Test
    void closingAConnectionPassedToAChildLeavesTheChildsCopyWorking() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            Connection x = pipe.first();
            Connection y = pipe.second();
            try (ChildProcess p = process(() -> {
                Thread.sleep(300); // let the parent close its copy while a thread blocks on it
                x.send("still here");
            })) {
                p.start();
                Thread blocked = new Thread(() -> {
                    try {
                        x.recv();
                    } catch (Exception expected) {
                        // end of stream once y closes
                    }
                });
                blocked.start();
                Thread.sleep(50);
                x.close(); // only our copy: Python's close never touches the child's
                assertEquals("still here", y.recv());
                p.join();
                assertEquals(OptionalInt.of(0), p.exitCode(), () -> p.failure().toString());
                y.close();
                blocked.join(30_000);
                assertFalse(blocked.isAlive());
            }
        }
    }

    @Test
    void forkStartMethodIsRefusedWithAnExplanation() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Multiprocessing.context("fork"));
        assertTrue(e.getMessage().contains("spawn"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Multiprocessing.context("vfork"));
        assertEquals("spawn", Multiprocessing.context().startMethod());
    }
}
