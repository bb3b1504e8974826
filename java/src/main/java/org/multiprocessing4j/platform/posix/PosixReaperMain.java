package org.multiprocessing4j.platform.posix;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.multiprocessing4j.platform.posix.bindings.Posix;

/**
 * The helper process of {@link PosixReaper}: reads registrations from its inherited handle 0
 * until end of file, then removes what is still registered and unchanged, and exits. Ignores SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT; its standard streams are {@code /dev/null}, so it never holds a caller's
 * output pipe open.
 */
final class PosixReaperMain {
    private PosixReaperMain() {
    }

    static void main(String[] args) {
        ignore("INT");
        ignore("TERM");
        ignore("HUP");
        ignore("QUIT");
        PosixPlatform os = PosixPlatform.create(System.getProperty("os.name"), System.getProperty("os.arch"));
        quietStreams();
        Map<String, Long> live = new LinkedHashMap<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try (Arena a = Arena.ofConfined()) {
            org.multiprocessing4j.platform.Handle pipe = os.inheritedHandle(0);
            MemorySegment buf = a.allocate(4096);
            for (;;) {
                long n = os.read(pipe, buf, buf.byteSize());
                if (n <= 0) {
                    break;
                }
                for (long i = 0; i < n; i++) {
                    byte b = buf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
                    if (b != '\n') {
                        line.write(b);
                        continue;
                    }
                    String[] f = line.toString(StandardCharsets.UTF_8).split(" ");
                    line.reset();
                    if (f[0].equals("REG") && f.length == 3) {
                        live.put(f[1], Long.parseLong(f[2]));
                    } else if (f[0].equals("UNREG") && f.length == 2) {
                        live.remove(f[1]);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the writer is gone either way: clean up
        }
        for (Map.Entry<String, Long> e : live.entrySet()) {
            try {
                if (e.getKey().startsWith("/")) {
                    removeDirectory(Path.of(e.getKey()), e.getValue());
                } else {
                    removeName(os, e.getKey(), e.getValue());
                }
            } catch (IOException | RuntimeException ignored) {
                // gone already, or replaced: leave it
            }
        }
        System.exit(0);
    }

    private static void removeName(PosixPlatform os, String name, long inode) throws IOException {
        org.multiprocessing4j.platform.Handle fd = os.openNamedMemory("/" + name, false);
        try {
            if (os.inode(fd) == inode) {
                os.unlinkNamedMemory("/" + name);
            }
        } finally {
            os.close(fd);
        }
    }

    private static void removeDirectory(Path dir, long inode) throws IOException {
        if (!Files.isDirectory(dir) || (Long) Files.getAttribute(dir, "unix:ino") != inode) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Points descriptors 0, 1 and 2 at {@code /dev/null} ({@code open} + {@code dup2}). */
    private static void quietStreams() {
        try (Arena a = Arena.ofConfined()) {
            int fd = Posix.open.makeInvoker(Posix.C_INT).apply(a.allocateFrom("/dev/null"), Posix.O_RDWR(), 0);
            if (fd >= 0) {
                for (int i = 0; i <= 2; i++) {
                    Posix.dup2(fd, i);
                }
                if (fd > 2) {
                    Posix.close(fd);
                }
            }
        } catch (RuntimeException e) {
            // keep the inherited streams
        }
    }

    /** Ignores a signal through {@code sun.misc.Signal} (reflectively: javac warns about direct use). */
    private static void ignore(String name) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Field ign = handler.getField("SIG_IGN");
            signal.getMethod("handle", signal, handler)
                    .invoke(null, signal.getConstructor(String.class).newInstance(name), ign.get(null));
        } catch (ReflectiveOperationException | RuntimeException e) {
            // the JVM reserves it: keep the default
        }
    }
}
