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
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Spawn: a child gets exactly the handles it is given, as its inherited handles in order, and
 * nothing else of the parent's (not even descriptors the parent left inheritable); asking for an
 * inherited handle again gives the same handle, and once asked for it is not inherited by what
 * the child itself executes; an inherited pipe opens as a JDK channel of its own
 * ({@link Platform#openInheritedPipe}) that reads to the pipe's end and leaves the handle open; a
 * program that cannot be started fails the call.
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
            List<String> expectedHandles = new ArrayList<>();
            Set<String> expectedObjects = new TreeSet<>();
            for (int i = 0; i < handles.length; i++) {
                expectedHandles.add("handle " + i + " " + os.inode(handles[i]));
                expectedObjects.add((i == 2 ? "socket " : "fifo ") + os.inode(handles[i]));
            }
            pid = Tck.spawnChild(handles, "fds", Integer.toString(handles.length));
            os.close(report[1]);
            report[1] = null;
            String listing = Tck.readToEnd(report[0]);
            assertEquals(0, Tck.awaitExit(pid).exitCode(), listing);
            pid = -1;

            // Each inherited handle is the object passed at its index.
            List<String> inherited = new ArrayList<>();
            for (String line : listing.lines().filter(l -> l.startsWith("handle ")).toList()) {
                String[] f = line.split(" ");
                inherited.add("handle " + f[1] + " " + f[3]);
            }
            assertEquals(expectedHandles, inherited, listing);
            // The JVM's own files aside, every pipe and socket the child has open is one we passed.
            Set<String> pipesAndSockets = new TreeSet<>();
            for (String line : listing.lines().filter(l -> !l.startsWith("handle ")).toList()) {
                String[] f = line.split(" ");
                if (f[1].equals("fifo") || f[1].equals("socket")) {
                    pipesAndSockets.add(f[1] + " " + f[2]);
                }
            }
            assertEquals(expectedObjects, pipesAndSockets, "the child's pipes and sockets:\n" + listing);

            // (A pipe's two ends are one inode, so the write end of the passed pipe cannot be
            // told from its read end here; a socket pair's ends are two.)
            List<String> kept = new ArrayList<>();
            for (Handle fd : new Handle[] {passedSocket[0], keptPipe[0], keptPipe[1],
                    keptSocket[0], keptSocket[1], inheritable}) {
                kept.add(" " + os.inode(fd));
            }
            for (String line : listing.lines().filter(l -> !l.startsWith("handle ")).toList()) {
                for (String k : kept) {
                    assertTrue(!line.endsWith(k), "leaked into the child: " + line + "\n" + listing);
                }
            }
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(report[0], report[1], passedPipe[0], passedPipe[1], passedSocket[0],
                    passedSocket[1], keptPipe[0], keptPipe[1], keptSocket[0], keptSocket[1], inheritable);
        }
    }

    @Test
    void inheritedHandlesAreTheSameOnEveryAskAndNotInheritedFurther() throws Throwable {
        Handle[] report = os.pipe();
        Handle[] passedPipe = os.pipe();
        Handle[] passedSocket = os.socketPair();
        int pid = -1;
        try {
            Handle[] handles = {report[1], passedPipe[0], passedSocket[1]};
            pid = Tck.spawnChild(handles, "inherited", Integer.toString(handles.length));
            os.close(report[1]);
            report[1] = null;
            String listing = Tck.readToEnd(report[0]);
            assertEquals(0, Tck.awaitExit(pid).exitCode(), listing);
            pid = -1;
            assertEquals("handle 0 true true\nhandle 1 true true\nhandle 2 true true\n", listing,
                    "each line: handle i, both asks equal, close-on-exec");
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(report[0], report[1], passedPipe[0], passedPipe[1], passedSocket[0],
                    passedSocket[1]);
        }
    }

    @Test
    void anInheritedPipeOpensAsAChannelOfTheJdkThatReadsToItsEnd() throws Throwable {
        Handle[] report = os.pipe();
        Handle[] passedPipe = os.pipe();
        int pid = -1;
        try {
            pid = Tck.spawnChild(new Handle[] {report[1], passedPipe[0]}, "pipe-channel");
            os.close(report[1]);
            report[1] = null;
            os.close(passedPipe[0]);
            passedPipe[0] = null;
            Tck.write(passedPipe[1], "from the parent");
            os.close(passedPipe[1]); // end of stream for the child
            passedPipe[1] = null;
            String said = Tck.readToEnd(report[0]);
            assertEquals(0, Tck.awaitExit(pid).exitCode(), said);
            pid = -1;
            assertEquals("from the parent | handle 1 open true", said);
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(report[0], report[1], passedPipe[0], passedPipe[1]);
        }
    }

    @Test
    void spawnOfAProgramThatDoesNotExistFailsAtTheCall() {
        assertThrows(IOException.class, () -> os.spawn(new Platform.SpawnRequest(
                "/nonexistent/mp4j-tck-no-such-program", List.of("x"), List.of(), new Handle[0])));
    }

    /**
     * A duplicate of {@code handle} that children would inherit, made with the C library's
     * {@code dup} (a descriptor the backend did not create, as a careless native library would
     * leave one). POSIX: a handle is a descriptor.
     */
    private static Handle inheritableDuplicate(Handle handle) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle dup = linker.downcallHandle(linker.defaultLookup().find("dup").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        int copy = (int) dup.invokeExact((int) handle.value());
        assertTrue(copy >= 0, "dup failed");
        return Handle.of(copy);
    }
}
