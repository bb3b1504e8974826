package org.multiprocessing4j.platform.windows;

import static org.multiprocessing4j.platform.windows.WindowsNative.pointer;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.windows.WindowsHandles.Kind;
import org.multiprocessing4j.platform.windows.bindings.Win32;

/**
 * Waiting on several handles at once ({@code awaitReadable}) and for a peer's hang-up.
 * Readiness by kind: a waitable object (a process sentinel) is signalled
 * ({@code WaitForSingleObject(h, 0)}); a pipe has bytes or is broken ({@code PeekNamedPipe}); a
 * socket has data, a pending connection, a hang-up or an error ({@code WSAPoll}).
 *
 * <p>How it sleeps: objects only — {@code WaitForMultipleObjects} for the whole remaining time,
 * at most {@code MAXIMUM_WAIT_OBJECTS} (64) per call, so more are waited on in groups of 63 by
 * helper threads, each also waiting on one shared "stop" event that the caller sets once any
 * group returns (the scheme of {@code native/probes/windows/wait_many.c}); sockets only —
 * {@code WSAPoll} for the remaining time; pipes, or a mix — pipes are not waitable objects, so
 * the objects (or the sockets) are waited on in slices of 1 ms doubling to 16 ms and the pipes
 * peeked between slices: a pipe's readiness is seen up to 16 ms late in a long wait. The timeout
 * is never cut short: every pass recomputes the time left. (The latency-free form, an
 * overlapped zero-byte read per pipe whose event joins the objects, is what CPython does; it is
 * not used because its cancellation on every return costs a call per pipe and is unproven here.)
 * Thread-safe. Loaded only on Windows; unproven (see the package comment).
 */
final class WindowsWaits {
    /** The longest slice when pipes are peeked between waits. */
    private static final int MAX_SLICE_MS = 16;
    /** Peeks of a pipe while waiting for its hang-up. */
    private static final long HANG_UP_POLL_MS = 50;

    private WindowsWaits() {
    }

