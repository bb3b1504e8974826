package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.launch.ChildMain;
import org.multiprocessing4j.internal.launch.ForkserverLauncher;
import org.multiprocessing4j.internal.task.TaskLambdas;
import org.multiprocessing4j.testing.ForkserverParentMain;
import org.multiprocessing4j.testing.TestJvms;

/**
 * The {@link ChildProcessTest} contract with the {@code forkserver} start method, plus what is
 * particular to it: hand-off to an idle JVM, refill, descriptors passed over the socket, preload,
 * pools per configuration, and idle JVMs that never outlive their parent.
 */
@Timeout(60)
class ForkserverChildProcessTest extends ChildProcessTest {
    private static final Duration WARM = Duration.ofSeconds(40);

    @Override
    Multiprocessing context() {
        return Multiprocessing.context("forkserver");
    }

    @AfterAll
    static void stopIdleChildren() {
        ForkserverLauncher.INSTANCE.shutdown();
        assertEquals(0, ForkserverLauncher.INSTANCE.idleCount());
    }

    @Test
    void startHandsTheTaskToAWarmIdleJvmAndThePoolRefills() throws Exception {
        Multiprocessing ctx = context();
        assertTrue(ctx.warmUp(WARM));
        List<Integer> idle = ForkserverLauncher.INSTANCE.idlePids();
        int usedPid;
        try (Pipe pipe = Pipe.open(); ChildProcess p = ctx.process(sendPid(pipe.second()))) {
            p.start();
            pipe.second().close();
            assertEquals(p.pid(), pipe.first().recv());
            assertTrue(idle.contains(p.pid()), "started " + p.pid() + ", idle were " + idle);
            usedPid = p.pid();
            p.join();
            assertEquals(OptionalInt.of(0), p.exitCode());
        }
        assertTrue(ctx.warmUp(WARM), "the pool refilled");
        List<Integer> now = ForkserverLauncher.INSTANCE.idlePids();
        assertFalse(now.isEmpty());
        assertFalse(now.contains(usedPid), "the used JVM is not idle again: " + now);
    }

    private static Task sendPid(Connection c) {
        return () -> c.send(ChildProcess.currentProcess().pid());
    }

