package org.multiprocessing4j.platform.windows;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.windows.bindings.Win32;

/**
 * Handle transfer to a running process over a pipe or socket: {@link WindowsHandleMessage}'s
 * record, written before the data in one write, and {@code DuplicateHandle} by the receiver from
 * the sender ({@code OpenProcess(PROCESS_DUP_HANDLE)}, {@code DUPLICATE_CLOSE_SOURCE}). As with
 * {@code SCM_RIGHTS}, the handles travel with the first byte of the data and a receive that finds
 * them ends with that byte; a receive of plain bytes stops before a record. Thread-safe as the
 * stream's users make it (one reader at a time). Loaded only on Windows; unproven (see the
 * package comment).
 */
final class WindowsTransfer {
    private static final MethodHandle OPEN_PROCESS =
            WindowsNative.capturing(Win32.OpenProcess$address(), Win32.OpenProcess$descriptor());

    private WindowsTransfer() {
    }

    /** {@code Platform.sendWithHandles}. */
    static void send(Handle stream, MemorySegment data, long length, Handle[] handles, int pid) throws IOException {
        if (handles.length > WindowsHandleMessage.MAX_HANDLES) {
            throw new IllegalArgumentException(handles.length + " handles; at most " + WindowsHandleMessage.MAX_HANDLES);
        }
        if (handles.length == 0) {
            WindowsIo.writeFully(stream, data, length);
            return;
        }
        if (length < 1) {
            throw new IllegalArgumentException("handles travel with a byte: no data to send them with");
        }
        Handle[] transit = new Handle[handles.length];
        boolean sent = false;
        try (Arena scratch = Arena.ofConfined()) {
            long[] values = new long[handles.length];
            for (int i = 0; i < handles.length; i++) {
                transit[i] = WindowsHandles.duplicate(handles[i], false);
                values[i] = transit[i].value();
            }
            int header = WindowsHandleMessage.size(handles.length);
            MemorySegment message = scratch.allocate(header + length, 8);
            WindowsHandleMessage.encode(message, pid, values);
            MemorySegment.copy(data, 0, message, header, length);
            WindowsIo.writeFully(stream, message, header + length);
            sent = true;
        } finally {
            if (!sent) {
                for (Handle h : transit) {
                    if (h != null) {
                        WindowsHandles.closeQuietly(h);
                    }
                }
            }
        }
    }

    /** {@code Platform.receiveWithHandles}. */
    static Platform.Received receive(Handle stream, MemorySegment buffer, long length) throws IOException {
        if (length < 1) {
            return new Platform.Received(WindowsIo.read(stream, buffer, length), new Handle[0]);
        }
        try (Arena scratch = Arena.ofConfined()) {
            long window = Math.min(length, 64 * 1024);
            MemorySegment look = scratch.allocate(window + 8);
            long seen;
            // block until something is there (or the end), without consuming it
            while ((seen = WindowsIo.peek(stream, look, window + 8)) == 0) {
                if (WindowsWaits.awaitReadable(new Handle[] {stream}, new boolean[1], -1) > 0
                        && WindowsIo.peek(stream, look, window + 8) == 0) {
                    return new Platform.Received(0, new Handle[0]);   // end of stream
                }
            }
            if (seen >= 8 && WindowsHandleMessage.startsRecord(look)) {
                return receiveRecord(stream, buffer, scratch);
            }
            // plain bytes: stop before a record that may follow them
            long plain = Math.min(seen, length);
            for (long at = 1; at + 8 <= seen; at++) {
                if (WindowsHandleMessage.startsRecord(look.asSlice(at))) {
                    plain = Math.min(plain, at);
                    break;
                }
            }
            long n = WindowsIo.read(stream, buffer, plain);
            return new Platform.Received(n, new Handle[0]);
        }
    }

    private static Platform.Received receiveRecord(Handle stream, MemorySegment buffer, Arena scratch)
            throws IOException {
        MemorySegment header = scratch.allocate(WindowsHandleMessage.HEADER, 8);
        readFully(stream, header, WindowsHandleMessage.HEADER);
        int count = WindowsHandleMessage.count(header);
        int pid = WindowsHandleMessage.pid(header);
        MemorySegment record = scratch.allocate(WindowsHandleMessage.size(count), 8);
        MemorySegment.copy(header, 0, record, 0, WindowsHandleMessage.HEADER);
        readFully(stream, record.asSlice(WindowsHandleMessage.HEADER), 8L * count);
        MemorySegment state = WindowsNative.state();
        MemorySegment sender;
        try {
            sender = (MemorySegment) OPEN_PROCESS.invokeExact(state, Win32.PROCESS_DUP_HANDLE(), 0, pid);
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
        if (sender.address() == 0) {
            throw WindowsNative.failure("OpenProcess(" + pid + ", PROCESS_DUP_HANDLE) for " + count
                    + " handles it sent (it must stay alive until they are received)", state);
        }
        Handle[] received = new Handle[count];
        try {
            for (int i = 0; i < count; i++) {
                received[i] = WindowsHandles.takeFrom(sender, WindowsHandleMessage.value(record, i), pid);
            }
        } catch (IOException | RuntimeException e) {
            for (Handle h : received) {
                if (h != null) {
                    WindowsHandles.closeQuietly(h);
                }
            }
            throw e;
        } finally {
            Win32.CloseHandle(sender);
        }
        // the byte the handles travel with ends this receive
        long n = WindowsIo.read(stream, buffer, 1);
        return new Platform.Received(n, received);
    }

    private static void readFully(Handle stream, MemorySegment into, long length) throws IOException {
        long done = 0;
        while (done < length) {
            long n = WindowsIo.read(stream, into.asSlice(done), length - done);
            if (n <= 0) {
                throw new EOFException("the stream ended inside a handle record (" + done + " of " + length + " bytes)");
            }
            done += n;
        }
    }
}
