package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.multiprocessing4j.examples.BasicWorker;
import org.multiprocessing4j.examples.Demo;
import org.multiprocessing4j.examples.DoublingWorker;
import org.multiprocessing4j.examples.LockedCounter;
import org.multiprocessing4j.examples.ManagerDict;
import org.multiprocessing4j.examples.PipeSenderReceiver;
import org.multiprocessing4j.examples.PipeSenderReceiverPair;
import org.multiprocessing4j.examples.PoolSpeedup;
import org.multiprocessing4j.examples.ProcessPoolSquares;
import org.multiprocessing4j.examples.ProducersConsumersLock;
import org.multiprocessing4j.examples.PythonClientListener;
import org.multiprocessing4j.examples.QueueMultipleReaders;
import org.multiprocessing4j.examples.QueueNumbersExercise;
import org.multiprocessing4j.examples.QueueProducerConsumer;
import org.multiprocessing4j.examples.QueueProducerConsumerPair;
import org.multiprocessing4j.examples.QueueReaderWriter;
import org.multiprocessing4j.examples.QueueSharingData;
import org.multiprocessing4j.examples.QueueStartMethod;
import org.multiprocessing4j.examples.RemoteManager;
import org.multiprocessing4j.examples.SharedArrayExercise;
import org.multiprocessing4j.examples.SharedMemoryBlock;
import org.multiprocessing4j.examples.TwoWorkers;
import org.multiprocessing4j.examples.WorkersWithArguments;
import org.multiprocessing4j.testing.TestJvms;

/**
 * Runs every example of {@code org.multiprocessing4j.examples} in its own JVM, as a user would
 * (same {@code java}, same class path), and checks its exit code and output: exactly where the
 * Python seed's output is determined, as a set where it depends on scheduling.
 */
class ExamplesTest {
    /**
     * The longest an example JVM may run without printing a line, and the longest one example
     * may run in all: a hung example fails its test within this, however long the examples
     * before it took on a loaded machine.
     */
    private static final long QUIET_SECONDS = 60;

    /** The demo's headers, one per example, in the order it runs them. */
    private static final List<String> DEMO_HEADERS = List.of("== TwoWorkers (seed 01) ==",
            "== PipeSenderReceiver (seed 01) ==",
            "== BasicWorker (seed 02) ==", "== WorkersWithArguments (seed 02) ==",
            "== DoublingWorker (seed 02) ==", "== PipeSenderReceiverPair (seed 04) ==",
            "== SharedMemoryBlock (seed 02) ==", "== SharedArrayExercise (seed 04) ==",
            "== LockedCounter (seed 01) ==", "== QueueProducerConsumer (seed 01) ==",
            "== QueueSharingData (seed 02) ==", "== QueueReaderWriter (seed 03) ==",
            "== QueueMultipleReaders (seed 03) ==", "== QueueStartMethod (seed 03) ==",
            "== QueueProducerConsumerPair (seed 04) ==", "== QueueNumbersExercise (seed 04) ==",
            "== ProducersConsumersLock (seed 05) ==", "== ManagerDict (issue 6) ==",
            "== RemoteManager (issue 6) ==", "== PythonClientListener (issue 6) ==",
            "== ProcessPoolSquares (seed 03) ==", "== PoolSpeedup (issue 5) ==");
    private static final int DEMO_EXAMPLES = 22;

    @TempDir
    Path tmp;

    /** What an example JVM did: its pid, exit code and output lines (stdout and stderr). */
    private record Run(long pid, int exitCode, List<String> lines) {
    }

    @Test
    void twoWorkers() throws Exception {
        Run run = runOk(TwoWorkers.class);
        List<String> out = run.lines();
        assertEquals(5, out.size(), () -> "output:\n" + String.join("\n", out));
        Pattern started = Pattern.compile(
                "Process (Process-[12]) \\(PID: (\\d+)\\) started\\. Sleeping for (0\\.[24]) seconds\\.");
        List<String> names = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        for (String line : out.subList(0, 4)) {
            Matcher m = started.matcher(line);
            if (m.matches()) {
                names.add(m.group(1));
                pids.add(Long.parseLong(m.group(2)));
                assertEquals(m.group(1).equals("Process-1") ? "0.4" : "0.2", m.group(3), line);
                assertTrue(out.indexOf("Process " + m.group(1) + " finished.") > out.indexOf(line),
                        () -> m.group(1) + " finished before it started:\n" + String.join("\n", out));
            }
        }
        assertEquals(List.of("Process-1", "Process-2"), names.stream().sorted().toList(),
                () -> "output:\n" + String.join("\n", out));
        assertTrue(out.contains("Process Process-1 finished."), () -> String.join("\n", out));
        assertTrue(out.contains("Process Process-2 finished."), () -> String.join("\n", out));
        assertEquals("All processes have finished execution.", out.get(4));
        assertNotEquals(pids.get(0), pids.get(1), "the two workers have the same pid");
        assertTrue(!pids.contains(run.pid()), "a worker reports the pid of the parent JVM");
    }

