package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.multiprocessing4j.testing.Pythons;

/**
 * Proves that {@link ShareableList} has CPython's layout: a real Python (each of 3.11, 3.12, 3.13
 * found on this machine) attaches to a list Java created, reads and changes it, and Java attaches
 * to a list Python created, reads and changes it; each side checks what the other wrote.
 *
 * <p>Python's resource tracker: an attaching Python registers the block with its tracker, which
 * in 3.11–3.13 unlinks it when that Python exits (CPython issue 82300; {@code track=False} exists
 * only for {@code SharedMemory} in 3.13, not for {@code ShareableList}). The attaching script
 * therefore unregisters the name right after attaching, and the test asserts that the block
 * survives both the Python and its tracker (their shared output pipe reaches end of file only when
 * both are gone) and that neither wrote a warning.
 *
 * <p>Interpreters are found as in {@code PythonConnectionInteropTest} (on {@code PATH}, then under
 * pyenv's versions, each checked by running it); a missing one skips its test with the reason
 * printed. Every wait is bounded; a Python that outlives {@link #PEER_LIMIT} is killed.
 */
@Timeout(180)
class PythonShareableListInteropTest {
    private static final Duration PEER_LIMIT = Duration.ofSeconds(60);
    private static final HexFormat HEX = HexFormat.of();

    /** One word per item, the same on both sides: "int:42", "str:&lt;utf-8 hex&gt;", "None:". */
    private static final String DESCRIBE = """
            import sys
            from multiprocessing import resource_tracker
            from multiprocessing.shared_memory import ShareableList
            def d(v):
                if v is None: return "None:"
                if isinstance(v, bool): return "bool:%s" % v
                if isinstance(v, int): return "int:%d" % v
                if isinstance(v, float): return "float:%r" % v
                if isinstance(v, str): return "str:" + v.encode("utf-8").hex()
                if isinstance(v, bytes): return "bytes:" + v.hex()
                return "?:" + repr(v)
            def items(sl): return " ".join(d(v) for v in sl)
            """;

    private static final String PYTHON_ATTACHES = DESCRIBE + """
            sl = ShareableList(name=sys.argv[1])
            # Attached, not created: this Python must never unlink it (CPython issue 82300).
            resource_tracker.unregister(sl.shm._name, "shared_memory")
            print("ITEMS " + items(sl), flush=True)
            print("FORMAT " + sl.format, flush=True)
            sl[0] = 43
            sl[2] = -1.5
            sl[3] = False
            sl[5] = "py \\u2713"
            sl[6] = b"\\x7f"
            sl[7] = 12345678901234
            sl[8] = None
            try:
                sl[4] = "x" * 9
                print("NO-ERROR", flush=True)
            except ValueError as e:
                print("VALUE-ERROR " + str(e), flush=True)
            sl.shm.close()
            print("DONE", flush=True)
            """;

