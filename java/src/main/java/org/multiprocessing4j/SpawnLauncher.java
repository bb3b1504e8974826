package org.multiprocessing4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.platform.Platform;

/**
 * The {@code spawn} start method: {@code posix_spawn} of a fresh JVM running {@link ChildMain}.
 *
 * <h2>Bootstrap protocol</h2>
 * The child gets descriptor 3, one end of a socket pair (the parent keeps the other), and
 * descriptors 4.. for the connections its task captured. Over descriptor 3, in
 * {@link Connection} frames:
 * <pre>
 * parent → child, once:   int magic 'MP4J', int version, int parentPid, UTF parentName,
 *                         int n, n × int identity, UTF name, boolean daemon,
 *                         int length, length bytes serialized task
 * child → parent, at end: byte 'S', int signal            (ended by SIGTERM/SIGINT), or
 *                         byte 'E', UTF text, int length, length bytes serialized Throwable
 *                         (length 0 when it could not be serialized)
 * </pre>
 * The parent never closes its end while the child runs, so the child reads end of stream on
 * descriptor 3 only when the parent has died; it then exits at once.
 */
final class SpawnLauncher implements Launcher {
    static final SpawnLauncher INSTANCE = new SpawnLauncher();
    static final int MAGIC = 0x4D50344A; // "MP4J"
    static final int VERSION = 1;
    static final byte REPORT_SIGNAL = 'S';
    static final byte REPORT_FAILURE = 'E';

    /** Options every child JVM gets before the user's: quick start, small footprint. */
    static final List<String> BASE_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:-UsePerfData",
            "-Xshare:auto");

    private static final Platform OS = Platform.current();

    private SpawnLauncher() {
    }

    @Override
    public Launched launch(Spec spec) throws IOException {
        List<Descriptor> passed = spec.task().descriptors();
        byte[] frame = bootstrapFrame(spec); // before spawning: a bad name must not strand a child
        int[] boot = OS.socketPair();
        Connection parentEnd = new Connection(boot[0], true, true, Codec.defaults());
        Descriptor childEnd = new Descriptor(boot[1]);
        Descriptor[] held = new Descriptor[passed.size()];
        int pid;
        try {
            int[] fds = new int[1 + passed.size()];
            fds[0] = boot[1];
            for (int i = 0; i < held.length; i++) {
                Descriptor d = passed.get(i);
                fds[1 + i] = d.acquire(); // throws if the user closed it meanwhile
                held[i] = d;
            }
            pid = OS.spawn(new Platform.SpawnRequest(javaExecutable(), commandLine(spec),
                    environment(), fds));
        } catch (IOException | RuntimeException e) {
            parentEnd.close();
            throw e;
        } finally {
            for (Descriptor d : held) {
                if (d != null) {
                    d.release();
                }
            }
            childEnd.close();
        }
        Descriptor sentinel;
        try {
            sentinel = new Descriptor(OS.openProcessHandle(pid));
        } catch (IOException e) {
            OS.signal(pid, Platform.SIGKILL);
            OS.waitForExit(pid, true);
            parentEnd.close();
            throw e;
        }
        try {
            parentEnd.sendBytes(frame);
        } catch (EOFException e) {
            // The child died before reading (for example a bad JVM option): its exit code says why.
        } catch (IOException | RuntimeException | Error e) {
            OS.signal(pid, Platform.SIGKILL); // never strand a child that cannot get its task
            OS.waitForExit(pid, true);
            sentinel.close();
            parentEnd.close();
            throw e;
        }
        return new SpawnedChild(pid, sentinel, parentEnd);
    }

    private static byte[] bootstrapFrame(Spec spec) throws IOException {
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
            out.writeInt(spec.task().bytes().length);
            out.write(spec.task().bytes());
        }
        return bytes.toByteArray();
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static List<String> commandLine(Spec spec) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaExecutable());
        cmd.addAll(BASE_OPTIONS);
        boolean modular = SpawnLauncher.class.getModule().isNamed();
        cmd.add(modular ? "--enable-native-access=org.multiprocessing4j"
                : "--enable-native-access=ALL-UNNAMED");
        cmd.addAll(spec.jvmOptions());
        String extra = System.getProperty("mp4j.childJvmOptions", "").strip();
        if (!extra.isEmpty()) {
            cmd.addAll(Arrays.asList(extra.split("\\s+")));
        }
        String classPath = System.getProperty("java.class.path", "");
        if (!classPath.isEmpty()) {
            cmd.add("-cp");
            cmd.add(classPath);
        }
        String modulePath = System.getProperty("jdk.module.path", "");
        if (modular) {
            cmd.add("--module-path");
            cmd.add(modulePath);
            cmd.add("--add-modules");
            cmd.add("ALL-MODULE-PATH");
            cmd.add("-m");
            cmd.add("org.multiprocessing4j/" + ChildMain.class.getName());
        } else {
            if (!modulePath.isEmpty()) {
                cmd.add("--module-path");
                cmd.add(modulePath);
                cmd.add("--add-modules");
                cmd.add("ALL-MODULE-PATH");
            }
            cmd.add(ChildMain.class.getName());
        }
        cmd.add(Integer.toString(OS.pid()));
        return cmd;
    }

    private static List<String> environment() {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        return env;
    }

    /** A child started by {@code posix_spawn}. */
    private static final class SpawnedChild implements Launched {
        private final int pid;
        private final Descriptor sentinel;
        private final Connection channel;

        SpawnedChild(int pid, Descriptor sentinel, Connection channel) {
            this.pid = pid;
            this.sentinel = sentinel;
            this.channel = channel;
        }

        @Override
        public int pid() {
            return pid;
        }

        @Override
        public Descriptor sentinel() {
            return sentinel;
        }

        @Override
        public Report collectReport() {
            Report report = Report.NONE;
            try {
                while (channel.poll()) {
                    byte[] record = channel.recvBytes(1 << 20);
                    report = parse(record, report);
                }
            } catch (IOException | RuntimeException | LinkageError | StackOverflowError e) {
                // end of stream, a garbled record, or an exception that cannot be rebuilt here:
                // keep what we have
            } finally {
                channel.close();
            }
            return report;
        }

        private static Report parse(byte[] record, Report previous) throws IOException {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(record));
            byte type = in.readByte();
            if (type == REPORT_SIGNAL) {
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
            sentinel.close();
        }
    }
}
