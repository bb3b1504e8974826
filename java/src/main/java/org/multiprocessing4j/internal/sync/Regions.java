package org.multiprocessing4j.internal.sync;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.multiprocessing4j.SharedMemory;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.RegionHeader;

/**
 * Creating a region that starts with a {@link RegionHeader} (anonymous, or by name) and opening
 * one by name, for the objects that unrelated processes share: the synchronization primitives
 * (through {@link SyncRegion}) and {@code SharedQueue}. The memory is a {@link SharedMemory}:
 * anonymous (reaching other processes only as an inherited handle) or named, and a named one is
 * tracked for its creator like any other (removed if the creator dies without unlinking it).
 */
public final class Regions {
    /** How long {@link #open} waits for a creator that has made the name but not yet published. */
    private static final long READY_WAIT_NANOS = 1_000_000_000L;

    private Regions() {
    }

    /** Builds a primitive on a region. */
    @FunctionalInterface
    public interface Maker<T> {
        T make(SharedMemory memory);
    }

    /**
     * Places this process's liveness mark on {@code memory} (see {@link LivenessMark}), for a
     * primitive ({@code owner}) that records this process's token in it; the primitive closes
     * the mark after its last access to the memory.
     *
     * @throws UncheckedIOException if the OS refuses; {@link #anonymous}, {@link #create} and
     *     {@link #open} rethrow its cause
     */
    public static LivenessMark mark(SharedMemory memory, Object owner) {
        try {
            return LivenessMark.place(Access.sharedMemory().descriptor(memory), owner);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("cannot place this process's liveness"
                    + " mark on the shared memory (other processes would take this one for dead): "
                    + e.getMessage(), e));
        }
    }

    /**
     * Creates an anonymous region and the primitive on it; on failure nothing is left behind.
     *
     * @throws IOException if the memory cannot be created
     */
    public static <T> T anonymous(long size, Maker<T> maker) throws IOException {
        SharedMemory m = SharedMemory.create(size);
        try {
            return maker.make(m);
        } catch (UncheckedIOException e) {
            m.close();
            throw e.getCause();
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Creates the named region and the primitive on it; on failure nothing is left behind.
     *
     * @throws java.nio.file.FileAlreadyExistsException if the name exists
     * @throws IOException if the memory cannot be created
     */
    public static <T> T create(String name, long size, Maker<T> maker) throws IOException {
        SharedMemory m = SharedMemory.create(name, size);
        try {
            return maker.make(m);
        } catch (RuntimeException e) {
            m.close();
            Exception thrown = e instanceof UncheckedIOException u ? u.getCause() : e;
            try {
                m.unlink();
            } catch (IOException suppressed) {
                thrown.addSuppressed(suppressed);
            }
            if (thrown instanceof IOException io) {
                throw io;
            }
            throw e;
        }
    }

    /**
     * Opens the named region of a primitive another process created, waiting up to a second for a
     * creator that is still initializing it (the creator publishes the magic last).
     *
     * @param what the kind, for messages
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException if the region is too small, or was never initialized
     * @throws IllegalStateException if it holds another kind of region or layout version
     */
    public static <T> T open(String name, long size, String what, Maker<T> maker)
            throws IOException {
        SharedMemory m = SharedMemory.attach(name);
        try {
            if (m.size() < size) {
                throw new IOException(what + " '" + name + "': shared memory of " + m.size()
                        + " bytes is smaller than a " + what + " region (" + size + " bytes)");
            }
            long deadline = System.nanoTime() + READY_WAIT_NANOS;
            while (RegionHeader.magicAcquire(m.segment()) == 0) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException(what + " '" + name + "' was created but never initialized"
                            + " (its creator may have died while creating it)");
                }
                Thread.onSpinWait();
                Thread.yield();
            }
            return maker.make(m);
        } catch (UncheckedIOException e) {
            m.close();
            throw e.getCause();
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }
}
