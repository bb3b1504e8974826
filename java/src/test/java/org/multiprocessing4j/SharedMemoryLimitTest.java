package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.testing.MemoryCgroup;
import org.multiprocessing4j.testing.SizeLimitMain;
import org.multiprocessing4j.testing.TestJvms;

/**
 * Every creator of shared memory refuses a size the system cannot back, before committing any of
 * it, instead of summoning the OOM killer. Run in a program confined to a memory cgroup: on code
 * without the check, the kernel kills that program (and only it).
 */
@Timeout(120)
class SharedMemoryLimitTest {
    private static final long MIB = 1L << 20;
    private static final long LIMIT = 256 * MIB;

    /**
     * Knowing what the system can back before committing needs the OS's memory accounting
     * (Linux: {@code /proc/meminfo}, the memory cgroups, the free space of {@code /dev/shm}),
     * which POSIX does not offer: the posix backend commits with {@code posix_fallocate} and a
     * cgroup's limit is met by its OOM killer. Its anonymous memory lives in the shared-memory
     * file system too. So these are guarantees of the linux backend only.
     */
    @org.junit.jupiter.api.BeforeEach
    void onlyTheLinuxBackendKnowsTheLimits() {
        Assumptions.assumeTrue(org.multiprocessing4j.platform.Platform.current().backendId().equals("linux"),
                "the " + org.multiprocessing4j.platform.Platform.current().backendId()
                        + " backend cannot tell what the system can back (POSIX has no memory accounting)");
    }

    @Test
    void everyCreatorRefusesMoreThanTheCgroupCanHoldAndNothingIsKilled() throws Exception {
        List<String> small = List.of("anonymous:" + 32 * MIB, "named:" + 32 * MIB,
                "queue:" + 32 * MIB, "spill:" + MIB);
        List<String> big = List.of("anonymous:" + 1024 * MIB, "named:" + 1024 * MIB,
                "queue:" + 1024 * MIB, "queue:" + (1L << 44), "spill:" + 1024 * MIB,
                "manager:" + 1024 * MIB, "anonymous:" + (1L << 50));
        List<String> cases = new ArrayList<>(small);
        cases.addAll(big);
        try (MemoryCgroup cg = MemoryCgroup.create(LIMIT)) {
            Result r = runConfined(cg, cases);
            System.out.print(r.output);
            assertEquals(0, r.exit, "the program in " + cg + " (limit " + LIMIT + ") exited with "
                    + r.exit + " (137: SIGKILL, the OOM killer); its output:\n" + r.output);
            for (String c : small) {
                assertTrue(r.output.contains("created " + c + "\n"), c + " not created:\n" + r.output);
            }
            for (String c : big) {
                String line = r.output.lines().filter(l -> l.startsWith("refused " + c + " "))
                        .findFirst().orElseThrow(() -> new AssertionError(c + " not refused:\n" + r.output));
                long size = Long.parseLong(c.substring(c.indexOf(':') + 1));
                Matcher m = Pattern.compile(" (\\d+) bytes of shared memory").matcher(line);
                assertTrue(m.find() && Long.parseLong(m.group(1)) >= size, // a queue adds its header
                        "the message does not name the size: " + line);
                assertTrue(line.contains("cgroup"), "the message does not name the limit: " + line);
            }
            assertEquals(0, cg.oomKills(), "the OOM killer fired in " + cg + ":\n" + r.output);
            System.out.printf("peak usage of the confined program: %d MiB (limit %d MiB)%n",
                    cg.peakUsage() / MIB, LIMIT / MIB);
        }
    }

    @Test
    void namedBlocksRefuseMoreThanDevShmHasFree() throws Exception {
        // its own mount namespace with a 64 MiB /dev/shm, inside a cgroup as a safety net
        List<String> smallShm = List.of("unshare", "-m", "/bin/sh", "-c",
                "mount -t tmpfs -o size=64m tmpfs /dev/shm && exec \"$@\"", "sh");
        try (MemoryCgroup cg = MemoryCgroup.create(2 * LIMIT)) {
            Result r = runConfined(cg, smallShm, List.of("named:" + 16 * MIB, "anonymous:" + 128 * MIB,
                    "named:" + 128 * MIB, "spill:" + 128 * MIB));
            System.out.print(r.output);
            Assumptions.assumeFalse(r.exit == 1 && r.output.contains("unshare"),
                    "no mount namespace here: " + r.output);
            assertEquals(0, r.exit, r.output);
            assertTrue(r.output.contains("created named:" + 16 * MIB + "\n"), r.output);
            assertTrue(r.output.contains("created anonymous:" + 128 * MIB + "\n"),
                    "a memfd does not live in /dev/shm:\n" + r.output);
            for (String c : List.of("named:" + 128 * MIB, "spill:" + 128 * MIB)) {
                String line = r.output.lines().filter(l -> l.startsWith("refused " + c + " "))
                        .findFirst().orElseThrow(() -> new AssertionError(c + " not refused:\n" + r.output));
                assertTrue(line.contains((128 * MIB) + " bytes") && line.contains("space free in /dev/shm"),
                        "the message does not name the size and /dev/shm's free space: " + line);
            }
            assertEquals(0, cg.oomKills(), r.output);
        }
    }

    private record Result(int exit, String output) {
    }

    private static Result runConfined(MemoryCgroup cg, List<String> args) throws Exception {
        return runConfined(cg, List.of(), args);
    }

    private static Result runConfined(MemoryCgroup cg, List<String> prefix, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", TestJvms.backendOption(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), SizeLimitMain.class.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cg.wrap(cmd)).redirectErrorStream(true);
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            } catch (java.io.IOException e) {
                // the process is gone
            }
        });
        try {
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                throw new AssertionError("the confined program did not finish");
            }
            reader.join(TimeUnit.SECONDS.toMillis(10));
            return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }
}