    @Test
    void idleJvmsStartedAfterAHandOffLinkTheClassTheTaskCameFrom() throws Exception {
        Multiprocessing ctx = context();
        assertTrue(ctx.warmUp(WARM));
        try (ChildProcess p = ctx.process(() -> { })) {
            p.start();
            p.join();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        String wanted = ForkserverChildProcessTest.class.getName();
        for (;;) {
            assertTrue(ctx.warmUp(WARM));
            for (int pid : ForkserverLauncher.INSTANCE.idlePids()) {
                // the classes after --link (earlier tasks' classes may come first)
                List<String> args = List.of(java.nio.file.Files.readString(
                        Path.of("/proc/" + pid + "/cmdline")).split("\0"));
                int link = args.indexOf(ChildMain.LEARNED);
                int lambdas = args.indexOf(ChildMain.LEARNED_LAMBDAS);
                if (link >= 0 && args.subList(link, lambdas > link ? lambdas : args.size())
                        .contains(wanted)) {
                    return;
                }
            }
            assertTrue(System.nanoTime() < deadline, "no idle JVM links the task's class");
            ForkserverLauncher.INSTANCE.shutdown(); // those idle before the hand-off: replace them
        }
    }

    /** Where a task's lambda comes from; records in which process it was initialized. */
    static final class LambdaHost {
        static final String INITIALIZED_IN = ChildProcess.currentProcess().name();

        private LambdaHost() {
        }

        static Task task(Connection c) {
            return () -> c.send(INITIALIZED_IN + " " + ChildProcess.currentProcess().name() + " "
                    + TaskLambdas.prelinked(LambdaHost.class));
        }
    }

    @Test
    void idleJvmsLinkTheLambdaOfRecentTasksButDoNotInitializeItsClassBeforeTheHandOff()
            throws Exception {
        ForkserverLauncher.INSTANCE.shutdown(); // only this context's pool refills from here on
        Multiprocessing ctx = context();
        assertTrue(ctx.warmUp(WARM));
        try (Pipe pipe = Pipe.open(); ChildProcess p = ctx.process(LambdaHost.task(pipe.second()))) {
            p.start();
            assertEquals(p.name() + " " + p.name() + " false", pipe.first().recv());
            p.join();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        String wanted = "\0" + LambdaHost.class.getName().replace('.', '/') + "|";
        for (;;) {
            assertTrue(ctx.warmUp(WARM));
            List<Integer> linked = new ArrayList<>();
            for (int pid : ForkserverLauncher.INSTANCE.idlePids()) {
                String cmdline = java.nio.file.Files.readString(Path.of("/proc/" + pid + "/cmdline"));
                if (cmdline.contains("\0" + ChildMain.LEARNED_LAMBDAS + "\0") && cmdline.contains(wanted)) {
                    linked.add(pid);
                }
            }
            if (!linked.isEmpty() && linked.equals(ForkserverLauncher.INSTANCE.idlePids())) {
                break;
            }
            if (System.nanoTime() - deadline > 0) {
                StringBuilder seen = new StringBuilder();
                for (int pid : ForkserverLauncher.INSTANCE.idlePids()) {
                    seen.append('\n').append(java.nio.file.Files.readString(
                            Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' '));
                }
                throw new AssertionError("no idle JVM links the task's lambda; idle: " + seen);
            }
            ForkserverLauncher.INSTANCE.shutdown(); // those idle before the hand-off: replace them
        }
        List<Integer> linked = ForkserverLauncher.INSTANCE.idlePids();
        try (Pipe pipe = Pipe.open(); ChildProcess p = ctx.process(LambdaHost.task(pipe.second()))) {
            p.start();
            // linked ahead, yet initialized in the child that ran the task, after it became it
            assertEquals(p.name() + " " + p.name() + " true", pipe.first().recv());
            assertTrue(linked.contains(p.pid()), p.pid() + " was not one of " + linked);
            p.join();
            assertEquals(OptionalInt.of(0), p.exitCode());
        }
    }

    @Test
    void aTaskLargerThanTheHandOffBufferArrivesWhole() throws Exception {
        assertTrue(context().warmUp(WARM));
        String big = "x".repeat(150_000) + "end";          // compact form, > 64 KiB
        byte[] bytes = new byte[200_000];                    // Java serialization, > 64 KiB
        bytes[199_999] = 42;
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            try (ChildProcess p = process(() -> c.send(big.length() + ":" + big.endsWith("end")
                    + ":" + bytes[199_999]))) {
                p.start();
                assertEquals("150003:true:42", pipe.first().recv());
                p.join();
                assertEquals(OptionalInt.of(0), p.exitCode());
            }
            try (ChildProcess p = process(() -> c.send(big.hashCode()))) {
                p.start();
                assertEquals(big.hashCode(), pipe.first().recv());
                p.join();
            }
        }
    }

    @Test
    void startsWithoutAnIdleJvmAsFastAsSpawn() throws Exception {
        ForkserverLauncher.INSTANCE.shutdown(); // nothing idle: start() starts one itself
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(sendPid(pipe.second()))) {
            p.start();
            pipe.second().close();
            assertEquals(p.pid(), pipe.first().recv());
            p.join();
            assertEquals(OptionalInt.of(0), p.exitCode());
        }
    }

    /** Keeps an idle JVM that preloads it warming up for a minute: it is never warm in a test. */
    static final class SlowToWarm {
        static {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private SlowToWarm() {
        }
    }

