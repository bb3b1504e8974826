package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.testing.ManagerKilledMain;
import org.multiprocessing4j.testing.TestJvms;

/** A program killed while it has a {@link Manager} leaves nothing behind in the file system. */
@Timeout(90)
class ManagerKilledProgramTest {

    @Test
    void listenerDirectoryIsRemovedWhenTheProgramIsKilled() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", TestJvms.backendOption(),
                "-cp", System.getProperty("java.class.path"), ManagerKilledMain.class.getName());
        pb.redirectErrorStream(true);
        Process program = pb.start();
        Path socket = null;
        int server = -1;
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(program.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            StringBuilder all = new StringBuilder();
            while ((socket == null || server < 0) && (line = r.readLine()) != null) {
                all.append(line).append('\n');
                if (line.startsWith("address ")) {
                    socket = Path.of(line.substring("address ".length()));
                } else if (line.startsWith("server ")) {
                    server = Integer.parseInt(line.substring("server ".length()));
                }
            }
            assertNotNull(socket, "no address printed:\n" + all);
            assertTrue(Files.exists(socket), socket + " should exist while the manager runs");
            program.destroyForcibly(); // SIGKILL: no shutdown hook, no close
            assertTrue(program.waitFor(20, TimeUnit.SECONDS), "the program survived SIGKILL");
        } finally {
            program.destroyForcibly();
            program.waitFor();
        }
        Path dir = socket.getParent();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (Files.exists(socket) || Files.exists(dir)) {
            if (System.nanoTime() > deadline) {
                boolean serverAlive = ProcessHandle.of(server).map(ProcessHandle::isAlive).orElse(false);
                String message = dir + (Files.exists(socket) ? " and its socket" : "")
                        + " still there 15 s after the program was killed (manager server "
                        + server + (serverAlive ? " alive" : " gone") + ")";
                try (var files = Files.walk(dir)) { // clean up for the next run
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
                throw new AssertionError(message);
            }
            Thread.sleep(20);
        }
    }
}
