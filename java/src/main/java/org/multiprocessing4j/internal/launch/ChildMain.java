package org.multiprocessing4j.internal.launch;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Proxy;
import java.util.List;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Pipe;
import org.multiprocessing4j.ProcessInfo;
import org.multiprocessing4j.Task;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.task.TaskLambdas;
import org.multiprocessing4j.internal.task.TaskStreams;
import org.multiprocessing4j.platform.Platform;

/**
 * The main class of a child JVM (see {@link SpawnLauncher} for the protocol): makes sure the
 * child dies with its parent, reads the task, runs it and reports how it ended.
 *
 * <p>Arguments: {@code parentPid [mode …]}. Modes:
 * <ul>
 * <li>none ({@code spawn}): the task's descriptors are inherited as 4, 5, …</li>
 * <li>{@code forkserver class… [--link class…] [--lambda shape…]}: an idle child of {@link
 *     ForkserverLauncher}. It loads and initializes the preload classes, loads and links those
 *     after {@code --link} (where recent tasks came from), warms up the bootstrap path (first FFM
 *     downcalls, pipes, the hand-off, the task codec), links the lambdas after {@code --lambda}
 *     ({@link TaskLambdas#prelink}: the shapes of recent tasks), reports {@link #READY} and waits
 *     on descriptor 3 for its hand-off, one message: a 4-byte count carrying that many
 *     descriptors ({@code SCM_RIGHTS}), then the bootstrap frame. End of stream while idle means
 *     the parent died or shut the pool down: it exits at once.</li>
 * <li>{@code train}: the training run of an {@link AotCache}: the same warm-up, then exit 0.</li>
 * </ul>
 *
 * <p>Exit: a normal return ends the JVM as Java does (after non-daemon threads, code 0, like
 * Python joining non-daemon threads); an uncaught exception prints its stack trace, reports it and
 * exits with 1; SIGTERM/SIGINT report the signal, then run the shutdown hooks.
 */
public final class ChildMain {
    /** Exit code when the bootstrap fails (the parent sees it; stderr says why). */
    private static final int BOOTSTRAP_FAILED = 70;
    /** The descriptor a child is started with for its bootstrap socket (see the class comment). */
    static final int BOOTSTRAP_FD = 3;
    /** Largest failure report; longer stack traces are cut. */
    private static final int MAX_REPORT = 48 * 1024;
    /** Mode argument of an idle forkserver child. */
    static final String MODE_FORKSERVER = "forkserver";
    /** Separates the preload classes of a forkserver child from those it only links. */
    public static final String LEARNED = "--link";
    /** Separates the classes a forkserver child links from the lambdas it links. */
    public static final String LEARNED_LAMBDAS = "--lambda";
    /** Mode argument of an AOT training run. */
    static final String MODE_TRAIN = "train";
    /** Warm-up rounds of an idle child: enough for the interpreter to profile the hand-off path. */
    private static final int WARM_UP_ROUNDS = 50;
    /** Bytes an idle child reads its hand-off into at once; a larger task is read after them. */
    private static final long HAND_OFF_BUFFER = 64 * 1024;
    private static final ValueLayout.OfInt BIG_ENDIAN_INT =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    /** Record type an idle child sends once it is warm (ignored by report parsing). */
    static final byte READY = 'R';

    private ChildMain() {
    }