    /**
     * A start that finds only idle JVMs still warming up spawns its child instead of handing
     * the task to one of them (the task would wait for the warm-up, here a minute), and the pool
     * goes on warming them.
     */
    @Test
    @Timeout(120)
    void aStartNeverWaitsForAnIdleJvmThatIsStillWarmingUp() throws Exception {
        ForkserverLauncher.INSTANCE.shutdown();
        Multiprocessing ctx = context().withPreload(SlowToWarm.class.getName());
        assertFalse(ctx.warmUp(Duration.ofMillis(500)), "an idle JVM of this context got warm");
        long deadline = System.nanoTime() + WARM.toNanos();
        while (ForkserverLauncher.INSTANCE.idleCount() == 0) { // started, not yet in the pool
            assertTrue(System.nanoTime() < deadline, "no idle JVM was started");
            Thread.sleep(10);
        }
        try (Pipe pipe = Pipe.open()) {
            for (int i = 0; i < 2; i++) {
                List<Integer> warming = ForkserverLauncher.INSTANCE.idlePids();
                assertFalse(warming.isEmpty(), "no idle JVM was being warmed up");
                long spawnsBefore = ForkserverLauncher.INSTANCE.spawns();
                long handOffsBefore = ForkserverLauncher.INSTANCE.handOffs();
                try (ChildProcess p = ctx.process(sendPid(pipe.second()))) {
                    p.start();
                    assertEquals(p.pid(), pipe.first().recv());
                    assertFalse(warming.contains(p.pid()), p.pid() + " was warming up: " + warming);
                    assertEquals(spawnsBefore + 1, ForkserverLauncher.INSTANCE.spawns());
                    assertEquals(handOffsBefore, ForkserverLauncher.INSTANCE.handOffs());
                    p.join();
                    assertEquals(OptionalInt.of(0), p.exitCode());
                }
                assertTrue(ForkserverLauncher.INSTANCE.idlePids().containsAll(warming),
                        "the warming JVMs are still idle");
            }
        } finally {
            ForkserverLauncher.INSTANCE.shutdown();
        }
    }

