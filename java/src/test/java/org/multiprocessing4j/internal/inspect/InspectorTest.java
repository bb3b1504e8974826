package org.multiprocessing4j.internal.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.SharedLock;
import org.multiprocessing4j.SharedMemory;
import org.multiprocessing4j.SharedQueue;
import org.multiprocessing4j.SharedSemaphore;
import org.multiprocessing4j.internal.RegionHeader;
import org.multiprocessing4j.internal.queue.QueueLayout;
import org.multiprocessing4j.internal.sync.LockLayout;
import org.multiprocessing4j.internal.sync.ProcessToken;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.testing.InspectedProgramMain;
import org.multiprocessing4j.testing.TestJvms;

/**
 * The inspector against real processes: a program that created one named object of each kind is
 * killed outright (with its reaper, as when a whole process group is killed), and the inspector,
 * run in this JVM (a live program with objects of its own), lists, shows and cleans.
 */
@Timeout(120)
class InspectorTest {
    private static final Platform OS = Platform.current();
    private static final String[] DEAD = {"q", "lock", "sem", "ev", "bar", "mem", "list"};

    private static String prefix() {
        return "mp4j-insp-" + HexFormat.of().formatHex(randomBytes());
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[4];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    private record Result(int status, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Inspector.run(InspectorArguments.parse(List.of(args)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The rows of {@code ls} (text) by name: the whitespace-separated columns. */
    private static Map<String, String[]> rows(String ls) {
        Map<String, String[]> rows = new TreeMap<>();
        for (String line : ls.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6 && !f[0].equals("KIND")) {
                rows.put(f[1], f);
            }
        }
        return rows;
    }

    /**
     * Starts {@link InspectedProgramMain} in a process group of its own, waits for it to create
     * everything, then SIGKILLs the whole group at once: the program and its reaper, so that
     * nothing of theirs removes anything (as when a terminal's or a container's processes are
     * killed together).
     */
    private static int createAndKill(String prefix) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("setsid",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", TestJvms.backendOption(),
                "-cp", System.getProperty("java.class.path"), InspectedProgramMain.class.getName(), prefix);
        pb.redirectErrorStream(true);
        Process program = pb.start(); // not a group leader: setsid runs the JVM in its own process
        List<ProcessHandle> group = new ArrayList<>();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(program.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder all = new StringBuilder();
            String line;
            while ((line = r.readLine()) != null && !line.startsWith("ready")) {
                all.append(line).append('\n');
            }
            assertNotNull(line, "the program ended before it was ready:\n" + all);
            group.addAll(program.descendants().toList());
            Process kill = new ProcessBuilder("kill", "-KILL", "--", "-" + program.pid()).inheritIO().start();
            assertEquals(0, kill.waitFor(), "kill of the process group failed");
            assertTrue(program.waitFor(20, TimeUnit.SECONDS), "the program survived SIGKILL");
            return (int) program.pid();
        } finally {
            group.add(program.toHandle());
            for (ProcessHandle h : group) {
                h.destroyForcibly();
                h.onExit().get(20, TimeUnit.SECONDS);
            }
        }
    }

    private static void unlinkAll(String prefix, String... names) {
        for (String n : names) {
            try {
                OS.unlinkNamedMemory("/" + prefix + n);
            } catch (NoSuchFileException gone) {
                // removed by the test
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void objectsOfAKilledProgramAreListedWithADeadCreatorAndCleanRemovesExactlyTheOrphans() throws Exception {
        String prefix = prefix();
        String dead = prefix + "-dead-";
        String live = prefix + "-live-";
        SharedLock liveLock = SharedLock.create(live + "lock");
        SharedQueue<String> liveQueue = SharedQueue.builder().name(live + "q").capacity(4).create();
        try {
            liveLock.lock();
            liveQueue.put("x");
            int pid = createAndKill(dead);
            // a live program that opened one of the dead program's objects keeps it in use
            try (SharedSemaphore openedHere = SharedSemaphore.open(dead + "sem")) {
                Result show = run("show", dead + "lock");
                assertEquals(0, show.status(), show.err());
                assertTrue(show.out().contains("SharedLock"), show.out());
                assertTrue(show.out().contains("pid " + pid), show.out());

                Result ls = run("ls", "--prefix", prefix);
                if (OS.listNamedMemory().isEmpty()) { // posix: says so, lists nothing, removes nothing
                    assertEquals(Inspector.CANNOT_LIST, ls.status(), ls.out());
                    assertTrue(ls.out().contains("cannot list"), ls.out());
                    assertEquals(Inspector.CANNOT_LIST, run("clean", "--prefix", prefix).status());
                    return;
                }
                assertEquals(0, ls.status(), ls.err());
                Map<String, String[]> rows = rows(ls.out());
                assertEquals(DEAD.length + 2, rows.size(), ls.out());
                assertRow(rows, dead + "q", "SharedQueue", pid, "dead", "no", ls.out());
                assertTrue(String.join(" ", rows.get(dead + "q")).contains("depth 3"), ls.out());
                assertRow(rows, dead + "lock", "SharedLock", pid, "dead", "no", ls.out());
                assertRow(rows, dead + "sem", "SharedSemaphore", pid, "dead", "yes", ls.out());
                assertRow(rows, dead + "ev", "SharedEvent", pid, "dead", "no", ls.out());
                assertRow(rows, dead + "bar", "SharedBarrier", pid, "dead", "no", ls.out());
                assertRow(rows, dead + "mem", "SharedMemory", -1, "-", "no", ls.out());
                assertRow(rows, dead + "list", "ShareableList", -1, "-", "no", ls.out());
                int self = ProcessToken.pid(ProcessToken.self());
                assertRow(rows, live + "lock", "SharedLock", self, "alive", "yes", ls.out());
                assertRow(rows, live + "q", "SharedQueue", self, "alive", "yes", ls.out());

                List<String> orphans = List.of(dead + "q", dead + "lock", dead + "ev", dead + "bar");
                Result dry = run("clean", "--dry-run", "--prefix", prefix);
                assertEquals(0, dry.status(), dry.err());
                assertEquals(orphans.stream().sorted().toList(), named(dry.out(), "would remove"), dry.out());
                assertEquals(rows.keySet(), names(prefix), "a dry run removed something");

                Result clean = run("clean", "--prefix", prefix);
                assertEquals(0, clean.status(), clean.err());
                assertEquals(orphans.stream().sorted().toList(), named(clean.out(), "removed"), clean.out());
                List<String> left = new ArrayList<>(rows.keySet());
                left.removeAll(orphans);
                assertEquals(left, List.copyOf(names(prefix)));

                // blocks that record no creator go only with --unmapped, and only when nobody maps them
                Result unmapped = run("clean", "--unmapped", "--prefix", prefix);
                assertEquals(List.of(dead + "list", dead + "mem"), named(unmapped.out(), "removed"), unmapped.out());
                assertEquals(List.of(dead + "sem", live + "lock", live + "q"), List.copyOf(names(prefix)));
            }
        } finally {
            sweepMarksOfTheDead(dead);
            unlinkAll(dead, DEAD);
            liveLock.unlock();
            liveLock.unlink(); // through the objects: this JVM's tracker forgets the names
            liveQueue.unlink();
            liveLock.close();
            liveQueue.close();
        }
    }

    /**
     * Opens and closes the killed program's objects that hold liveness marks, as a survivor does:
     * on a backend whose marks are lock files (posix) the last process to close its mark on a
     * region removes the dead processes' files. Objects already removed are skipped.
     */
    private static void sweepMarksOfTheDead(String dead) {
        for (String n : List.of("q", "lock", "bar")) {
            try {
                AutoCloseable o = switch (n) {
                    case "q" -> SharedQueue.open(dead + n);
                    case "lock" -> SharedLock.open(dead + n);
                    default -> org.multiprocessing4j.SharedBarrier.open(dead + n);
                };
                o.close();
            } catch (NoSuchFileException gone) {
                // cleaned
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    private static java.util.Set<String> names(String prefix) throws IOException {
        java.util.Set<String> s = new java.util.TreeSet<>();
        for (String n : OS.listNamedMemory().orElseThrow()) {
            if (n.startsWith(prefix)) {
                s.add(n);
            }
        }
        return s;
    }

    /** The names on lines "{@code verb} KIND NAME (why)". */
    private static List<String> named(String out, String verb) {
        List<String> names = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.split(" ");
            if (line.startsWith(verb + " ") && line.endsWith(")") && f.length > verb.split(" ").length + 1) {
                names.add(f[verb.split(" ").length + 1]);
            }
        }
        names.sort(null);
        return names;
    }

    private static void assertRow(Map<String, String[]> rows, String name, String kind, int pid,
            String alive, String used, String out) {
        String[] r = rows.get(name);
        assertNotNull(r, name + " not listed:\n" + out);
        assertEquals(kind, r[0], out);
        assertEquals(pid < 0 ? "-" : Integer.toString(pid), r[3], name + ":\n" + out);
        assertEquals(alive, r[4], name + ":\n" + out);
        assertEquals(used, r[5], name + ":\n" + out);
    }

    @Test
    void corruptBlocksAreReportedAndNeverCrashTheInspector() throws Exception {
        String prefix = prefix() + "-bad-";
        List<SharedMemory> blocks = new ArrayList<>();
        try {
            long self = ProcessToken.self();
            // a queue header whose slot count is absurd
            MemorySegment q = block(blocks, prefix + "q", 16384);
            header(q, QueueLayout.MAGIC, QueueLayout.VERSION, 16384, self);
            q.set(ValueLayout.JAVA_INT, QueueLayout.SLOT_COUNT_OFFSET, Integer.MAX_VALUE);
            q.set(ValueLayout.JAVA_INT, QueueLayout.SLOT_SIZE_OFFSET, 64);
            q.set(ValueLayout.JAVA_INT, QueueLayout.PARTICIPANTS_CAPACITY_OFFSET, 4);
            // a lock of another layout version
            header(block(blocks, prefix + "v", 4096), LockLayout.MAGIC_LOCK, 99, 4096, self);
            // a lock whose header claims more than the block holds
            header(block(blocks, prefix + "big", 4096), LockLayout.MAGIC_LOCK, LockLayout.VERSION, 1L << 40, self);
            // a lock's magic in a block too small for any header
            block(blocks, prefix + "tiny", 16).set(ValueLayout.JAVA_INT, 0, LockLayout.MAGIC_LOCK);
            // a ShareableList-looking header with an item count far beyond the block
            block(blocks, prefix + "list", 4096).set(ValueLayout.JAVA_LONG, 0, Long.MAX_VALUE / 2);

            Map<String, String> problems = Map.of(prefix + "q", "slot count", prefix + "v", "layout version 99",
                    prefix + "big", "layout of 1099511627776 bytes", prefix + "tiny", "cannot hold");
            for (Map.Entry<String, String> e : problems.entrySet()) {
                Result show = run("show", e.getKey());
                assertEquals(0, show.status(), show.err());
                assertTrue(show.out().contains("problem") && show.out().contains(e.getValue()), show.out());
                assertTrue(show.out().contains("creator            none recorded"), show.out());
            }
            Result list = run("show", prefix + "list");
            assertEquals(0, list.status(), list.err());
            assertTrue(list.out().contains("kind               SharedMemory"), list.out());
            if (OS.listNamedMemory().isPresent()) {
                Result ls = run("ls", "--prefix", prefix);
                assertEquals(0, ls.status(), ls.err());
                assertEquals(5, rows(ls.out()).size(), ls.out());
                assertTrue(ls.out().contains("unreadable: slot count"), ls.out());
                Result json = run("--json", "ls", "--prefix", prefix);
                assertEquals(0, json.status(), json.err());
                assertTrue(json.out().startsWith("{\"backend\":\"" + OS.backendId() + "\",\"listed\":true"), json.out());
                // a corrupt block records no creator that clean could trust: kept
                assertTrue(run("clean", "--prefix", prefix).out().contains("removed 0 of 5"));
            }
            assertEquals(Inspector.FAILED, run("show", prefix + "none").status());
            assertEquals(Inspector.USAGE, run("show", "a/b").status(), "a name no backend accepts");
        } finally {
            for (SharedMemory m : blocks) {
                m.close();
                m.unlink();
            }
        }
    }

    @Test
    void namesWithControlCharactersAreShownEscapedAndTheJsonStaysValid() throws Exception {
        // A /dev/shm name is any bytes but '/' and NUL: here an escape sequence that would turn
        // the terminal red, a newline that would forge a row, a bell, a right-to-left override
        // and a backslash. The library never creates such a name; anyone else may.
        String prefix = prefix() + "-esc-";
        String nasty = prefix + "red\u001b[31m\nforged row\u0007\u202e\\x";
        String shown = prefix + "red\\x1b[31m\\nforged row\\x07\\u202e\\\\x";
        String inJson = prefix + "red\\u001b[31m\\nforged row\\u0007\\u202e\\\\x";
        Path file = Path.of("/dev/shm", nasty);
        java.nio.file.Files.write(file, new byte[4096]);
        try {
            Result show = run("show", nasty); // not a name the library takes: the message echoes it
            assertEquals(Inspector.USAGE, show.status(), show.err());
            assertTrue(show.err().contains("'" + shown + "'"), show.err());
            assertNothingATerminalActsOn(show.err());
            if (OS.listNamedMemory().isPresent()) {
                Result ls = run("ls", "--prefix", prefix);
                assertEquals(0, ls.status(), ls.err());
                assertEquals(2, ls.out().split("\n").length, "one header, one row:\n" + ls.out());
                assertTrue(ls.out().contains(" " + shown + " "), ls.out());
                assertNothingATerminalActsOn(ls.out());
                Result json = run("--json", "ls", "--prefix", prefix);
                assertEquals(0, json.status(), json.err());
                assertEquals(1, json.out().split("\n").length, json.out());
                assertTrue(json.out().contains("\"name\":\"" + inJson + "\""), json.out());
                assertNothingATerminalActsOn(json.out());
            }
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    /** No control character but the newlines that end lines, no DEL, no format character. */
    private static void assertNothingATerminalActsOn(String out) {
        for (int i = 0; i < out.length(); i++) {
            char c = out.charAt(i);
            boolean bad = c != '\n' && Character.isISOControl(c) || Character.getType(c) == Character.FORMAT;
            assertFalse(bad, String.format("U+%04X at %d in:%n%s", (int) c, i, out));
        }
    }

    private static MemorySegment block(List<SharedMemory> blocks, String name, long size) throws IOException {
        SharedMemory m = SharedMemory.create(name, size);
        blocks.add(m);
        return m.segment();
    }

    private static void header(MemorySegment s, int magic, int version, long layoutSize, long creator) {
        s.set(ValueLayout.JAVA_INT, RegionHeader.VERSION_OFFSET, version);
        s.set(ValueLayout.JAVA_LONG, RegionHeader.LAYOUT_SIZE_OFFSET, layoutSize);
        byte[] id = OS.backendId().getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(id, 0, s, ValueLayout.JAVA_BYTE, RegionHeader.BACKEND_OFFSET, id.length);
        s.set(ValueLayout.JAVA_LONG, RegionHeader.CREATOR_OFFSET, creator);
        s.set(ValueLayout.JAVA_INT, RegionHeader.MAGIC_OFFSET, magic);
    }

    @Test
    void cleanNeverTakesGlibcsNamedSemaphoresOrAnythingInUse() {
        // sem.NAME is how glibc keeps sem_open's semaphores: unused and creator-less by design
        NamedObject sem = new NamedObject("sem.x", "SharedMemory", 32, 1, "", 0, null, false,
                Map.of(), null);
        assertNull(Inspector.orphan(sem, true));
        NamedObject plain = new NamedObject("x", "SharedMemory", 32, 1, "", 0, null, false,
                Map.of(), null);
        assertNotNull(Inspector.orphan(plain, true));
        assertNull(Inspector.orphan(plain, false));
        NamedObject used = new NamedObject("x", "SharedMemory", 32, 1, "", 0, null, true,
                Map.of(), null);
        assertNull(Inspector.orphan(used, true));
    }

    @Test
    void unknownAndMissingArgumentsAreUsageErrors() {
        for (List<String> bad : List.of(List.<String>of(), List.of("frob"), List.of("show"),
                List.of("ls", "--dry-run"), List.of("show", "a", "b"), List.of("ls", "--prefix"),
                List.of("ls", "--nope"), List.of("show", "x", "--prefix", "y"))) {
            try {
                InspectorArguments.parse(bad);
                throw new AssertionError("accepted " + bad);
            } catch (InspectorArguments.UsageException expected) {
                assertFalse(expected.getMessage().isBlank());
            }
        }
        InspectorArguments a = InspectorArguments.parse(List.of("--json", "clean", "--dry-run", "--prefix", "/p"));
        assertEquals(InspectorArguments.Command.CLEAN, a.command());
        assertTrue(a.json() && a.dryRun() && !a.unmapped());
        assertEquals("p", a.prefix());
        assertEquals("n", InspectorArguments.parse(List.of("show", "/n")).name());
        assertNull(InspectorArguments.parse(List.of("ls")).backend());
    }
}
