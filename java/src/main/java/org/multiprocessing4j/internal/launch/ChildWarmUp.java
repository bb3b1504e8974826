package org.multiprocessing4j.internal.launch;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Pipe;
import org.multiprocessing4j.ProcessInfo;
import org.multiprocessing4j.Task;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.task.TaskStreams;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * What an idle forkserver child and an {@link AotCache} training run do before any task: load
 * the preload classes, link the classes recent tasks came from, and run the bootstrap path
 * ({@link ChildBootstrap}, {@link TaskStreams}, pipes, the hand-off) on throw-away tasks, so
 * that a task handed over later finds it loaded, linked and warm. Nothing here may fail the
 * child: whatever fails during the warm-up fails again, with a report, in the task.
 */
final class ChildWarmUp {
    private ChildWarmUp() {
    }

    /**
     * Loads and links (verifies) a class that recent tasks came from, without initializing it:
     * its static initializer still runs after the hand-off, when the task first uses it, as in a
     * spawned child. A class that cannot be loaded is skipped.
     */
    static void link(String className) {
        try {
            // getDeclaredMethods links the class (and finds $deserializeLambda$, which lambdas
            // that do not travel as shapes still use)
            Class.forName(className, false, ClassLoader.getSystemClassLoader()).getDeclaredMethods();
        } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
            // skipped: it was only a guess
        }
    }

    /** Python's forkserver preload: a class that cannot be loaded is skipped, as Python does. */
    static void preload(String className) {
        try {
            // its reflection data too: deserializing a method reference looks up $deserializeLambda$
            Class.forName(className, true, ClassLoader.getSystemClassLoader()).getDeclaredMethods();
        } catch (ClassNotFoundException | LinkageError e) {
            // skipped: the task will fail with a clear error if it needs the class
        }
    }

    /**
     * Runs the bootstrap path once so that a task handed over later finds it loaded, linked and
     * warm: the first FFM downcalls (~100 ms on their own), pipes and socket pairs, the codec,
     * the hand-off, and both forms a task travels in: a lambda's shape with plain captured
     * values, and Java serialization (a lambda capturing an array, a method reference).
     */
    static void warmUp(Platform os, int rounds) {
        for (int i = 0; i < rounds; i++) {
            warmUpOnce(os);
        }
        spinLambdas(rounds);
    }

    /**
     * Creates {@code count} serializable lambda classes the way rebuilding a task's lambda does
     * ({@code LambdaMetafactory.altMetafactory}): a task's own lambda class is spun at its
     * hand-off unless it was linked ahead, and this is the code that spins it.
     */
    private static void spinLambdas(int count) {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodType run = MethodType.methodType(void.class);
            MethodHandle body = lookup.findStatic(ChildWarmUp.class, "warmUpBody",
                    MethodType.methodType(void.class, Connection.class));
            for (int i = 0; i < count; i++) {
                LambdaMetafactory.altMetafactory(lookup, "run",
                        MethodType.methodType(Task.class, Connection.class), run, body, run,
                        LambdaMetafactory.FLAG_SERIALIZABLE).getTarget();
            }
        } catch (Throwable t) {
            // only a warm-up
        }
    }

    private static void warmUpBody(Connection c) {
        c.isClosed();
    }

    private static void warmUpOnce(Platform os) {
        try (Pipe oneWay = Pipe.open(false); Pipe duplex = Pipe.open(true)) {
            for (Pipe p : List.of(oneWay, duplex)) {
                Connection w = p.second();
                Connection r = p.first();
                // both task forms: plain captured values, and Java serialization (an array)
                TaskStreams.Encoded encoded = TaskStreams.encode(p == oneWay ? warmUpTask(w)
                        : warmUpTask(w, new int[] {1}));
                byte[] frame = SpawnLauncher.bootstrapFrame(new Launcher.Spec("warm-up",
                        new int[] {1}, false, encoded, List.of(), List.of(), 1, 1, List.of()));
                ChildBootstrap.Bootstrap b = ChildBootstrap.parseBootstrap(frame);
                new ProcessInfo(b.name(), os.pid(), b.daemon());
                Handle[] fds = {os.duplicate(Access.connection().descriptor(w).handle())};
                TaskStreams.decode(b.task(), fds).run();
                r.recvBytes();
                r.recv();
                r.poll();
            }
            // a method reference travels as a SerializedLambda ($deserializeLambda$)
            Connection spare = duplex.first();
            TaskStreams.decode(TaskStreams.encode(spare::close).bytes(),
                    new Handle[] {os.duplicate(Access.connection().descriptor(spare).handle())})
                    .run();
            warmUpHandOff(os);
            os.waitForExit(os.pid(), false); // links waitpid (fails: we are not our own child)
        } catch (Exception e) {
            // only a warm-up: whatever failed here fails again, with a report, in the task
        }
    }

    /** A hand-off of one handle and a frame over a socket pair, received as an idle child does. */
    private static void warmUpHandOff(Platform os) throws IOException {
        Handle[] pair = os.socketPair();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment message = arena.allocate(8 + 64);
            message.set(ChildBootstrap.BIG_ENDIAN_INT, 0, 1);
            message.set(ChildBootstrap.BIG_ENDIAN_INT, 4, 64);
            os.sendWithHandles(pair[0], message, message.byteSize(), new Handle[] {pair[1]});
            ChildBootstrap.HandOff h = ChildBootstrap.receiveHandOff(os, pair[1],
                    arena.allocate(ChildBootstrap.HAND_OFF_BUFFER));
            if (h != null) {
                for (Handle fd : h.handles()) {
                    os.close(fd);
                }
            }
        } finally {
            os.close(pair[0]);
            os.close(pair[1]);
        }
    }

    private static Task warmUpTask(Connection c) {
        return () -> {
            c.sendBytes(new byte[] {1});
            c.send("warm");
            c.close();
        };
    }

    private static Task warmUpTask(Connection c, int[] value) {
        return () -> {
            c.sendBytes(new byte[] {(byte) value[0]});
            c.send("warm");
            c.close();
        };
    }
}
