package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.testing.TestJvms;

/**
 * What a lying frame header costs the receiver. A peer sends only the header of a
 * {@code 0x7ffffff0}-byte frame and a few MiB of it, then closes: every receive path must read
 * what arrives and throw {@link java.io.EOFException}, holding memory in proportion to the bytes
 * received, not to the declared length. The receiver is a child JVM with {@code -Xmx256m} confined
 * to a 512 MiB memory cgroup (native memory is not bounded by {@code -Xmx}), so that a regression
 * kills the child, not the machine.
 */
@Timeout(120)
class ConnectionMemoryTest {
    private static final long CGROUP_LIMIT = 512L << 20;
    private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup/memory");

    @Test
    void aLyingHeaderCostsOnlyTheBytesThatArrive() throws Exception {
        Path cgroup = CGROUP_ROOT.resolve("mp4j-test-" + UUID.randomUUID());
        try {
            Files.createDirectory(cgroup);
            Files.writeString(cgroup.resolve("memory.limit_in_bytes"), Long.toString(CGROUP_LIMIT));
        } catch (IOException | UnsupportedOperationException e) {
            Files.deleteIfExists(cgroup);
            Assumptions.abort("no memory cgroup to confine the child to (" + e + ")");
        }
        Process child = null;
        try {
            List<String> cmd = List.of("/bin/sh", "-c",
                    "echo $$ > \"$0\"/cgroup.procs && exec \"$@\"", cgroup.toString(),
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:+UseSerialGC", TestJvms.backendOption(), "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), Receiver.class.getName());
            child = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out;
            try (InputStream in = child.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8); // ends when the child does
            }
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child did not exit: " + out);
            long peak = Long.parseLong(Files.readString(cgroup.resolve("memory.max_usage_in_bytes")).trim());
            System.out.println("ConnectionMemoryTest: child peak " + (peak >> 20) + " MiB\n" + out);
            assertEquals(0, child.exitValue(), "exit " + child.exitValue() + " (137: killed by the"
                    + " cgroup's OOM killer), peak " + (peak >> 20) + " MiB, output:\n" + out);
            for (String path : List.of("recvBytesInto", "recv", "recvBytes")) {
                assertTrue(out.contains(path + ": EOFException; then EOFException"), out);
            }
        } finally {
            if (child != null) {
                child.destroyForcibly();
                child.waitFor(30, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(cgroup); // empty once the child is gone
        }
    }

    /** The receiving child: one line per receive path. */
    static final class Receiver {
        private static final int DECLARED = 0x7ffffff0;
        private static final int SENT = 3 << 20;

        interface Receive {
            Object from(Connection c) throws IOException;
        }

        public static void main(String[] args) throws Exception {
            receive("recvBytesInto", c -> c.recvBytesInto(new byte[64]));
            receive("recv", Connection::recv);
            receive("recvBytes", Connection::recvBytes);
        }

        private static void receive(String name, Receive r) throws Exception {
            try (Pipe pipe = Pipe.open()) {
                Connection in = pipe.first().maxFrameSize(Integer.MAX_VALUE);
                Connection out = pipe.second();
                Thread sender = Thread.ofPlatform().start(() -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment raw = arena.allocate(4 + SENT);
                        raw.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0, DECLARED);
                        Platform.current().writeFully(out.descriptor().handle(), raw, raw.byteSize());
                    } catch (IOException e) {
                        // the receiver gave up before reading it all: reported by its outcome
                    } finally {
                        out.close();
                    }
                });
                String first = outcome(in, r);
                String second = outcome(in, Connection::recv);
                in.close(); // a sender still blocked gets EPIPE
                sender.join();
                System.out.println(name + ": " + first + "; then " + second);
            }
        }

        private static String outcome(Connection c, Receive r) {
            try {
                r.from(c);
                return "returned";
            } catch (Throwable t) {
                return t.getClass().getSimpleName() + (t instanceof java.io.EOFException ? ""
                        : " (" + t.getMessage() + ")");
            }
        }
    }
}
