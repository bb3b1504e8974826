package org.multiprocessing4j.platform.windows;

import static java.nio.charset.StandardCharsets.UTF_16LE;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.platform.WaitChannel;
import org.multiprocessing4j.platform.windows.bindings.Win32;

/**
 * The wait channel of one region: a named semaphore per word and sleeper counts in the region's
 * area ({@link WindowsWaitArea} has the layout and the argument that no wake is lost).
 * {@code WaitOnAddress} would be the futex of Windows, but it does not cross processes.
 *
 * <p>{@code await}: count in, re-read the word, {@code WaitForSingleObject(semaphore, ms)}, count
 * out; a timeout returns {@code false} only once the whole time has passed (a wait is resumed
 * with what is left). {@code wake}: no call at all while the word's bucket has no sleeper, else
 * {@code ReleaseSemaphore(min(count, sleepers))}. Semaphores are created on first use by either
 * side ({@code CreateSemaphoreW} opens an existing one), with the current-user-only DACL, and
 * held in this channel until it becomes unreachable (a {@link Cleaner} closes them). Thread-safe.
 * Loaded only on Windows; unproven (see the package comment; the semaphore behaviour is
 * {@code native/probes/windows/sync_wake.c}'s).
 */
final class WindowsWaitChannel implements WaitChannel {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final VarHandle WORD = ValueLayout.JAVA_INT.varHandle();
    private static final MethodHandle CREATE =
            WindowsNative.capturing(Win32.CreateSemaphoreW$address(), Win32.CreateSemaphoreW$descriptor());
    private static final MethodHandle RELEASE =
            WindowsNative.capturing(Win32.ReleaseSemaphore$address(), Win32.ReleaseSemaphore$descriptor());

    private final MemorySegment region;
    private final MemorySegment area;
    private final ConcurrentHashMap<Long, MemorySegment> semaphores = new ConcurrentHashMap<>();
    private volatile String id;

    WindowsWaitChannel(MemorySegment region, long offset) {
        this.region = region;
        this.area = region.asSlice(offset, WindowsWaitArea.BYTES);
        ConcurrentHashMap<Long, MemorySegment> held = semaphores;
        CLEANER.register(this, () -> held.values().forEach(Win32::CloseHandle));
    }

    private long offsetOf(MemorySegment word) {
        long off = word.address() - region.address();
        if (word.byteSize() != 4 || off < 0 || off + 4 > region.byteSize()) {
            throw new IllegalArgumentException("not a 4-byte word of this channel's region: " + word);
        }
        return off;
    }

    private MemorySegment semaphore(long offset) throws IOException {
        MemorySegment s = semaphores.get(offset);
        if (s != null) {
            return s;
        }
        String areaId = id;
        if (areaId == null) {
            id = areaId = WindowsWaitArea.id(area);
        }
        String name = WindowsWaitArea.semaphoreName(areaId, offset);
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment h = (MemorySegment) CREATE.invokeExact(state, WindowsSecurity.currentUserOnly(), 0,
                    Integer.MAX_VALUE, scratch.allocateFrom(name, UTF_16LE));
            if (h.address() == 0) {
                throw WindowsNative.failure("CreateSemaphoreW(\"" + name + "\")", state);
            }
            MemorySegment raced = semaphores.putIfAbsent(offset, h);
            if (raced != null) {
                Win32.CloseHandle(h);
                return raced;
            }
            return h;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    @Override
    public boolean await(MemorySegment word, int expected, long timeoutNanos) throws IOException {
        long offset = offsetOf(word);
        int bucket = WindowsWaitArea.bucket(offset);
        MemorySegment sem = semaphore(offset);
        long deadline = timeoutNanos < 0 ? 0 : System.nanoTime() + timeoutNanos;
        WindowsWaitArea.addSleepers(area, bucket, 1);
        try {
            if ((int) WORD.getVolatile(word, 0L) != expected) {
                return true;
            }
            for (;;) {
                int ms;
                if (timeoutNanos < 0) {
                    ms = Win32.INFINITE();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    ms = (int) Math.min(Integer.MAX_VALUE - 1, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
                }
                int w = Win32.WaitForSingleObject(sem, ms);
                if (w == Win32.WAIT_OBJECT_0()) {
                    return true;
                }
                if (w != Win32.WAIT_TIMEOUT()) {
                    throw new IOException("WaitForSingleObject(semaphore of word " + offset + ") failed: "
                            + WindowsErrors.name(Win32.GetLastError()));
                }
            }
        } finally {
            WindowsWaitArea.addSleepers(area, bucket, -1);
        }
    }

    @Override
    public int wake(MemorySegment word, int count) throws IOException {
        long offset = offsetOf(word);
        int sleepers = WindowsWaitArea.sleepers(area, WindowsWaitArea.bucket(offset));
        if (sleepers <= 0 || count <= 0) {
            return 0;
        }
        int release = Math.min(count, sleepers);
        MemorySegment state = WindowsNative.state();
        try {
            if ((int) RELEASE.invokeExact(state, semaphore(offset), release, MemorySegment.NULL) == 0) {
                throw WindowsNative.failure("ReleaseSemaphore(word " + offset + ", " + release + ")", state);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
        return release;
    }
}