    /** {@code Platform.awaitReadable}: see the class comment. */
    static int awaitReadable(Handle[] handles, boolean[] ready, long timeoutNanos) throws IOException {
        if (ready.length != handles.length) {
            throw new IllegalArgumentException("ready has " + ready.length + " entries for " + handles.length + " handles");
        }
        Kind[] kinds = new Kind[handles.length];
        List<Handle> objects = new ArrayList<>();
        List<Handle> sockets = new ArrayList<>();
        boolean pipes = false;
        for (int i = 0; i < handles.length; i++) {
            kinds[i] = WindowsHandles.kind(handles[i]);
            switch (kinds[i]) {
                case OBJECT -> objects.add(handles[i]);
                case SOCKET -> sockets.add(handles[i]);
                case PIPE -> pipes = true;
            }
        }
        long deadline = timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
        int slice = 1;
        for (;;) {
            int n = 0;
            for (int i = 0; i < handles.length; i++) {
                ready[i] = isReady(handles[i], kinds[i]);
                n += ready[i] ? 1 : 0;
            }
            if (n > 0 || timeoutNanos == 0) {
                return n;
            }
            long left = timeoutNanos < 0 ? -1 : deadline - System.nanoTime();
            if (timeoutNanos >= 0 && left <= 0) {
                return 0;
            }
            int leftMs = left < 0 ? Integer.MAX_VALUE
                    : (int) Math.min(Integer.MAX_VALUE - 1, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
            boolean mixed = pipes || (!objects.isEmpty() && !sockets.isEmpty());
            int ms = mixed ? Math.min(slice, leftMs) : leftMs;
            slice = Math.min(slice * 2, MAX_SLICE_MS);
            if (!objects.isEmpty()) {
                waitObjects(objects, ms);
            } else if (!sockets.isEmpty()) {
                WindowsSockets.poll(sockets, ms);
            } else {
                sleep(ms);
            }
        }
    }

    private static boolean isReady(Handle h, Kind kind) throws IOException {
        return switch (kind) {
            case PIPE -> WindowsIo.available(h) != 0;
            case SOCKET -> WindowsSockets.poll(List.of(h), 0) > 0;
            case OBJECT -> {
                int w = Win32.WaitForSingleObject(pointer(h), 0);
                if (w == Win32.WAIT_FAILED()) {
                    throw new ClosedChannelException();
                }
                yield w == Win32.WAIT_OBJECT_0() || w == Win32.WAIT_ABANDONED_0();
            }
        };
    }

    /**
     * Waits until one of {@code objects} is signalled or {@code ms} pass ({@code INFINITE} for
     * {@code Integer.MAX_VALUE}); more than 64 in groups on helper threads.
     */
    static void waitObjects(List<Handle> objects, int ms) throws IOException {
        int timeout = ms == Integer.MAX_VALUE ? Win32.INFINITE() : ms;
        int max = Win32.MAXIMUM_WAIT_OBJECTS();
        if (objects.size() <= max) {
            waitGroup(objects, MemorySegment.NULL, timeout);
            return;
        }
        MemorySegment stop = WindowsIo.event();
        CountDownLatch any = new CountDownLatch(1);
        List<Thread> helpers = new ArrayList<>();
        IOException[] failure = new IOException[1];
        try {
            for (int from = 0; from < objects.size(); from += max - 1) {
                List<Handle> group = objects.subList(from, Math.min(objects.size(), from + max - 1));
                helpers.add(Thread.ofPlatform().daemon().name("mp4j-wait-group").start(() -> {
                    try {
                        waitGroup(group, stop, timeout);
                    } catch (IOException e) {
                        synchronized (failure) {
                            failure[0] = e;
                        }
                    } finally {
                        any.countDown();
                    }
                }));
            }
            try {
                if (ms == Integer.MAX_VALUE) {
                    any.await();
                } else {
                    any.await(ms, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting on " + objects.size() + " handles");
            }
        } finally {
            Win32.SetEvent(stop);
            boolean interrupted = false;
            for (Thread t : helpers) {
                for (;;) {
                    try {
                        t.join();   // returns at once: the stop event ends its wait
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            Win32.CloseHandle(stop);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (failure) {
            if (failure[0] != null) {
                throw failure[0];
            }
        }
    }

    /** One {@code WaitForMultipleObjects} on {@code group} (and {@code stop} unless NULL). */
    private static void waitGroup(List<Handle> group, MemorySegment stop, int timeout) throws IOException {
        int n = group.size() + (stop.address() == 0 ? 0 : 1);
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment array = scratch.allocate(ValueLayout.ADDRESS, n);
            for (int i = 0; i < group.size(); i++) {
                array.setAtIndex(ValueLayout.ADDRESS, i, pointer(group.get(i)));
            }
            if (stop.address() != 0) {
                array.setAtIndex(ValueLayout.ADDRESS, n - 1, stop);
            }
            if (Win32.WaitForMultipleObjects(n, array, 0, timeout) == Win32.WAIT_FAILED()) {
                throw new ClosedChannelException();   // an invalid handle is the usual cause
            }
        }
    }

    /**
     * {@code Platform.awaitHangUp}: a pipe is peeked every {@value #HANG_UP_POLL_MS} ms until it
     * is broken (the other end closed; data waiting is left for the reader); a socket is polled
     * until {@code WSAPoll} reports a hang-up or an error. Blocks the calling thread.
     */
    static void awaitHangUp(Handle handle) throws IOException {
        if (WindowsHandles.kind(handle) == Kind.SOCKET) {
            while (!WindowsSockets.hungUp(handle, (int) HANG_UP_POLL_MS * 20)) {
                Thread.onSpinWait();
            }
            return;
        }
        while (WindowsIo.available(handle) >= 0) {
            sleep((int) HANG_UP_POLL_MS);
        }
    }

    private static void sleep(int ms) throws InterruptedIOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting");
        }
    }
}
