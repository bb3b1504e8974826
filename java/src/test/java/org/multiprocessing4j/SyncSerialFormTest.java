package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InvalidClassException;
import java.io.ObjectStreamClass;
import java.io.ObjectStreamField;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.internal.sync.SyncRegion;
import org.multiprocessing4j.internal.task.TaskStreams;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * The serial form of the six synchronization primitives, which is what a task that captures one
 * carries to its child: version 2, the primitive's {@link SyncRegion} (kind and memory, the memory
 * travelling as an inherited handle) plus the condition's lock or the barrier's action. Here the
 * task stream is decoded in this process, on duplicates of the handles it names; the
 * cross-process paths are in each primitive's own test.
 */
@Timeout(60)
class SyncSerialFormTest {
    static final AtomicReference<Object> SEEN = new AtomicReference<>();

    @Test
    void eachPrimitiveIsVersion2AndTravelsAsItsRegion() {
        for (Class<?> c : List.of(SharedLock.class, SharedReentrantLock.class,
                SharedSemaphore.class, SharedEvent.class)) {
            assertForm(c, "region");
        }
        assertForm(SharedCondition.class, "lock", "ownsLock", "region");
        assertForm(SharedBarrier.class, "action", "region");
    }

    private static void assertForm(Class<?> c, String... fields) {
        ObjectStreamClass form = ObjectStreamClass.lookup(c);
        assertEquals(2L, form.getSerialVersionUID(), c.getSimpleName());
        assertEquals(List.of(fields),
                Arrays.stream(form.getFields()).map(ObjectStreamField::getName).sorted().toList(),
                c.getSimpleName());
        assertEquals(SyncRegion.class, form.getField("region").getType(), c.getSimpleName());
    }

    @Test
    void eachPrimitiveDecodesOntoTheSameSharedState() throws Exception {
        try (SharedLock lock = SharedLock.create();
                SharedReentrantLock rlock = SharedReentrantLock.create();
                SharedSemaphore semaphore = SharedSemaphore.createBounded(1);
                SharedEvent event = SharedEvent.create();
                SharedCondition condition = SharedCondition.create(lock);
                SharedBarrier barrier = SharedBarrier.create(3, () -> { })) {
            semaphore.acquire();
            Task task = (Task & Serializable) () -> {
                try (lock; rlock; semaphore; event; condition; barrier) {
                    SEEN.set(List.of(lock.tryLock(), rlock.tryLock(), barrier.parties(),
                            condition.lock() == lock, condition.lock().toString()));
                    semaphore.release();
                    event.set();
                }
            };
            SEEN.set(null);
            decodeHere(TaskStreams.encode(task)).run();
            List<?> seen = (List<?>) SEEN.get();
            assertEquals(List.of(true, true, 3, true), seen.subList(0, 4));
            assertTrue(((String) seen.get(4)).startsWith("SharedLock[locked by pid "), seen.toString());
            // Same process, same thread: the holds taken through the decoded views are this
            // thread's on the same locks (and this process's mark keeps them alive).
            assertTrue(lock.isHeldByCurrentThread() && lock.isConsistent(), lock.toString());
            assertEquals(1, rlock.getHoldCount(), rlock.toString());
            assertEquals(1, semaphore.availablePermits());
            assertTrue(event.isSet());
            lock.unlock();
            rlock.unlock();
            assertFalse(lock.isLocked() || rlock.isLocked());
        }
    }

    @Test
    void aStreamOfVersion1IsRefusedNamingBothVersions() throws Exception {
        try (SharedEvent event = SharedEvent.create()) {
            Task task = (Task & Serializable) () -> SEEN.set(event);
            TaskStreams.Encoded encoded = TaskStreams.encode(task);
            byte[] bytes = encoded.bytes().clone();
            // The class descriptor: the name in modified UTF-8, then the 8-byte serialVersionUID.
            byte[] name = SharedEvent.class.getName().getBytes(StandardCharsets.UTF_8);
            int at = indexOf(bytes, name);
            assertTrue(at > 0, "the stream names SharedEvent");
            assertEquals(2, bytes[at + name.length + 7], "version 2 as written");
            bytes[at + name.length + 7] = 1;
            Handle[] handles = duplicates(encoded.descriptors());
            try {
                InvalidClassException e = assertThrows(InvalidClassException.class,
                        () -> TaskStreams.decode(bytes, handles));
                assertTrue(e.getMessage().contains("= 1") && e.getMessage().contains("= 2"),
                        e.getMessage());
            } finally {
                for (Handle h : handles) {
                    closeQuietly(h);
                }
            }
        }
    }

    @Test
    void aRegionOfAnotherKindIsRefusedAtDecodingAndLeftClosed() throws Exception {
        try (SharedEvent event = SharedEvent.create()) {
            Task task = (Task & Serializable) () -> SEEN.set(event);
            TaskStreams.Encoded encoded = TaskStreams.encode(task);
            byte[] bytes = encoded.bytes().clone();
            // The kind travels as an enum constant's name: make it another kind of the same length.
            byte[] kind = "EVENT".getBytes(StandardCharsets.UTF_8);
            int at = indexOf(bytes, kind);
            assertTrue(at > 0, "the stream names the kind");
            System.arraycopy("LOCK\0".getBytes(StandardCharsets.UTF_8), 0, bytes, at, 5);
            bytes[at - 1] = 4; // the UTF length of "LOCK"
            byte[] patched = new byte[bytes.length - 1];
            System.arraycopy(bytes, 0, patched, 0, at + 4);
            System.arraycopy(bytes, at + 5, patched, at + 4, bytes.length - at - 5);
            Handle[] handles = duplicates(encoded.descriptors());
            Exception e = assertThrows(Exception.class, () -> TaskStreams.decode(patched, handles));
            assertInstanceOf(java.io.InvalidObjectException.class, e);
            assertTrue(e.getMessage().contains("does not hold a SharedLock"), e.getMessage());
            // The memory the refused region owned (its handle included) is closed, or
            // LeakCheckExtension fails this class.
            assertFalse(event.isSet());
        }
    }

    private static Task decodeHere(TaskStreams.Encoded encoded) throws Exception {
        return TaskStreams.decode(encoded.bytes(), duplicates(encoded.descriptors()));
    }

    private static Handle[] duplicates(List<Descriptor> descriptors) throws Exception {
        Handle[] handles = new Handle[descriptors.size()];
        for (int i = 0; i < handles.length; i++) {
            handles[i] = Platform.current().duplicate(descriptors.get(i).handle());
        }
        return handles;
    }

    private static void closeQuietly(Handle h) {
        try {
            Platform.current().close(h);
        } catch (java.io.IOException | RuntimeException ignored) {
            // already closed by the decoder
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
