package org.multiprocessing4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.multiprocessing4j.platform.Platform;
import java.lang.reflect.Proxy;

/**
 * The main class of a spawned child JVM (see {@link SpawnLauncher} for the protocol): makes sure
 * the child dies with its parent, reads the task, runs it and reports how it ended.
 *
 * <p>Exit: a normal return ends the JVM as Java does (after non-daemon threads, code 0, like
 * Python joining non-daemon threads); an uncaught exception prints its stack trace, reports it and
 * exits with 1; SIGTERM/SIGINT report the signal, then run the shutdown hooks.
 */
final class ChildMain {
    /** Exit code when the bootstrap fails (the parent sees it; stderr says why). */
    private static final int BOOTSTRAP_FAILED = 70;
    /** Largest failure report; longer stack traces are cut. */
    private static final int MAX_REPORT = 48 * 1024;

    private ChildMain() {
    }

    static void main(String[] args) {
        Platform os = Platform.current();
        int expectedParent = Integer.parseInt(args[0]);
        try {
            os.setParentDeathSignal(Platform.SIGKILL);
        } catch (IOException e) {
            System.err.println("multiprocessing4j child: " + e.getMessage());
        }
        if (os.parentPid() != expectedParent) { // the parent died before the line above
            Runtime.getRuntime().halt(BOOTSTRAP_FAILED);
        }
        Connection boot = new Connection(3, true, true, Codec.defaults());
        Task task;
        try {
            task = readBootstrap(os, boot);
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            System.err.println("multiprocessing4j child: cannot start the task: " + e);
            e.printStackTrace();
            report(boot, failureRecord(e));
            System.exit(BOOTSTRAP_FAILED);
            return;
        }
        handleSignal("TERM", Platform.SIGTERM, boot);
        handleSignal("INT", Platform.SIGINT, boot);
        Thread watchdog = new Thread(() -> watchParent(boot), "mp4j-parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
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

    private static Task readBootstrap(Platform os, Connection boot)
            throws IOException, ClassNotFoundException {
        byte[] frame = boot.recvBytes();
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
        byte[] taskBytes = in.readNBytes(in.readInt());
        CurrentProcess.becomeChild(identity, new ProcessInfo(name, os.pid(), daemon),
                new ProcessInfo(parentName, parentPid, false));
        return TaskStreams.decode(taskBytes);
    }

    /** Blocks until the parent's end of the bootstrap socket closes, which means it died. */
    private static void watchParent(Connection boot) {
        try {
            for (;;) {
                boot.recvBytes(); // the parent sends nothing after the bootstrap frame
            }
        } catch (IOException e) {
            Runtime.getRuntime().halt(BOOTSTRAP_FAILED);
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
                                ChildProcess.exitingOnSignal();
                                report(boot, signalRecord(number));
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
