package org.multiprocessing4j.internal.launch;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.multiprocessing4j.Connection;

/**
 * The records a child sends its parent on the bootstrap socket when it ends other than by a normal
 * return (their layout is on {@link SpawnLauncher}: {@code S} + the number of the stop request it
 * handled, or {@code E} + the stack trace as text + the serialized {@link Throwable}, which is left
 * out when it cannot be serialized or is larger than {@link #MAX_REPORT}).
 */
final class ChildReports {
    /** Largest failure report; longer stack traces are cut. */
    private static final int MAX_REPORT = 48 * 1024;

    private ChildReports() {
    }

    static byte[] signalRecord(int signal) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(SpawnLauncher.REPORT_STOP);
            out.writeInt(signal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    static byte[] failureRecord(Throwable t) {
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

    /** Sends {@code record} on {@code boot}; nothing if the parent is gone or {@code boot} is null. */
    static void report(Connection boot, byte[] record) {
        if (boot == null) {
            return; // no bootstrap socket: the exit code is all the parent learns
        }
        try {
            boot.sendBytes(record);
        } catch (IOException e) {
            // the parent is gone: nobody to tell
        }
    }
}
