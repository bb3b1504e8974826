package org.multiprocessing4j.platform.tck;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.ProcessMark;
import org.multiprocessing4j.platform.WaitChannel;

/**
 * The program the contract tests start through {@link Platform#spawn}: {@code TckChild mode
 * args…}. Its handles are the ones the test passed, as {@link Platform#inheritedHandle}
 * {@code (i)}. It reports on the first handle when it has one.
 */
public final class TckChild {
    private TckChild() {
    }

    public static void main(String[] args) throws Exception {
        Platform os = Platform.current();
        switch (args[0]) {
            case "exit" -> System.exit(Integer.parseInt(args[1]));
            case "sleep" -> {
                // Tell the parent we run (if it gave us a handle to say so), then sleep forever.
                if (args.length > 1) {
                    say(os, os.inheritedHandle(0), "running\n");
                }
                Thread.sleep(Long.MAX_VALUE);
            }
            case "fds" -> fds(os, Integer.parseInt(args[1]));
            case "inherited" -> inherited(os, Integer.parseInt(args[1]));
            case "backend" -> say(os, os.inheritedHandle(0), os.backendId());
            case "receive" -> receive(os);
            case "await" -> await(os, Long.parseLong(args[1]));
            case "mark" -> mark(os, args[1].equals("self") ? os.processToken() : Long.parseLong(args[1]));
            case "orphan-parent" -> orphanParent(os);
            case "orphan" -> orphan(os, Integer.parseInt(args[1]));
            case "stop-report" -> stopReport(os);
            case "pipe-channel" -> pipeChannel(os);
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    /**
     * {@code count} handles were passed, the first a pipe to the parent: writes
     * {@code handle i <value> <inode>} for each, then the listing of
     * {@link #listDescriptors()}.
     */
    private static void fds(Platform os, int count) throws IOException {
        Handle[] handles = new Handle[count];
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            handles[i] = os.inheritedHandle(i);
        }
        for (int i = 0; i < count; i++) {
            sb.append("handle ").append(i).append(' ').append(handles[i].value()).append(' ')
                    .append(os.inode(handles[i])).append('\n');
        }
        String listing = listDescriptors();
        say(os, handles[0], sb + listing);
    }

    /**
     * {@code count} handles were passed, the first a pipe to the parent: asks for each inherited
     * handle twice and writes {@code handle i <same> <closeOnExec>} for each: whether both
     * answers are equal, and whether the descriptor is now close-on-exec (POSIX: a handle is a
     * descriptor; {@code fcntl(F_GETFD)} through the C library, {@code F_GETFD} and
     * {@code FD_CLOEXEC} being 1 on Linux, macOS and the BSDs).
     */
    private static void inherited(Platform os, int count) throws IOException {
        java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
        java.lang.invoke.MethodHandle fcntl = linker.downcallHandle(
                linker.defaultLookup().find("fcntl").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT), java.lang.foreign.Linker.Option.firstVariadicArg(2));
        final int getFd = 1;
        final int closeOnExec = 1;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            Handle first = os.inheritedHandle(i);
            Handle again = os.inheritedHandle(i);
            int flags;
            try {
                flags = (int) fcntl.invokeExact((int) first.value(), getFd);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            sb.append("handle ").append(i).append(' ').append(first.equals(again)).append(' ')
                    .append(flags >= 0 && (flags & closeOnExec) != 0).append('\n');
        }
        say(os, os.inheritedHandle(0), sb.toString());
    }

    /**
     * Handles stop requests, reporting the signal on handle 0 before it exits through the hooks;
     * says {@code running} and sleeps until stopped.
     */
    private static void stopReport(Platform os) throws Exception {
        Handle report = os.inheritedHandle(0);
        os.handleStopRequests(signal -> {
            try {
                say(os, report, "stopping " + signal + "\n");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        say(os, report, "running\n");
        Thread.sleep(Long.MAX_VALUE);
    }

    /**
     * One line per open descriptor above 2: {@code number kind inode}, kind one of fifo, socket,
     * file, dir, other. Read from {@code /proc/self/fd}, or {@code /dev/fd} where there is no
     * {@code /proc}; the directory's own descriptor is the one that cannot be read afterwards.
     */
    static String listDescriptors() throws IOException {
        Path dir = Files.isDirectory(Path.of("/proc/self/fd")) ? Path.of("/proc/self/fd") : Path.of("/dev/fd");
        Map<Integer, String> out = new TreeMap<>();
        List<Path> entries;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            entries = new java.util.ArrayList<>();
            s.forEach(entries::add);
        }
        for (Path p : entries) {
            int fd = Integer.parseInt(p.getFileName().toString());
            if (fd <= 2) {
                continue;
            }
            try {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,ino");
                int type = (Integer) a.get("mode") & 0170000;
                String kind = switch (type) {
                    case 0010000 -> "fifo";
                    case 0140000 -> "socket";
                    case 0100000 -> "file";
                    case 0040000 -> "dir";
                    default -> "other";
                };
                out.put(fd, fd + " " + kind + " " + a.get("ino"));
            } catch (IOException e) {
                // the listing's own descriptor, closed by now
            }
        }
        StringBuilder sb = new StringBuilder();
        out.values().forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }

    /**
     * Handle 0 is a socket; receives a handle on it sent with one byte, writes {@code hello}
     * through it and exits (closing it).
     */
    private static void receive(Platform os) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(1);
            Platform.Received r = os.receiveWithHandles(os.inheritedHandle(0), b, 1);
            if (r.bytes() != 1 || r.handles().length != 1) {
                System.exit(3);
            }
            say(os, r.handles()[0], "hello");
        }
    }

