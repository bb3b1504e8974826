package org.multiprocessing4j.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.multiprocessing4j.cluster.examples.ClusterSquares;

/** Runs the cluster example in its own JVM, as {@code scripts/demo} does, and checks its output. */
@ExtendWith(NoChildLeft.class)
class ClusterExamplesTest {

    @Test
    void clusterSquaresPrintsTheSeedsResultsFromThreeMembers() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"));
        cmd.addAll(List.of("--sun-misc-unsafe-memory-access=allow", "--add-modules", "java.se", // what Hazelcast asks for, as scripts/demo gives
                "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.management/sun.management=ALL-UNNAMED",
                "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED"));
        String backend = System.getProperty("mp4j.platform"); // the test run's backend, as library children get it
        if (backend != null) {
            cmd.add("-Dmp4j.platform=" + backend);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ClusterSquares.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            assertTrue(p.waitFor(110, TimeUnit.SECONDS), "the example did not finish");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            assertEquals(List.of("Results: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]", "Members: 3"),
                    out.lines().filter(l -> l.startsWith("Results: ") || l.startsWith("Members: ")).toList(),
                    out);
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }
}
