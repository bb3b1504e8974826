package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.multiprocessing4j.testing.TestJvms;

/**
 * The library on the module path, as an application that {@code requires org.multiprocessing4j}
 * uses it: a named module compiled here with the JDK's {@code javac} (its {@code ToolProvider}) against the library's module,
 * started with {@code --module-path} and {@code -m}, that starts a child process which puts into a
 * queue, takes from that queue, and maps over a process pool. The rest of the suite runs on the
 * class path.
 */
@Timeout(120)
class ModulePathTest {

    private static final String MODULE_INFO = """
            module mp4j.modtest {
                requires org.multiprocessing4j;
            }
            """;

    private static final String MAIN = """
            package mp4j.modtest;

            import java.util.List;
            import java.util.concurrent.TimeUnit;
            import org.multiprocessing4j.ChildProcess;
            import org.multiprocessing4j.ProcessPool;
            import org.multiprocessing4j.SharedQueue;

            public final class Main {
                public static void main(String[] args) throws Exception {
                    System.out.println("module " + Main.class.getModule().getName() + " uses "
                            + ChildProcess.class.getModule().getName());
                    try (SharedQueue<String> q = SharedQueue.builder().capacity(4).create()) {
                        ChildProcess child = new ChildProcess(() -> {
                            try {
                                q.put("from child " + ProcessHandle.current().pid());
                            } catch (InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                        });
                        child.start();
                        String got = q.poll(60, TimeUnit.SECONDS);
                        child.join();
                        System.out.println("queue " + (got != null && got.startsWith("from child ")));
                        System.out.println("child exit " + child.exitCode().getAsInt());
                    }
                    try (ProcessPool pool = ProcessPool.builder().processes(2).build()) {
                        List<Integer> squares = pool.map((Integer x) -> x * x, List.of(1, 2, 3, 4));
                        System.out.println("pool " + squares);
                    }
                }
            }
            """;

    @Test
    void aNamedModuleThatRequiresTheLibraryStartsAChildUsesAQueueAndAPool(@TempDir Path dir)
            throws Exception {
        Path library = libraryModule();
        Path src = dir.resolve("src");
        Path out = dir.resolve("out");
        Files.createDirectories(src.resolve("mp4j/modtest"));
        Files.writeString(src.resolve("module-info.java"), MODULE_INFO);
        Files.writeString(src.resolve("mp4j/modtest/Main.java"), MAIN);
        // the JDK's javac through java.base's tool SPI (the test module does not read java.compiler)
        java.util.spi.ToolProvider javac = java.util.spi.ToolProvider.findFirst("javac").orElseThrow();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        java.io.PrintStream log = new java.io.PrintStream(diagnostics, true, StandardCharsets.UTF_8);
        int compiled = javac.run(log, log, "--module-path", library.toString(),
                "-d", out.toString(), src.resolve("module-info.java").toString(),
                src.resolve("mp4j/modtest/Main.java").toString());
        assertEquals(0, compiled, diagnostics.toString(StandardCharsets.UTF_8));

        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=org.multiprocessing4j", "-XX:+UseSerialGC",
                TestJvms.backendOption(), "-Dmp4j.aotCache=false",
                "--module-path", library + java.io.File.pathSeparator + out,
                "-m", "mp4j.modtest/mp4j.modtest.Main"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("CLASSPATH");
        Process app = pb.start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(app.getInputStream()));
        try {
            assertTrue(app.waitFor(90, TimeUnit.SECONDS), "the modular program did not finish");
            String text = output.get(10, TimeUnit.SECONDS);
            assertEquals(0, app.exitValue(), text);
            assertTrue(text.contains("module mp4j.modtest uses org.multiprocessing4j"), text);
            assertTrue(text.contains("queue true"), text);
            assertTrue(text.contains("child exit 0"), text);
            assertTrue(text.contains("pool [1, 4, 9, 16]"), text);
            assertTrue(!text.contains("WARNING"), "the JVM warned:\n" + text);
        } finally {
            app.destroyForcibly();
            app.waitFor(20, TimeUnit.SECONDS);
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The library's module as the build made it: the directory (or jar) holding its module-info. */
    private static Path libraryModule() throws URISyntaxException {
        Path p = Path.of(ChildProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.exists(Files.isDirectory(p) ? p.resolve("module-info.class") : p),
                "no module-info.class at " + p);
        return p;
    }

    private static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