    private static final String PYTHON_CREATES = DESCRIBE + """
            sl = ShareableList([1, 2.5, True, "from python \\u2713", b"\\x01\\x02", None,
                                "x" * 10, -(2 ** 63)], name=sys.argv[1])
            try:
                print("READY " + items(sl), flush=True)
                print("FORMAT " + sl.format, flush=True)
                if sys.stdin.readline().strip() != "GO":
                    sys.exit(3)
                print("SEEN " + items(sl), flush=True)
                print("FORMAT " + sl.format, flush=True)
            finally:
                sl.shm.close()
                sl.shm.unlink()
            print("DONE", flush=True)
            """;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"python3.11", "python3.12", "python3.13"})
    void pythonReadsAndChangesAListJavaCreated(String name) throws Exception {
        String python = Pythons.interpreter(name, "PythonShareableListInteropTest");
        List<Object> values = Arrays.asList(42L, -7L, 3.25, true, false, "h\u00e9llo",
                new byte[] {1, (byte) 0xff}, null, "slot", "12345678");
        ShareableList list = ShareableList.create(values);
        try {
            String format = list.format();
            assertEquals("qqdxxxxxxx?xxxxxxx?8s8sxxxxxx?x8s16s", format);
            try (Peer py = Peer.start(python, PYTHON_ATTACHES, list.name())) {
                assertEquals("ITEMS " + describe(values), py.line());
                assertEquals("FORMAT " + format, py.line());
                String error = py.line();
                assertTrue(error.startsWith("VALUE-ERROR") && error.contains("exceeds"), error);
                assertEquals("DONE", py.line());
                String rest = py.finish(); // Python and its tracker are gone
                assertFalse(rest.contains("resource_tracker") || rest.contains("Warning"), rest);
            }
            assertEquals(43L, list.get(0));
            assertEquals(-7L, list.get(1));
            assertEquals(-1.5, list.get(2));
            assertEquals(false, list.get(3));
            assertEquals(false, list.get(4));
            assertEquals("py \u2713", list.get(5));
            assertEquals("7f", HEX.formatHex((byte[]) list.get(6)));
            assertEquals(12345678901234L, list.get(7));
            assertEquals(null, list.get(8));
            assertEquals("12345678", list.get(9));
            // The attaching Python (and its tracker, which has exited) left the name alone.
            assertTrue(Files.exists(Path.of("/dev/shm", list.name())));
            ShareableList.attach(list.name()).close();
        } finally {
            list.close();
            unlinkQuietly(list);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"python3.11", "python3.12", "python3.13"})
    void javaReadsAndChangesAListPythonCreated(String name) throws Exception {
        String python = Pythons.interpreter(name, "PythonShareableListInteropTest");
        String shmName = "mp4j-py-" + HEX.formatHex(java.security.SecureRandom.getSeed(8));
        try (Peer py = Peer.start(python, PYTHON_CREATES, shmName)) {
            List<Object> expected = Arrays.asList(1L, 2.5, true, "from python \u2713",
                    new byte[] {1, 2}, null, "xxxxxxxxxx", Long.MIN_VALUE);
            assertEquals("READY " + describe(expected), py.line());
            String format = py.line();
            try (ShareableList list = ShareableList.attach(shmName)) {
                assertEquals("FORMAT " + list.format(), format);
                assertEquals(expected.size(), list.size());
                for (int i = 0; i < expected.size(); i++) {
                    assertEquals(describe(expected.get(i)), describe(list.get(i)), "item " + i);
                }
                list.set(0, 99L);
                list.set(1, "ja"); // a float slot becomes a str
                list.set(2, null);
                list.set(3, "java \u2713");
                list.set(4, new byte[] {9, 8, 7});
                list.set(5, 0.125);
                list.set(6, true);
                list.set(7, Long.MAX_VALUE);
            }
            py.send("GO");
            List<Object> changed = Arrays.asList(99L, "ja", null, "java \u2713",
                    new byte[] {9, 8, 7}, 0.125, true, Long.MAX_VALUE);
            assertEquals("SEEN " + describe(changed), py.line());
            assertEquals("FORMAT q8sxxxxxx?x16s8sdxxxxxxx?q", py.line());
            assertEquals("DONE", py.line());
            String rest = py.finish();
            assertFalse(rest.contains("resource_tracker") || rest.contains("Warning"), rest);
            assertFalse(Files.exists(Path.of("/dev/shm", shmName)), "Python unlinked its list");
        } finally {
            Files.deleteIfExists(Path.of("/dev/shm", shmName));
        }
    }

    // ------------------------------------------------------------------ helpers

    private static String describe(List<?> values) {
        return values.stream().map(PythonShareableListInteropTest::describe)
                .collect(Collectors.joining(" "));
    }

    private static String describe(Object v) {
        return switch (v) {
            case null -> "None:";
            case Boolean b -> "bool:" + (b ? "True" : "False");
            case Long l -> "int:" + l;
            case Double d -> "float:" + d; // the values used print alike in Java and Python
            case String s -> "str:" + HEX.formatHex(s.getBytes(StandardCharsets.UTF_8));
            case byte[] b -> "bytes:" + HEX.formatHex(b);
            default -> "?:" + v;
        };
    }

    /**
     * A Python running {@code script} with arguments, its stdout and stderr merged into one pipe
     * that a reader thread turns into lines. The pipe ends when Python and every process that
     * inherited it (Python's resource tracker) are gone.
     */
    private static final class Peer implements AutoCloseable {
        private final Process process;
        private final BlockingQueue<Optional<String>> lines = new LinkedBlockingQueue<>();
        private final StringBuilder all = new StringBuilder(); // guarded by itself
        private final Thread reader;

        private Peer(Process process) {
            this.process = process;
            this.reader = Thread.ofPlatform().daemon().name("python-output").start(this::read);
        }

        static Peer start(String python, String script, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(python, "-c", script));
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("PYTHONIOENCODING", "utf-8");
            return new Peer(pb.start());
        }

        private void read() {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (all) {
                        all.append(line).append('\n');
                    }
                    lines.add(Optional.of(line));
                }
            } catch (IOException e) {
                synchronized (all) {
                    all.append("(read failed: ").append(e).append(")\n");
                }
            }
            lines.add(Optional.empty());
        }

        /** {@return the next line} Fails, with everything Python wrote, at end or after the limit. */
        String line() throws InterruptedException {
            Optional<String> l = lines.poll(PEER_LIMIT.toSeconds(), TimeUnit.SECONDS);
            if (l == null || l.isEmpty()) {
                if (l != null) {
                    lines.add(l); // keep the end marker for finish()
                }
                throw new AssertionError("python ended or went silent; output so far:\n" + output());
            }
            return l.get();
        }

        void send(String line) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        /**
         * Waits (bounded) for Python to exit 0 and for the output to end.
         *
         * @return the lines not consumed by {@link #line()}
         */
        String finish() throws InterruptedException, IOException {
            process.getOutputStream().close();
            assertTrue(process.waitFor(PEER_LIMIT.toSeconds(), TimeUnit.SECONDS),
                    () -> "python did not exit; output:\n" + output());
            StringBuilder rest = new StringBuilder();
            for (;;) {
                Optional<String> l = lines.poll(PEER_LIMIT.toSeconds(), TimeUnit.SECONDS);
                assertNotNull(l, () -> "python's output did not end; output:\n" + output());
                if (l.isEmpty()) {
                    break;
                }
                rest.append(l.get()).append('\n');
            }
            assertEquals(0, process.exitValue(), () -> "python failed; output:\n" + output());
            return rest.toString();
        }

        private String output() {
            synchronized (all) {
                return all.toString();
            }
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
            process.waitFor(PEER_LIMIT.toSeconds(), TimeUnit.SECONDS);
            reader.join(PEER_LIMIT.toMillis());
        }
    }

    static void unlinkQuietly(ShareableList list) {
        try {
            list.unlink();
        } catch (NoSuchFileException gone) {
            // already
        } catch (IOException ignored) {
            // best effort
        }
    }
}
