package org.multiprocessing4j.internal.launch;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * The {@code spawn} start method: a fresh JVM running {@link ChildMain}, started by
 * {@link Platform#spawn}.
 *
 * <h2>Bootstrap protocol</h2>
 * The child inherits exactly these handles ({@link Platform#spawn}): handle 0, one end of a
 * socket pair (the parent keeps the other), handle 1, the reading end of a pipe (the parent keeps
 * the writing end), and handles 2.. for the connections and shared memory its task captured
 * ({@link TaskStreams#FIRST_TASK_HANDLE}); it takes each with {@link Platform#inheritedHandle},
 * which also keeps anything it executes from inheriting them. The pipe (the frame pipe) carries
 * the bootstrap frame, so that the child can read it, and later wait for its end, with the JDK's
 * own file channel ({@link Platform#openInheritedPipe}) before it links any native call; the
 * socket (the bootstrap socket) carries the reports. In {@link Connection} frames (4-byte
 * big-endian length, bytes):
 * <pre>
 * parent → child, once, on the frame pipe:
 *                         int magic 'MP4J', int version, int parentPid, UTF parentName,
 *                         int n, n × int identity, UTF name, boolean daemon,
 *                         int descriptors (how many the task's handles refer to),
 *                         int length, length bytes task ({@link TaskStreams}: a lambda's
 *                         shape and plain captured values, or Java serialization)
 * child → parent, at end, on the bootstrap socket:
 *                         byte 'S', int stop              (ended by a stop request), or
 *                         byte 'E', UTF text, int length, length bytes serialized Throwable
 *                         (length 0 when it could not be serialized)
 * </pre>
 * A child that handles a stop request ({@link Platform.Stop#TERMINATE} or
 * {@link Platform.Stop#INTERRUPT}) reports it before it exits through its shutdown hooks, with
 * the number {@link Platform#handleStopRequests} gives it; the parent hands that number back to
 * {@link Platform#afterStopReport}, which reports the child as ended by that request. What the
 * number is belongs to the backend: this class only carries it.
 *
 * <p>The parent never closes its ends while the child runs, so the child reads end of stream on
 * the frame pipe (or the bootstrap socket) only when the parent has died; it then exits at once.
 * A {@code forkserver} child ({@link ForkserverLauncher}) has no frame pipe: it is handed the
 * frame on its bootstrap socket ({@link ChildBootstrap#receiveHandOff}) and otherwise speaks the
 * same protocol.
 */
public final class SpawnLauncher implements Launcher {
    static final SpawnLauncher INSTANCE = new SpawnLauncher();
    static final int MAGIC = 0x4D50344A; // "MP4J"
    static final int VERSION = 4;
    static final byte REPORT_STOP = 'S';
    public static final byte REPORT_FAILURE = 'E';

    private static final Platform OS = Platform.current();

    private SpawnLauncher() {
    }

    @Override
    public Launched launch(Spec spec) throws IOException {
        byte[] frame = bootstrapFrame(spec); // before spawning: a bad name must not strand a child
        return launch(spec, frame, ChildCommand.of(spec.jvmOptions(), List.of()));
    }

    /**
     * Spawns the child of {@code spec}, whose bootstrap frame is {@code frame}, with
     * {@code command} ({@link ChildCommand} of a spawned child); what {@link #launch(Spec)} does
     * after it has built both, and what the forkserver does when no idle child is warm.
     */
    static Child launch(Spec spec, byte[] frame, ChildCommand command) throws IOException {
        Child child = start(command.arguments(), spec.task().descriptors(), true);
        try {
            child.sendFrame(frame);
        } catch (EOFException e) {
            // The child died before reading (for example a bad JVM option): its exit code says why.
        } catch (IOException | RuntimeException | Error e) {
            child.killAndReap(); // never strand a child that cannot get its task
            throw e;
        }
        return child;
    }

    /**
     * Spawns a child JVM with the bootstrap socket as its inherited handle 0, with
     * {@code framePipe} the frame pipe's reading end as handle 1, and {@code passed} after them;
     * hands back its pid, sentinel and our ends of the socket and pipe.
     *
     * @param framePipe whether the child gets a frame pipe (spawn: yes; an idle forkserver child
     *     is handed its frame on the socket)
     * @throws IOException if it cannot be started; nothing is left behind
     */
    static Child start(List<String> arguments, List<Descriptor> passed, boolean framePipe)
            throws IOException {
        Handle[] boot = OS.socketPair();
        Connection parentEnd = Access.connection().open(boot[0], true, true, Codec.defaults());
        Descriptor childEnd = new Descriptor(boot[1]);
        Descriptor frameOut = null;
        Descriptor frameIn = null;
        int first = framePipe ? 2 : 1;
        Descriptor[] held = new Descriptor[passed.size()];
        int pid;
        try {
            if (framePipe) {
                Handle[] pipe = OS.pipe();
                frameIn = new Descriptor(pipe[0]);
                frameOut = new Descriptor(pipe[1]);
            }
            Handle[] fds = new Handle[first + passed.size()];
            fds[0] = boot[1];
            if (framePipe) {
                fds[1] = frameIn.handle();
            }
            for (int i = 0; i < held.length; i++) {
                Descriptor d = passed.get(i);
                fds[first + i] = d.acquire(); // throws if the user closed it meanwhile
                held[i] = d;
            }
            pid = OS.spawn(new Platform.SpawnRequest(arguments.get(0), arguments, environment(), fds));
        } catch (IOException | RuntimeException e) {
            parentEnd.close();
            if (frameOut != null) {
                frameOut.close();
            }
            throw e;
        } finally {
            for (Descriptor d : held) {
                if (d != null) {
                    d.release();
                }
            }
            childEnd.close();
            if (frameIn != null) {
                frameIn.close();
            }
        }
        Descriptor sentinel;
        try {
            sentinel = new Descriptor(OS.openProcessHandle(pid));
        } catch (IOException e) {
            OS.stop(pid, Platform.Stop.KILL);
            OS.waitForExit(pid, true);
            parentEnd.close();
            if (frameOut != null) {
                frameOut.close();
            }
            throw e;
        }
        return new Child(pid, sentinel, parentEnd, frameOut);
    }

    static byte[] bootstrapFrame(Spec spec) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(spec.task().bytes().length + 128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(OS.pid());
            out.writeUTF(CurrentProcess.info().name());
            out.writeInt(spec.identity().length);
            for (int i : spec.identity()) {
                out.writeInt(i);
            }
            out.writeUTF(spec.name());
            out.writeBoolean(spec.daemon());
            out.writeInt(spec.task().descriptors().size());
            out.writeInt(spec.task().bytes().length);
            out.write(spec.task().bytes());
        }
        return bytes.toByteArray();
    }

    private static List<String> environment() {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        return env;
    }

    /**
     * A child started by {@code posix_spawn}, running {@link ChildMain}: its pid, its sentinel
     * and our end of its bootstrap socket (used by both {@code spawn} and {@code forkserver}).
     */
    static final class Child implements Launched {
        private final int pid;
        private final Descriptor sentinel;
        final Connection channel;
        /** Our end of the frame pipe, or {@code null} (a forkserver child); open until closed. */
        private final Descriptor frameOut;
        /**
         * The most report bytes read from a dead child: its records are far smaller (a failure
         * report is cut at some 100 KB), a process that holds its end of the socket could send
         * without end.
         */
        private static final int MAX_REPORTS = 2 << 20;
        /** An idle forkserver child has reported {@link ChildMain#READY}; read under its pool's lock. */
        boolean ready;
        /** {@link System#nanoTime()} when it was started: how long idle children take to be warm. */
        final long startedNanos = System.nanoTime();

        Child(int pid, Descriptor sentinel, Connection channel, Descriptor frameOut) {
            this.pid = pid;
            this.sentinel = sentinel;
            this.channel = channel;
            this.frameOut = frameOut;
        }

        /**
         * Writes the bootstrap frame on the frame pipe as one {@link Connection} frame (4-byte
         * big-endian length, bytes); blocks while the pipe is full and the child reads. A pipe
         * holds 64 KiB on Linux (the bootstrap socket it replaced buffered about 208 KiB), so the
         * start of a task whose frame is larger waits until the child JVM has started and reads
         * it: tens to hundreds of milliseconds, on the calling thread.
         *
         * @throws java.io.EOFException if the child died before reading it
         * @throws IOException on another error of the pipe
         */
        void sendFrame(byte[] frame) throws IOException {
            Handle fd = frameOut.acquire();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment bytes = arena.allocate(4L + frame.length);
                bytes.set(ChildBootstrap.BIG_ENDIAN_INT, 0, frame.length);
                MemorySegment.copy(frame, 0, bytes, ValueLayout.JAVA_BYTE, 4, frame.length);
                OS.writeFully(fd, bytes, bytes.byteSize());
            } finally {
                frameOut.release();
            }
        }

        /** Kills and reaps the child, then releases the descriptors; for a child we give up on. */
        void killAndReap() {
            try {
                OS.stop(pid, Platform.Stop.KILL);
                OS.waitForExit(pid, true);
            } catch (IOException e) {
                // already reaped
            } finally {
                close();
            }
        }

        @Override
        public int pid() {
            return pid;
        }

        @Override
        public Descriptor sentinel() {
            return sentinel;
        }

        /**
         * {@inheritDoc} Reads only what is in the socket now, at most {@link #MAX_REPORTS}
         * bytes: the child has been reaped, so everything it wrote is there already. Waiting for
         * more could last forever — a record cut short by the child's death stays incomplete
         * while another process (a grandchild that inherited or was handed the child's end)
         * keeps the socket open — and the caller holds {@link ChildProcess}'s lock. A partial
         * record is ignored.
         */
        @Override
        public Report collectReport() {
            Report report = Report.NONE;
            try {
                byte[] pending = drain();
                ByteBuffer records = ByteBuffer.wrap(pending); // big-endian, as Connection frames
                while (records.remaining() >= 4) {
                    long length = records.getInt();
                    if (length == -1) {
                        if (records.remaining() < 8) {
                            break;
                        }
                        length = records.getLong();
                    }
                    if (length < 0 || length > records.remaining()) {
                        break; // cut short by the child's death, or garbled
                    }
                    byte[] record = new byte[(int) length];
                    records.get(record);
                    report = parse(record, report);
                }
            } catch (IOException | RuntimeException | LinkageError | StackOverflowError e) {
                // a socket error, a garbled record, or an exception that cannot be rebuilt here:
                // keep what we have
            } finally {
                channel.close();
                if (frameOut != null) {
                    frameOut.close();
                }
            }
            return report;
        }

        /**
         * {@return what can be read from the channel without blocking, at most MAX_REPORTS bytes}
         * Reads the socket, not through {@link #channel}: that was only ever used to receive an
         * idle child's READY record, before its hand-off and so before any report, and holds
         * nothing of them in its buffer.
         */
        private byte[] drain() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Descriptor d = Access.connection().descriptor(channel);
            Handle fd = d.acquire();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(64 * 1024);
                while (out.size() < MAX_REPORTS) {
                    long n = OS.readNow(fd, buffer, Math.min(buffer.byteSize(),
                            MAX_REPORTS - out.size()));
                    if (n <= 0) {
                        break; // nothing more now (-1), or end of stream (0)
                    }
                    out.write(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
                }
            } finally {
                d.release();
            }
            return out.toByteArray();
        }

        private static Report parse(byte[] record, Report previous) throws IOException {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(record));
            byte type = in.readByte();
            if (type == REPORT_STOP) {
                return new Report(in.readInt(), previous.failure(), previous.cause());
            }
            if (type == REPORT_FAILURE) {
                String text = in.readUTF();
                byte[] serialized = in.readNBytes(in.readInt());
                return new Report(previous.signal(), text, deserialize(serialized));
            }
            return previous;
        }

        private static Throwable deserialize(byte[] bytes) {
            if (bytes.length == 0) {
                return null;
            }
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
                in.setObjectInputFilter(ObjectInputFilter.Config.createFilter(
                        "maxdepth=64;maxrefs=100000;maxbytes=" + bytes.length));
                return in.readObject() instanceof Throwable t ? t : null;
            } catch (IOException | ClassNotFoundException | RuntimeException | LinkageError
                     | StackOverflowError e) {
                return null; // the message text still carries the remote stack trace
            }
        }

        @Override
        public void close() {
            channel.close();
            if (frameOut != null) {
                frameOut.close();
            }
            sentinel.close();
        }
    }
}