    @Test
    void pipeSenderReceiver() throws Exception {
        List<String> out = runOk(PipeSenderReceiver.class).lines();
        // The parent's "Sent:" lines and the child's "Received:" lines interleave freely; each
        // side's own lines are in order.
        assertEquals(List.of("Sent: Hello", "Sent: 42", "Sent: {key=value}"),
                out.stream().filter(l -> l.startsWith("Sent: ")).toList(), () -> String.join("\n", out));
        assertEquals(List.of("Received: Hello", "Received: 42", "Received: {key=value}",
                        "No more data. Exiting."),
                out.stream().filter(l -> !l.startsWith("Sent: ")).toList(), () -> String.join("\n", out));
    }

    @Test
    void basicWorker() throws Exception {
        assertEquals(List.of("Worker"), runOk(BasicWorker.class).lines());
    }

    @Test
    void workersWithArguments() throws Exception {
        List<String> out = runOk(WorkersWithArguments.class).lines();
        assertEquals(List.of("Worker 0", "Worker 1", "Worker 2", "Worker 3", "Worker 4"),
                out.stream().sorted().toList(), () -> String.join("\n", out));
    }

    @Test
    void doublingWorker() throws Exception {
        assertEquals(List.of("20", "40", "60"), runOk(DoublingWorker.class).lines());
    }

    @Test
    void pipeSenderReceiverPair() throws Exception {
        assertEquals(List.of("Received: Hello from sender"),
                runOk(PipeSenderReceiverPair.class).lines());
    }

    @Test
    void sharedMemoryBlock() throws Exception {
        assertEquals(List.of("1024"), runOk(SharedMemoryBlock.class).lines());
    }

    @Test
    void sharedArrayExercise() throws Exception {
        List<String> out = runOk(SharedArrayExercise.class).lines();
        assertEquals(3, out.size(), () -> String.join("\n", out));
        assertEquals(List.of("Process-1", "Process-2"), out.subList(0, 2).stream()
                .map(l -> l.substring(0, l.indexOf(' '))).sorted().toList(), () -> String.join("\n", out));
        for (String l : out.subList(0, 2)) {
            assertTrue(l.matches("Process-[12] \\(PID \\d+\\) added 1 to every element 1000 times"), l);
        }
        assertEquals("Shared array after both processes: [2000, 2000, 2000, 2000, 2000]", out.get(2));
    }

    @Test
    void lockedCounter() throws Exception {
        assertEquals(List.of("Final counter: 4000 (expected 4000)"), runOk(LockedCounter.class).lines());
    }

    @Test
    void queueProducerConsumer() throws Exception {
        List<String> out = runOk(QueueProducerConsumer.class).lines();
        String all = String.join("\n", out);
        assertEquals(12, out.size(), all);
        // The producer's and the consumer's lines interleave freely; each side's are in order.
        assertEquals(numbered("Producing ", 1, 5),
                out.stream().filter(l -> l.startsWith("Producing ")).toList(), all);
        assertEquals(numbered("Consuming ", 1, 5),
                out.stream().filter(l -> l.startsWith("Consuming ")).toList(), all);
        for (int i = 1; i <= 5; i++) {
            // "Producing i" is printed before i is put, "Consuming i" after it is taken
            assertTrue(out.indexOf("Producing " + i) < out.indexOf("Consuming " + i), all);
        }
        assertEquals(out.indexOf("Consuming 5") + 1, out.indexOf("Consumer done."), all);
        assertEquals("Producer-consumer example finished.", out.getLast(), all);
    }

    @Test
    void queueSharingData() throws Exception {
        assertEquals(numbered("", 0, 9), runOk(QueueSharingData.class).lines());
    }

    @Test
    void queueReaderWriter() throws Exception {
        assertEquals(numbered("Received: ", 0, 9), runOk(QueueReaderWriter.class).lines());
    }

    @Test
    void queueMultipleReaders() throws Exception {
        List<String> out = runOk(QueueMultipleReaders.class).lines();
        // Three readers share the numbers: each is received exactly once, in no set order.
        assertEquals(numbered("Received: ", 0, 99).stream().sorted().toList(),
                out.stream().sorted().toList(), () -> String.join("\n", out));
    }

    @Test
    void queueStartMethod() throws Exception {
        assertEquals(List.of("Process completed"), runOk(QueueStartMethod.class).lines());
    }

    @Test
    void queueProducerConsumerPair() throws Exception {
        assertEquals(numbered("Consumed: item ", 0, 4), runOk(QueueProducerConsumerPair.class).lines());
    }