    static void main(String[] args) {
        Platform os = Platform.current();
        int expectedParent = Integer.parseInt(args[0]);
        String mode = args.length > 1 ? args[1] : "spawn";
        try {
            os.setParentDeathSignal(Platform.SIGKILL);
        } catch (IOException e) {
            System.err.println("multiprocessing4j child: " + e.getMessage());
        }
        if (os.parentPid() != expectedParent) { // the parent died before the line above
            Runtime.getRuntime().halt(BOOTSTRAP_FAILED);
        }
        if (mode.equals(MODE_TRAIN)) {
            warmUp(os, 1);
            installSignalHandlers(null);
            System.exit(0);
        }
        Connection boot = Access.connection().open(BOOTSTRAP_FD, true, true, Codec.defaults());
        int[] received = null;
        byte[] frame = null;
        Thread watchdog = new Thread(() -> watchParent(os), "mp4j-parent-watchdog");
        watchdog.setDaemon(true);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> releaseWatchdog(os),
                "mp4j-release-watchdog"));
        if (mode.equals(MODE_FORKSERVER)) {
            try {
                os.setCloseOnExec(BOOTSTRAP_FD); // its task's descriptors arrive close-on-exec
            } catch (IOException e) {
                System.err.println("multiprocessing4j child: " + e.getMessage());
                Runtime.getRuntime().halt(BOOTSTRAP_FAILED);
            }
            String section = "";
            List<String> lambdas = new java.util.ArrayList<>();
            for (int i = 2; i < args.length; i++) {
                switch (args[i]) {
                    case LEARNED, LEARNED_LAMBDAS -> section = args[i];
                    default -> {
                        switch (section) {
                            case LEARNED -> link(args[i]);
                            case LEARNED_LAMBDAS -> lambdas.add(args[i]);
                            default -> preload(args[i]);
                        }
                    }
                }
            }
            warmUp(os, WARM_UP_ROUNDS);
            MemorySegment handOffBuffer = Arena.ofAuto().allocate(HAND_OFF_BUFFER);
            for (String shape : lambdas) {
                TaskLambdas.prelink(shape, ClassLoader.getSystemClassLoader());
            }
            installSignalHandlers(boot);
            watchdog.start();
            report(boot, new byte[] {READY});
            HandOff handOff = awaitHandOff(os, handOffBuffer);
            received = handOff.descriptors();
            frame = handOff.frame();
        }
        Task task;
        try {
            task = readBootstrap(os, frame != null ? frame : boot.recvBytes(), received);
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            System.err.println("multiprocessing4j child: cannot start the task: " + e);
            e.printStackTrace();
            report(boot, failureRecord(e));
            System.exit(BOOTSTRAP_FAILED);
            return;
        }
        if (received == null) {
            installSignalHandlers(boot);
            watchdog.start();
        }
        try {
            task.run();
        } catch (Throwable t) {
            System.err.println("Process " + ChildProcess.currentProcess().name() + ":");
            t.printStackTrace();
            System.err.flush();
            report(boot, failureRecord(t));
            System.exit(1);
        }
        System.out.flush();
    }

    private static void installSignalHandlers(Connection boot) {
        handleSignal("TERM", Platform.SIGTERM, boot);
        handleSignal("INT", Platform.SIGINT, boot);
    }

    /**
     * Loads and links (verifies) a class that recent tasks came from, without initializing it:
     * its static initializer still runs after the hand-off, when the task first uses it, as in a
     * spawned child. A class that cannot be loaded is skipped.
     */
    private static void link(String className) {
        try {
            // getDeclaredMethods links the class (and finds $deserializeLambda$, which lambdas
            // that do not travel as shapes still use)
            Class.forName(className, false, ClassLoader.getSystemClassLoader()).getDeclaredMethods();
        } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
            // skipped: it was only a guess
        }
    }

    /** Python's forkserver preload: a class that cannot be loaded is skipped, as Python does. */
    private static void preload(String className) {
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
            MethodHandle body = lookup.findStatic(ChildMain.class, "warmUpBody",
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
                Bootstrap b = parseBootstrap(SpawnLauncher.bootstrapFrame(new Launcher.Spec(
                        "warm-up", new int[] {1}, false, encoded, List.of(), List.of(), 1,
                        List.of())));
                new ProcessInfo(b.name(), os.pid(), b.daemon());
                int[] fds = {os.duplicate(Access.connection().descriptor(w).number())};
                TaskStreams.decode(b.task(), fds).run();
                r.recvBytes();
                r.recv();
                r.poll();
            }
            // a method reference travels as a SerializedLambda ($deserializeLambda$)
            Connection spare = duplex.first();
            TaskStreams.decode(TaskStreams.encode(spare::close).bytes(),
                    new int[] {os.duplicate(Access.connection().descriptor(spare).number())}).run();
            warmUpHandOff(os);
            os.waitForExit(os.pid(), false); // links waitpid (fails: we are not our own child)
        } catch (Exception e) {
            // only a warm-up: whatever failed here fails again, with a report, in the task
        }
    }

    /** A hand-off of one descriptor and a frame over a socket pair, received as an idle child does. */
    private static void warmUpHandOff(Platform os) throws IOException {
        int[] pair = os.socketPair();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment message = arena.allocate(8 + 64);
            message.set(BIG_ENDIAN_INT, 0, 1);
            message.set(BIG_ENDIAN_INT, 4, 64);
            os.sendWithDescriptors(pair[0], message, message.byteSize(), new int[] {pair[1]});
            HandOff h = receiveHandOff(os, pair[1], arena.allocate(HAND_OFF_BUFFER));
            if (h != null) {
                for (int fd : h.descriptors()) {
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

    /**
     * Waits for the hand-off of an idle child on descriptor 3 (see {@link #receiveHandOff}).
     * Exits at once on end of stream (the parent died or shut the pool down).
     */
    private static HandOff awaitHandOff(Platform os, MemorySegment buffer) {
        try {
            HandOff handOff = receiveHandOff(os, BOOTSTRAP_FD, buffer);
            if (handOff == null) {
                awaitExitIfExiting();
                Runtime.getRuntime().halt(0); // not handed a task: nothing to report
            }
            return handOff;
        } catch (IOException e) {
            awaitExitIfExiting();
            System.err.println("multiprocessing4j child: bad hand-off: " + e);
            Runtime.getRuntime().halt(BOOTSTRAP_FAILED);
            return null;
        }
    }

    /**
     * If this JVM is already exiting (a SIGTERM's handler called {@code System.exit}, and
     * {@link #releaseWatchdog} shut descriptor 3 down, which is why the hand-off ended), lets
     * that exit finish with its own code instead of halting with another.
     */
    private static void awaitExitIfExiting() {
        while (exiting) {
            java.util.concurrent.locks.LockSupport.park();
        }
    }

    /** What an idle child is handed: the task's descriptors and the bootstrap frame. */
    record HandOff(int[] descriptors, byte[] frame) {
    }

    /**
     * Receives a hand-off, one message from {@link ForkserverLauncher}: a 4-byte big-endian count
     * that carries that many descriptors, then the bootstrap frame as a {@link Connection} frame
     * (4-byte big-endian length, bytes). Usually one {@code recvmsg} into {@code buffer} gets it
     * all; the rest of a frame larger than {@code buffer} is read after it.
     *
     * @return the hand-off, or {@code null} at end of stream
     * @throws IOException if the count and the descriptors disagree, the frame length is
     *     negative or more than the frame arrived, or on a socket error; descriptors received
     *     are closed then
     */
    static HandOff receiveHandOff(Platform os, int socket, MemorySegment buffer)
            throws IOException {
        Platform.Received first = os.receiveWithDescriptors(socket, buffer, buffer.byteSize(),
                Platform.MAX_PASSED_DESCRIPTORS);
        int[] fds = first.descriptors();
        boolean done = false;
        try {
            long got = first.bytes();
            while (got < 8) {
                long r = got == 0 ? 0 : os.read(socket, buffer.asSlice(got), 8 - got);
                if (r == 0) {
                    return null;
                }
                got += r;
            }
            int count = buffer.get(BIG_ENDIAN_INT, 0);
            if (count != fds.length) {
                throw new IOException("the hand-off announced " + count + " descriptors but "
                        + fds.length + " arrived");
            }
            int length = buffer.get(BIG_ENDIAN_INT, 4);
            if (length < 0 || got - 8 > length) {
                throw new IOException("bad hand-off frame: length " + length + ", " + (got - 8)
                        + " bytes arrived");
            }
            byte[] frame = new byte[length];
            int have = (int) (got - 8);
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 8, frame, 0, have);
            while (have < length) {
                long r = os.read(socket, buffer, Math.min(buffer.byteSize(), length - have));
                if (r == 0) {
                    return null;
                }
                MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, frame, have, (int) r);
                have += (int) r;
            }
            done = true;
            return new HandOff(fds, frame);
        } finally {
            if (!done) {
                for (int fd : fds) {
                    os.close(fd);
                }
            }
        }
    }

    /**
     * Parses the bootstrap frame and decodes the task.
     *
     * @param received the descriptors a forkserver child received, or {@code null} when they are
     *     inherited (spawn)
     */
    private static Task readBootstrap(Platform os, byte[] frame, int[] received)
            throws IOException, ClassNotFoundException {
        Bootstrap b = parseBootstrap(frame);
        CurrentProcess.becomeChild(b.identity(), new ProcessInfo(b.name(), os.pid(), b.daemon()),
                new ProcessInfo(b.parentName(), b.parentPid(), false));
        int[] fds = received != null ? received : TaskStreams.inheritedDescriptors(b.descriptors());
        if (fds.length != b.descriptors()) {
            throw new IOException("the task needs " + b.descriptors() + " descriptors, "
                    + fds.length + " arrived");
        }
        if (received == null) {
            // posix_spawn mapped them without close-on-exec (it cannot do otherwise): a program
            // the task executes (or -XX:OnError, or a library) must not inherit them
            os.setCloseOnExec(BOOTSTRAP_FD);
            for (int fd : fds) {
                os.setCloseOnExec(fd);
            }
        }
        return TaskStreams.decode(b.task(), fds);
    }

    /** The bootstrap frame, parsed (see {@link SpawnLauncher} for its layout). */
    private record Bootstrap(int parentPid, String parentName, int[] identity, String name,
                             boolean daemon, int descriptors, byte[] task) {
    }

    private static Bootstrap parseBootstrap(byte[] frame) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(frame));
        int magic = in.readInt();
        int version = in.readInt();
        if (magic != SpawnLauncher.MAGIC || version != SpawnLauncher.VERSION) {
            throw new IOException("bootstrap frame has magic 0x" + Integer.toHexString(magic)
                    + " version " + version + ", expected 0x"
                    + Integer.toHexString(SpawnLauncher.MAGIC) + " version " + SpawnLauncher.VERSION
                    + ": parent and child run different multiprocessing4j versions");
        }
        int parentPid = in.readInt();
        String parentName = in.readUTF();
        int[] identity = new int[in.readInt()];
        for (int i = 0; i < identity.length; i++) {
            identity[i] = in.readInt();
        }
        String name = in.readUTF();
        boolean daemon = in.readBoolean();
        int descriptors = in.readInt();
        byte[] task = in.readNBytes(in.readInt());
        return new Bootstrap(parentPid, parentName, identity, name, daemon, descriptors, task);
    }

    /**
     * Blocks until the parent's end of the bootstrap socket (descriptor 3) closes, which means it
     * died, then exits; returns quietly when this JVM is exiting anyway ({@link
     * #releaseWatchdog}). Polls for no event: a socket whose peer has closed reports {@code
     * POLLHUP} regardless, and the hand-off or other traffic on the socket neither wakes this
     * thread nor competes with the main thread reading it.
     */
    private static void watchParent(Platform os) {
        int[] fds = {BOOTSTRAP_FD};
        short[] none = {0};
        short[] ready = new short[1];
        short gone = Platform.POLL_HUP | Platform.POLL_ERR | Platform.POLL_NVAL;
        try {
            while (os.poll(fds, none, ready, -1) == 0 || (ready[0] & gone) == 0) {
                // nothing else can be reported
            }
        } catch (IOException | RuntimeException e) {
            // the socket is unusable: as good as closed
        }
        if (!exiting) {
            Runtime.getRuntime().halt(BOOTSTRAP_FAILED);
        }
    }

    /** Set by the shutdown hook before it wakes the watchdog: a hang-up no longer means death. */
    private static volatile boolean exiting;

    /**
     * Shutdown hook: wakes the watchdog out of its blocking poll (shutting our end down reports
     * {@code POLLHUP} to it). HotSpot's exit waits up to 300 ms for every thread still inside
     * native code (a blocked downcall counts), so without this every child took 300 ms longer to
     * exit after its task. Reports were sent before {@code System.exit}, so the parent still
     * reads them before the end of stream.
     */
    private static void releaseWatchdog(Platform os) {
        exiting = true;
        try {
            os.shutdown(BOOTSTRAP_FD);
        } catch (IOException | RuntimeException e) {
            // the watchdog then holds the exit up for a moment, as before
        }
    }

    /**
     * Reports {@code number} to the parent, then exits through the shutdown hooks, when the signal
     * arrives. Uses {@code sun.misc.Signal} (module jdk.unsupported) reflectively: javac flags any
     * direct use as proprietary API with a warning that cannot be suppressed.
     */
    private static void handleSignal(String name, int number, Connection boot) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object h = Proxy.newProxyInstance(ChildMain.class.getClassLoader(),
                    new Class<?>[] {handler}, (proxy, method, margs) -> {
                        switch (method.getName()) {
                            case "handle" -> {
                                Access.childProcess().exitingOnSignal();
                                if (boot != null) {
                                    report(boot, signalRecord(number));
                                }
                                System.exit(128 + number);
                                return null;
                            }
                            case "hashCode" -> {
                                return System.identityHashCode(proxy);
                            }
                            case "equals" -> {
                                return proxy == margs[0];
                            }
                            default -> {
                                return "mp4j-" + name + "-handler";
                            }
                        }
                    });
            Object sig = signal.getConstructor(String.class).newInstance(name);
            signal.getMethod("handle", signal, handler).invoke(null, sig, h);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // the JVM reserves the signal (for example with -Xrs): keep the default behaviour
        }
    }

    private static byte[] signalRecord(int signal) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(SpawnLauncher.REPORT_SIGNAL);
            out.writeInt(signal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    private static byte[] failureRecord(Throwable t) {
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        String text = trace.toString();
        if (text.length() > MAX_REPORT / 4) {
            text = text.substring(0, MAX_REPORT / 4) + "\n\t... (cut)";
        }
        byte[] serialized;
        try {
            ByteArrayOutputStream s = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(s)) {
                out.writeObject(t);
            }
            serialized = s.size() <= MAX_REPORT ? s.toByteArray() : new byte[0];
        } catch (IOException | RuntimeException e) {
            serialized = new byte[0];
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(SpawnLauncher.REPORT_FAILURE);
            out.writeUTF(text);
            out.writeInt(serialized.length);
            out.write(serialized);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    private static void report(Connection boot, byte[] record) {
        try {
            boot.sendBytes(record);
        } catch (IOException e) {
            // the parent is gone: nobody to tell
        }
    }
}
