package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Spawn: a child gets exactly the handles it is given, where the contract says, and nothing else
 * of the parent's (not even descriptors the parent left inheritable); a program that cannot be
 * started fails the call.
 */
class SpawnContractTest {
    private final Platform os = Tck.platform();

    @Test
    void spawnGivesTheChildExactlyTheRequestedHandlesAndNothingElse() throws Throwable {
        Handle[] report = os.pipe();
        Handle[] passedPipe = os.pipe();
        Handle[] passedSocket = os.socketPair();
        Handle[] keptPipe = os.pipe();
        Handle[] keptSocket = os.socketPair();
        Handle inheritable = inheritableDuplicate(keptPipe[1]);
        int pid = -1;
        try {
            Handle[] handles = {report[1], passedPipe[0], passedSocket[1]};
            Map<Integer, String> expected = new TreeMap<>();
            for (int i = 0; i < handles.length; i++) {
                expected.put(TckChild.FIRST + i, describe(handles[i], i == 2 ? "socket" : "fifo"));
            }
            pid = Tck.spawnChild(handles, "fds");
            os.close(report[1]);
            report[1] = null;
            String listing = Tck.readToEnd(report[0]);
            assertEquals(0, Tck.awaitExit(pid).exitCode(), listing);
            pid = -1;

            // What the child has open above 2, by kind and inode; the JVM's own files aside,
            // every pipe and socket must be one we passed, at its place.
            Map<Integer, String> pipesAndSockets = new TreeMap<>();
            for (String line : listing.lines().toList()) {
                String[] f = line.split(" ");
                if (f[1].equals("fifo") || f[1].equals("socket")) {
                    pipesAndSockets.put(Integer.parseInt(f[0]), f[1] + " " + f[2]);
                }
            }
            assertEquals(expected, pipesAndSockets, "the child's pipes and sockets:\n" + listing);

            // (A pipe's two ends are one inode, so the write end of the passed pipe cannot be
            // told from its read end here; a socket pair's ends are two.)
            List<String> kept = new ArrayList<>();
            for (Handle fd : new Handle[] {passedSocket[0], keptPipe[0], keptPipe[1],
                    keptSocket[0], keptSocket[1], inheritable}) {
                kept.add(" " + os.inode(fd) + "\n");
            }
            for (String line : listing.lines().toList()) {
                for (String k : kept) {
                    assertTrue(!(line + "\n").endsWith(k), "leaked into the child: " + line
                            + "\n" + listing);
                }
            }
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(report[0], report[1], passedPipe[0], passedPipe[1], passedSocket[0],
                    passedSocket[1], keptPipe[0], keptPipe[1], keptSocket[0], keptSocket[1], inheritable);
        }
    }

    @Test
    void spawnOfAProgramThatDoesNotExistFailsAtTheCall() {
        assertThrows(IOException.class, () -> os.spawn(new Platform.SpawnRequest(
                "/nonexistent/mp4j-tck-no-such-program", List.of("x"), List.of(), new Handle[0])));
    }

    private String describe(Handle fd, String kind) throws IOException {
        return kind + " " + os.inode(fd);
    }

    /**
     * A duplicate of {@code fd} without close-on-exec, made with the C library's {@code dup}
     * (a descriptor the backend did not create, as a careless native library would leave one).
     */
    private static Handle inheritableDuplicate(Handle fd) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle dup = linker.downcallHandle(linker.defaultLookup().find("dup").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        int copy = (int) dup.invokeExact((int) fd.value());
        assertTrue(copy >= 0, "dup failed");
        return Handle.of(copy);
    }
}