    @Test
    void queueNumbersExercise() throws Exception {
        List<String> expected = new ArrayList<>(numbered("Consumed ", 1, 5));
        expected.add("Consumer got the sentinel and exits.");
        expected.add("Consumer exit code: 0");
        assertEquals(expected, runOk(QueueNumbersExercise.class).lines());
    }

    @Test
    void producersConsumersLock() throws Exception {
        Run run = runOk(ProducersConsumersLock.class);
        checkProducersConsumers(run.lines(), run.pid());
    }

    @Test
    void processPoolSquares() throws Exception {
        assertEquals(List.of("Results: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]"),
                runOk(ProcessPoolSquares.class).lines());
    }

    @Test
    void poolSpeedup() throws Exception {
        checkPoolSpeedup(runOk(PoolSpeedup.class).lines());
    }

    /** The speed-up example's output: the count is fixed, the times are not (never asserted). */
    private static void checkPoolSpeedup(List<String> out) {
        String all = String.join("\n", out);
        assertEquals(4, out.size(), all);
        assertEquals("Primes below 4000000: 283146", out.get(0), all);
        assertTrue(out.get(1).matches("1 process: \\d+ ms"), all);
        assertTrue(out.get(2).matches(Runtime.getRuntime().availableProcessors() + " processes: \\d+ ms"), all);
        assertTrue(out.get(3).matches("Speed-up: \\d+\\.\\dx on \\d+ CPUs"), all);
    }

    /** Checks the output of {@link ProducersConsumersLock}, alone or as a section of the demo. */
    private static void checkProducersConsumers(List<String> out, long parentPid) {
        String all = String.join("\n", out);
        List<String> names = List.of("Master Shake", "Meatwad", "Frylock", "Carl", "Early", "Rusty",
                "Sheriff", "Granny", "Lil", "Rick", "Morty", "Jerry", "Summer", "Beth");
        assertEquals(3 + 6 + names.size() + 3 + 1, out.size(), all);
        assertEquals("Parent process exiting...", out.getLast(), all); // no consumer prints after it
        Pattern startProducer = Pattern.compile("Starting producer => (\\d+)");
        Pattern startConsumer = Pattern.compile("Starting consumer => (\\d+)");
        Pattern exiting = Pattern.compile("Producer (\\d+) exiting\\.\\.\\.");
        Pattern got = Pattern.compile("(\\d+) got (.+)");
        Map<Long, Integer> producerStart = new HashMap<>();
        Map<Long, Integer> consumerStart = new HashMap<>();
        Set<Long> exited = new HashSet<>();
        List<String> gotNames = new ArrayList<>();
        for (int i = 0; i < out.size() - 1; i++) {
            String line = out.get(i);
            Matcher m;
            if ((m = startProducer.matcher(line)).matches()) {
                assertEquals(null, producerStart.put(Long.parseLong(m.group(1)), i), "same pid: " + all);
            } else if ((m = startConsumer.matcher(line)).matches()) {
                assertEquals(null, consumerStart.put(Long.parseLong(m.group(1)), i), "same pid: " + all);
            } else if ((m = exiting.matcher(line)).matches()) {
                long pid = Long.parseLong(m.group(1));
                assertTrue(producerStart.containsKey(pid), "exit before start: " + all);
                assertTrue(exited.add(pid), "producer exits twice: " + all);
            } else if ((m = got.matcher(line)).matches()) {
                long pid = Long.parseLong(m.group(1));
                assertTrue(consumerStart.containsKey(pid), "got before start: " + all);
                gotNames.add(m.group(2));
            } else {
                fail("unexpected line " + i + " '" + line + "' (a line mixed with another?):\n" + all);
            }
        }
        assertEquals(3, producerStart.size(), all);
        assertEquals(6, consumerStart.size(), all);
        assertEquals(producerStart.keySet(), exited, all);
        Set<Long> pids = new HashSet<>(producerStart.keySet());
        pids.addAll(consumerStart.keySet());
        assertEquals(9, pids.size(), () -> "a producer and a consumer have the same pid:\n" + all);
        assertTrue(!pids.contains(parentPid), "a child reports the pid of the parent JVM");
        // Every name produced is consumed exactly once.
        assertEquals(names.stream().sorted().toList(), gotNames.stream().sorted().toList(), all);
    }

