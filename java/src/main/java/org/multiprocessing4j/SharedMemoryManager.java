package org.multiprocessing4j;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates named shared memory blocks and {@link ShareableList}s whose names a server process
 * owns, and removes every one of them when it shuts down (Python's
 * {@code multiprocessing.managers.SharedMemoryManager}): processes may come and go, attach and
 * close, and no name is left once the manager is closed — also when the
 * server or its owner is killed, because the server's own tracker then removes the names.
 *
 * <pre>{@code
 * try (SharedMemoryManager smm = SharedMemoryManager.start()) {
 *     SharedMemory block = smm.sharedMemory(128);
 *     ShareableList list = smm.shareableList(List.of(1, 2, 3));
 *     // pass block.name() / list.name(), or the objects themselves, to other processes
 * }   // every block and list is unlinked here
 * }</pre>
 *
 * <p>The blocks returned are attached in this process (close them as usual; closing does not
 * remove them). Thread-safe. {@link #close()} is idempotent; creating after it throws
 * {@link IllegalStateException}.
 */
public final class SharedMemoryManager implements AutoCloseable {
    private final Manager manager;
    private final Segments segments;

    /** The server-side factory: creates blocks there, so the server's tracker owns their names. */
    interface Segments {
        String sharedMemory(long size) throws IOException;

        String shareableList(List<?> values) throws IOException;
    }

    /** Lives in the server; closed (unlinking everything) when the server shuts down. */
    static final class ServerSegments implements Segments, AutoCloseable {
        /** Each closes a view and unlinks its name. */
        private interface Unlinker {
            void run() throws IOException;
        }

        private final List<Unlinker> created = new ArrayList<>();

        @Override
        public synchronized String sharedMemory(long size) throws IOException {
            SharedMemory m = SharedMemory.createNamed(size);
            created.add(() -> {
                m.close();
                m.unlink();
            });
            return m.name().orElseThrow();
        }

        @Override
        public synchronized String shareableList(List<?> values) throws IOException {
            ShareableList l = ShareableList.create(values);
            created.add(() -> {
                l.close();
                l.unlink();
            });
            return l.name();
        }

        @Override
        public synchronized void close() throws IOException {
            IOException first = null;
            for (Unlinker c : created) {
                try {
                    c.run();
                } catch (IOException e) {
                    if (first == null) {
                        first = e;
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
            created.clear();
            if (first != null) {
                throw first;
            }
        }
    }

    private SharedMemoryManager(Manager manager) {
        this.manager = manager;
        this.segments = manager.create("segments", Segments.class);
    }

    /**
     * Starts the server process (a daemon child of this one).
     *
     * @return the manager
     * @throws IOException if it cannot be started
     */
    public static SharedMemoryManager start() throws IOException {
        Manager m = Manager.builder().register("segments", ServerSegments::new).start();
        try {
            return new SharedMemoryManager(m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Creates a named block of {@code size} bytes owned by the manager (Python's
     * {@code smm.SharedMemory(size)}) and attaches it here.
     *
     * @param size bytes, at least 1
     * @return the block, attached in this process
     * @throws IllegalArgumentException if {@code size < 1}
     * @throws IOException if it cannot be created or attached
     * @throws IllegalStateException if the manager is shut down
     */
    public SharedMemory sharedMemory(long size) throws IOException {
        if (size < 1) {
            throw new IllegalArgumentException("size must be at least 1 byte, got " + size);
        }
        return SharedMemory.attach(segments.sharedMemory(size));
    }

    /**
     * Creates a {@link ShareableList} holding {@code values}, owned by the manager (Python's
     * {@code smm.ShareableList(sequence)}), and attaches it here.
     *
     * @param values the initial values (the types {@link ShareableList#create(List)} accepts)
     * @return the list, attached in this process
     * @throws IllegalArgumentException if a value has an unsupported type
     * @throws IOException if it cannot be created or attached
     * @throws IllegalStateException if the manager is shut down
     */
    public ShareableList shareableList(List<?> values) throws IOException {
        return ShareableList.attach(segments.shareableList(new ArrayList<>(values)));
    }

    /**
     * Shuts the server down, which unlinks every block and list it created. Blocks attached in
     * any process stay usable until closed there. Idempotent.
     */
    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "SharedMemoryManager[" + manager + "]";
    }
}