    /**
     * Handle 0 is a region laid out as {@link WaitChannelContractTest} makes it. Publishes 1 at offset 4 ("about to
     * sleep"), then in a thread named {@code tck-waiter} waits on the word at offset 0 while it
     * is 0 (each wait up to {@code timeoutMillis}). Exits 0 once the word differs after a wait
     * that reported a wake-up, 2 if a wait timed out.
     */
    private static void await(Platform os, long timeoutMillis) throws Exception {
        long size = WaitChannelContractTest.regionSize(os);
        MemorySegment m = os.map(os.inheritedHandle(0), size, Arena.global());
        WaitChannel ch = os.waitChannel(m, WaitChannelContractTest.AREA);
        int[] code = {1};
        Thread t = new Thread(() -> {
            try {
                m.set(ValueLayout.JAVA_INT, 4, 1);
                while ((int) ValueLayout.JAVA_INT.varHandle().getVolatile(m, 0L) == 0) {
                    if (!ch.await(m.asSlice(0, 4), 0, TimeUnit.MILLISECONDS.toNanos(timeoutMillis))) {
                        code[0] = 2;
                        return;
                    }
                }
                code[0] = 0;
            } catch (IOException e) {
                e.printStackTrace();
            }
        }, "tck-waiter");
        t.start();
        t.join();
        System.exit(code[0]);
    }

    /**
     * Handle 0 is shared memory, handle 1 a pipe to the parent. Places a liveness mark for
     * {@code token} on the memory's file, closes its handle of the file (the mark must stay),
     * says {@code marked} and the token, then sleeps until killed.
     */
    private static void mark(Platform os, long token) throws Exception {
        ProcessMark mark = os.placeMark(os.inheritedHandle(0), token);
        os.close(os.inheritedHandle(0));
        say(os, os.inheritedHandle(1), "marked " + token + "\n");
        Thread.sleep(Long.MAX_VALUE);
        mark.close();
    }

    /**
     * Handle 0 is a pipe to the test. Starts an {@code orphan} child (giving it that pipe), and
     * sleeps until killed: the test kills this process and expects the orphan to die.
     */
    private static void orphanParent(Platform os) throws Exception {
        Tck.spawnChild(new Handle[] {os.inheritedHandle(0)}, "orphan", Integer.toString(os.pid()));
        Thread.sleep(Long.MAX_VALUE);
    }

    /**
     * Asks to die with its parent, checks that the parent is still {@code expectedParent} (it
     * may have died before the request), says its pid on handle 0 and sleeps until it dies.
     */
    private static void orphan(Platform os, int expectedParent) throws Exception {
        if (!os.dieWithParent(expectedParent)) {
            System.exit(4);
        }
        Handle report = os.inheritedHandle(0);
        say(os, report, os.pid() + "\n");
        os.close(report);
        Thread.sleep(Long.MAX_VALUE);
    }

    /**
     * Handle 0 is a pipe to the parent, handle 1 the reading end of a pipe: reads handle 1 through
     * {@link Platform#openInheritedPipe} to its end and writes back what it read, then whether
     * handle 1 is still open, or {@code "no channel"}.
     */
    private static void pipeChannel(Platform os) throws IOException {
        java.nio.channels.FileChannel channel = Platform.openInheritedPipe(1);
        if (channel == null) {
            say(os, os.inheritedHandle(0), "no channel");
            return;
        }
        byte[] read;
        try (channel) {
            read = java.nio.channels.Channels.newInputStream(channel).readAllBytes();
        }
        boolean stillOpen = os.status(os.inheritedHandle(1)) != null;
        say(os, os.inheritedHandle(0), new String(read, StandardCharsets.UTF_8) + " | handle 1 open "
                + stillOpen);
    }

    private static void say(Platform os, Handle fd, String text) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            MemorySegment s = a.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
            os.writeFully(fd, s, bytes.length);
        }
    }
}