    private static List<String> numbered(String prefix, int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> prefix + i).toList();
    }

    /**
     * The demo runs 22 examples one after another: its bound is per example (no
     * {@value #QUIET_SECONDS} s without a line, at most that much per example in all), not one
     * bound for the whole run, which a loaded machine broke.
     */
    @Test
    @Timeout(DEMO_EXAMPLES * QUIET_SECONDS + 60)
    void demoRunsEveryExampleInOrder() throws Exception {
        assertEquals(DEMO_EXAMPLES, DEMO_HEADERS.size());
        Run demo = runOk(Demo.class, DEMO_EXAMPLES);
        List<String> out = demo.lines();
        List<String> headers = out.stream().filter(l -> l.startsWith("== ")).toList();
        assertEquals(DEMO_HEADERS, headers, () -> String.join("\n", out));
        // Each example's output stays under its own header: every child was joined.
        assertEquals(List.of("20", "40", "60"), section(out, "DoublingWorker"),
                () -> String.join("\n", out));
        assertEquals(List.of("Received: Hello from sender"), section(out, "PipeSenderReceiverPair"),
                () -> String.join("\n", out));
        assertEquals(List.of("Worker"), section(out, "BasicWorker"), () -> String.join("\n", out));
        assertEquals(5, section(out, "WorkersWithArguments").size(), () -> String.join("\n", out));
        assertEquals("All processes have finished execution.",
                section(out, "TwoWorkers").getLast(), () -> String.join("\n", out));
        assertEquals("Producer-consumer example finished.",
                section(out, "QueueProducerConsumer").getLast(), () -> String.join("\n", out));
        assertEquals(numbered("", 0, 9), section(out, "QueueSharingData"), () -> String.join("\n", out));
        assertEquals(100, section(out, "QueueMultipleReaders").size(), () -> String.join("\n", out));
        assertEquals(List.of("Process completed"), section(out, "QueueStartMethod"),
                () -> String.join("\n", out));
        assertEquals("Consumer exit code: 0", section(out, "QueueNumbersExercise").getLast(),
                () -> String.join("\n", out));
        // Its terminated consumers print nothing after its last line, even into the next section.
        checkProducersConsumers(section(out, "ProducersConsumersLock"), demo.pid());
        assertEquals(List.of("Results: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]"),
                section(out, "ProcessPoolSquares"), () -> String.join("\n", out));
        checkPoolSpeedup(section(out, "PoolSpeedup"));
    }

    private static List<String> section(List<String> out, String example) {
        int start = -1;
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).startsWith("== " + example + " ")) {
                start = i + 1;
            }
        }
        int end = start;
        while (end < out.size() && !out.get(end).startsWith("== ")) {
            end++;
        }
        return out.subList(start, end);
    }

    @Test
    void managerDict() throws Exception {
        assertEquals(List.of("squares: {worker-1=1, worker-2=4, worker-3=9, worker-4=16}"),
                runOk(ManagerDict.class).lines());
    }

    @Test
    void remoteManager() throws Exception {
        assertEquals(List.of("server got: job 1", "server got: job 2", "server got: job 3"),
                runOk(RemoteManager.class).lines());
    }

    @Test
    void pythonClientListener() throws Exception {
        List<String> out = runOk(PythonClientListener.class).lines().stream()
                .filter(l -> !l.startsWith("(python3 not found")).toList();
        assertEquals(List.of("java got: hello from Python",
                "python got: hello from Java, you said 'hello from Python'"), out);
    }

    private Run runOk(Class<?> main) throws IOException, InterruptedException {
        return runOk(main, 1);
    }

    /**
     * Runs {@code main} in a new JVM and asserts it exits with 0. It fails (killing the JVM and
     * its children) as soon as the JVM has printed nothing for {@value #QUIET_SECONDS} s, or has
     * run {@code examples} times that long in all.
     */
    private Run runOk(Class<?> main, int examples) throws IOException, InterruptedException {
        Path output = Files.createTempFile(tmp, main.getSimpleName(), ".out");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", TestJvms.backendOption(), "-cp", System.getProperty("java.class.path"), main.getName())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile()) // a file, not a pipe: children inherit it too
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        Process process = pb.start();
        try {
            long quiet = TimeUnit.SECONDS.toNanos(QUIET_SECONDS);
            long start = System.nanoTime();
            long lastOutput = start;
            long size = 0;
            while (!process.waitFor(100, TimeUnit.MILLISECONDS)) {
                long now = System.nanoTime();
                long grown = Files.size(output);
                if (grown != size) {
                    size = grown;
                    lastOutput = now;
                }
                if (now - lastOutput > quiet || now - start > examples * quiet) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly().waitFor();
                    fail(main.getSimpleName() + (now - lastOutput > quiet
                            ? " printed nothing for " + QUIET_SECONDS + " s"
                            : " did not finish within " + examples * QUIET_SECONDS + " s")
                            + "; output so far:\n" + Files.readString(output, StandardCharsets.UTF_8));
                }
            }
        } finally {
            if (process.isAlive()) { // interrupted (the test's own timeout)
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
        String text = Files.readString(output, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), () -> main.getSimpleName() + " failed; output:\n" + text);
        return new Run(process.pid(), process.exitValue(), text.lines().toList());
    }
}