    /**
     * Starts that come faster than an idle JVM gets warm grow the idle set to the context's
     * budget, and never beyond it; those idle JVMs then serve starts by hand-off.
     */
    @Test
    @Timeout(120)
    void theIdleSetFollowsTheRateOfStartsWithinTheBudget() throws Exception {
        ForkserverLauncher.INSTANCE.shutdown();
        Multiprocessing ctx = context().withIdleChildren(1).withMaxIdleChildren(2);
        assertEquals(2, ctx.maxIdleChildren());
        assertTrue(ctx.warmUp(WARM));
        List<ChildProcess> burst = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) { // back to back: faster than any JVM gets warm
                ChildProcess p = ctx.process(() -> { });
                burst.add(p);
                p.start();
            }
            long deadline = System.nanoTime() + WARM.toNanos();
            while (ForkserverLauncher.INSTANCE.warmCount() < 2) {
                assertTrue(System.nanoTime() < deadline, "the idle set did not grow to 2 warm: "
                        + ForkserverLauncher.INSTANCE.warmCount() + " warm of "
                        + ForkserverLauncher.INSTANCE.idleCount());
                Thread.sleep(10);
            }
            assertEquals(2, ForkserverLauncher.INSTANCE.idleCount());
            assertEquals(2, ForkserverLauncher.INSTANCE.peakIdle(), "beyond the budget of 2");
            long handOffsBefore = ForkserverLauncher.INSTANCE.handOffs();
            for (int i = 0; i < 2; i++) {
                ChildProcess p = ctx.process(() -> { });
                burst.add(p);
                p.start();
            }
            assertEquals(handOffsBefore + 2, ForkserverLauncher.INSTANCE.handOffs());
            assertTrue(ForkserverLauncher.INSTANCE.peakIdle() <= 2,
                    "peak " + ForkserverLauncher.INSTANCE.peakIdle());
        } finally {
            for (ChildProcess p : burst) {
                p.join();
                p.close();
            }
            ForkserverLauncher.INSTANCE.shutdown();
        }
    }

    @Test
    void aBudgetBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> context().withMaxIdleChildren(0));
        assertEquals(3, context().withIdleChildren(3).withMaxIdleChildren(1).maxIdleChildren());
    }

    @Test
    void connectionsAndSharedMemoryCapturedByTheTaskTravelOverTheSocket() throws Exception {
        assertTrue(context().warmUp(WARM));
        try (Pipe a = Pipe.open(); Pipe b = Pipe.open(false); SharedMemory shm = SharedMemory.create(64)) {
            Connection x = a.second();
            Connection y = b.second();
            SharedMemory m = shm;
            try (ChildProcess p = process(() -> {
                m.segment().set(ValueLayout.JAVA_LONG, 8, 42L);
                x.send("duplex");
                y.send("one-way");
                x.send(x.recv()); // echo: the duplex end works both ways
            })) {
                p.start();
                assertEquals("duplex", a.first().recv());
                assertEquals("one-way", b.first().recv());
                a.first().send("echo");
                assertEquals("echo", a.first().recv());
                p.join();
                assertEquals(OptionalInt.of(0), p.exitCode(), () -> p.failure().toString());
                assertEquals(42L, shm.segment().get(ValueLayout.JAVA_LONG, 8));
            }
        }
    }

    /** Loaded by idle JVMs of a context that preloads it; records that it was. */
    static final class Preloaded {
        static {
            System.setProperty("mp4j.test.preloaded", "yes");
        }

        private Preloaded() {
        }
    }

    @Test
    void preloadClassesAreInitializedBeforeTheHandOffAndMissingOnesAreSkipped() throws Exception {
        Multiprocessing ctx = context().withPreload(Preloaded.class.getName(), "no.such.Clazz");
        assertEquals(List.of(Preloaded.class.getName(), "no.such.Clazz"), ctx.preload());
        assertTrue(ctx.warmUp(WARM));
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            try (ChildProcess p = ctx.process(() -> c.send(String.valueOf(
                    System.getProperty("mp4j.test.preloaded"))))) {
                p.start();
                assertEquals("yes", pipe.first().recv());
                p.join();
            }
        }
    }

    @Test
    void childrenGetTheJvmOptionsOfTheirOwnContext() throws Exception {
        Multiprocessing plain = context();
        Multiprocessing tuned = context().withJvmOptions("-Dmp4j.test.option=tuned");
        assertTrue(plain.warmUp(WARM));
        assertTrue(tuned.warmUp(WARM));
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            for (Multiprocessing ctx : List.of(plain, tuned, plain)) {
                try (ChildProcess p = ctx.process(() -> c.send(String.valueOf(
                        System.getProperty("mp4j.test.option"))))) {
                    p.start();
                    assertEquals(ctx == tuned ? "tuned" : "null", pipe.first().recv());
                    p.join();
                }
            }
        }
    }

    @Test
    void anIdleJvmKeepsTheChildJvmOptionsPropertyOfItsPoolWhenThePropertyChanges()
            throws Exception {
        String property = "mp4j.childJvmOptions";
        String before = System.getProperty(property);
        Multiprocessing ctx = context();
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            System.setProperty(property, "-Dmp4j.test.extra=x");
            assertTrue(ctx.warmUp(WARM));
            List<Integer> idleBefore = ForkserverLauncher.INSTANCE.idlePids();
            try (ChildProcess p = ctx.process(() -> c.send(System.getProperty("mp4j.test.extra")))) {
                p.start(); // the pool of "x" refills right after this hand-off
                System.setProperty(property, "-Dmp4j.test.extra=y");
                assertEquals("x", pipe.first().recv());
                p.join();
            }
            // the refill of the "x" pool runs while the property says "y": wait until it has
            long deadline = System.nanoTime() + WARM.toNanos();
            while (!refilledWith(idleBefore, "\0-Dmp4j.test.extra=")) {
                assertTrue(System.nanoTime() < deadline, "the pool did not refill");
                Thread.sleep(10);
            }
            System.setProperty(property, "-Dmp4j.test.extra=x");
            assertTrue(ctx.warmUp(WARM));
            try (ChildProcess p = ctx.process(() -> c.send(System.getProperty("mp4j.test.extra")))) {
                p.start();
                assertEquals("x", pipe.first().recv());
                p.join();
            }
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
    }

    /** {@return whether an idle JVM not in {@code before} has {@code argument} in its command line} */
    private static boolean refilledWith(List<Integer> before, String argument) throws Exception {
        for (int pid : ForkserverLauncher.INSTANCE.idlePids()) {
            if (!before.contains(pid)) {
                try {
                    if (java.nio.file.Files.readString(Path.of("/proc/" + pid + "/cmdline"))
                            .contains(argument)) {
                        return true;
                    }
                } catch (java.io.IOException gone) {
                    // died meanwhile: not a refill that counts
                }
            }
        }
        return false;
    }

    @Test
    void anIdleJvmKilledWhileIdleIsReplacedNotUsed() throws Exception {
        assertTrue(context().warmUp(WARM));
        List<Integer> killed = ForkserverLauncher.INSTANCE.idlePids();
        for (int pid : killed) {
            Platform().stop(pid, org.multiprocessing4j.platform.Platform.Stop.KILL);
        }
        for (int pid : killed) {
            awaitReapable(pid); // a zombie now: the pool must notice, not hand it a task
        }
        try (Pipe pipe = Pipe.open(); ChildProcess p = process(sendPid(pipe.second()))) {
            p.start();
            pipe.second().close(); // the child has its own copy: a failure shows as end of stream
            assertEquals(p.pid(), pipe.first().recv());
            p.join();
            assertEquals(OptionalInt.of(0), p.exitCode());
        }
    }

    /**
     * Waits until every thread of a SIGKILLed process has exited: its main thread shows as a
     * zombie while the others are still exiting, and only then can its parent reap it.
     */
    private static void awaitReapable(int pid) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Path tasks = Path.of("/proc/" + pid + "/task");
        for (;;) {
            try (var s = java.nio.file.Files.list(tasks)) {
                if (s.count() <= 1 && !ParentDeathTest.alive(pid)) {
                    return;
                }
            } catch (java.io.IOException | java.io.UncheckedIOException gone) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, pid + " did not die");
            Thread.sleep(5);
        }
    }

    private static org.multiprocessing4j.platform.Platform Platform() {
        return org.multiprocessing4j.platform.Platform.current();
    }

    /**
     * A configuration whose JVMs cannot start: each idle JVM the pool starts for it exits at
     * once, and is reaped then — not left a zombie in the pool until its next use.
     */
    @Test
    void aPoolWhoseJvmsCannotStartLeavesNoZombie() throws Exception {
        ForkserverLauncher.INSTANCE.shutdown(); // no other pool has idle JVMs from here on
        Multiprocessing broken = context().withJvmOptions("-XX:+NoSuchOptionForMp4jTests");
        long refillsBefore = ForkserverLauncher.INSTANCE.refills();
        try (ChildProcess p = broken.process(() -> { })) {
            try {
                p.start();
                p.join();
                assertNotEquals(OptionalInt.of(0), p.exitCode());
            } catch (java.io.IOException cannotStart) {
                // every JVM it tried died before it could take the task: as good
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (;;) {
            List<Long> zombies = zombieChildren();
            if (ForkserverLauncher.INSTANCE.refills() > refillsBefore && zombies.isEmpty()
                    && ForkserverLauncher.INSTANCE.idleCount() == 0) {
                break;
            }
            assertTrue(System.nanoTime() < deadline, "after the refill: zombies " + zombies
                    + ", idle " + ForkserverLauncher.INSTANCE.idlePids());
            Thread.sleep(10);
        }
    }

    /** {@return the children of this JVM that have exited and wait to be reaped} */
    static List<Long> zombieChildren() throws java.io.IOException {
        long self = ProcessHandle.current().pid();
        List<Long> out = new ArrayList<>();
        try (var procs = java.nio.file.Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                String stat;
                try {
                    stat = java.nio.file.Files.readString(proc.resolve("stat"));
                } catch (java.io.IOException gone) {
                    continue;
                }
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                if (f[0].equals("Z") && Long.parseLong(f[1]) == self) {
                    out.add(Long.parseLong(proc.getFileName().toString()));
                }
            }
        }
        return out;
    }

    @Test
    void shutdownLeavesNoIdleJvm() throws Exception {
        assertTrue(context().withIdleChildren(2).warmUp(WARM));
        List<Integer> idle = ForkserverLauncher.INSTANCE.idlePids();
        assertTrue(idle.size() >= 2, idle.toString());
        ForkserverLauncher.INSTANCE.shutdown();
        assertEquals(0, ForkserverLauncher.INSTANCE.idleCount());
        for (int pid : idle) {
            assertFalse(ProcessHandle.of(pid).isPresent(), "idle JVM " + pid + " survived");
        }
    }

    @Test
    void idleJvmsAndChildrenDieWhenTheParentIsKilled() throws Exception {
        List<Integer> pids = runParent("sleep", true);
        assertTrue(pids.size() >= 3, "child and two idle JVMs: " + pids);
        for (int pid : pids) {
            ParentDeathTest.awaitGone(pid);
        }
    }

    @Test
    void idleJvmsAreShutDownWhenTheParentExits() throws Exception {
        List<Integer> pids = runParent("exit", false);
        assertTrue(pids.size() >= 3, "child and two idle JVMs: " + pids);
        for (int pid : pids) {
            ParentDeathTest.awaitGone(pid);
        }
    }

    /** Runs {@link ForkserverParentMain}; kills it after it printed its pids if {@code kill}. */
    private static List<Integer> runParent(String mode, boolean kill) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", TestJvms.backendOption(),
                "-cp", System.getProperty("java.class.path"),
                ForkserverParentMain.class.getName(), mode);
        pb.redirectErrorStream(true);
        Process parent = pb.start();
        List<Integer> pids = new ArrayList<>();
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                all.append(line).append('\n');
                String[] f = line.split(" ");
                if (f.length == 2 && (f[0].equals("child") || f[0].equals("idle"))) {
                    pids.add(Integer.parseInt(f[1]));
                }
                if (line.equals("ready")) {
                    for (int pid : pids) {
                        assertTrue(ParentDeathTest.alive(pid), pid + " runs before the parent ends");
                    }
                    if (kill) {
                        parent.destroyForcibly(); // SIGKILL: no shutdown hook runs
                        break; // destroying the process closed its streams
                    }
                }
            }
            assertTrue(parent.waitFor(40, TimeUnit.SECONDS), "the parent program did not exit");
            assertTrue(all.toString().contains("ready"), all.toString());
            if (!kill) {
                assertEquals(0, parent.exitValue(), all.toString());
            }
        } finally {
            parent.destroyForcibly();
            parent.waitFor();
        }
        return pids;
    }

    @Test
    void setStartMethodOnceOrWithForce() {
        try {
            Multiprocessing.setStartMethod("forkserver");
            assertEquals("forkserver", Multiprocessing.context().startMethod());
            IllegalStateException twice = assertThrows(IllegalStateException.class,
                    () -> Multiprocessing.setStartMethod("spawn"));
            assertTrue(twice.getMessage().contains("forkserver"), twice.getMessage());
            Multiprocessing.setStartMethod("spawn", true);
            assertEquals("spawn", Multiprocessing.context().startMethod());
            assertThrows(UnsupportedOperationException.class,
                    () -> Multiprocessing.setStartMethod("fork", true));
            assertEquals("spawn", Multiprocessing.context().startMethod());
        } finally {
            Multiprocessing.setStartMethod(null, true);
        }
        assertEquals("spawn", Multiprocessing.context().startMethod());
        assertNotEquals(Multiprocessing.context("spawn"), Multiprocessing.context("forkserver"));
    }
}
