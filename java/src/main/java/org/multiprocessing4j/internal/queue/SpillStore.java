package org.multiprocessing4j.internal.queue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.function.Function;
import org.multiprocessing4j.internal.shm.ShmTracker;

/**
 * One process's view of where a queue's records larger than a slot go: the {@link Spill}
 * segments named after the queue's memory, and the tracker watch that removes them once nobody
 * has the queue any more (see {@link ShmTracker}). A producer {@link #prepare}s a reference,
 * writes it into its claimed slot ({@link Ring#writeSpilled}), then {@link #write}s the segment;
 * a consumer {@link #read}s it (which removes the segment). Thread-safe.
 */
public final class SpillStore {
    private final long memoryInode;
    private final String name;
    private boolean watched; // guarded by this

    /**
     * A store for the queue whose memory has inode {@code memoryInode} and name {@code name}
     * ({@code null} if anonymous).
     */
    public SpillStore(long memoryInode, String name) {
        this.memoryInode = memoryInode;
        this.name = name;
    }

    /**
     * {@return a fresh reference for a record of {@code size} bytes} Before the first one, has
     * this JVM's tracker watch the queue, so that a segment left behind is removed.
     */
    public MemorySegment prepare(long size) {
        MemorySegment ref = Spill.newReference(ShmTracker.queueKey(memoryInode, name != null), size);
        synchronized (this) {
            if (!watched) {
                watched = true;
                ShmTracker.get().watchQueue(memoryInode, name,
                        Spill.prefix(ShmTracker.queueKey(memoryInode, name != null)));
            }
        }
        return ref;
    }

    /**
     * Creates the segment of {@code reference} holding {@code record}.
     *
     * @throws UncheckedIOException if it cannot be created (the caller abandons its claim and
     *     {@link #discard}s the reference)
     */
    public void write(MemorySegment reference, MemorySegment record) {
        try {
            Spill.write(reference, record);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a segment for a record of "
                    + record.byteSize() + " bytes", e);
        }
    }

    /**
     * Decodes the spilled record of {@code reference} with {@code decoder}, then removes its
     * segment (whatever the outcome).
     *
     * @throws UncheckedIOException if the segment cannot be read (the record is lost)
     */
    public <T> T read(MemorySegment reference, Function<MemorySegment, T> decoder) {
        try {
            return Spill.read(reference, decoder);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read a spilled record from " + Spill.name(reference), e);
        } finally {
            Spill.discard(reference);
        }
    }

    /** Removes the segment of {@code reference}, if it exists. */
    public void discard(MemorySegment reference) {
        Spill.discard(reference);
    }

    /** Ends this view's watch: the tracker sweeps the queue's segments once nobody has it. */
    public void close() {
        boolean sweep;
        synchronized (this) {
            sweep = watched;
        }
        if (sweep) {
            ShmTracker.get().unwatchQueue(memoryInode, name != null);
        }
    }
}
