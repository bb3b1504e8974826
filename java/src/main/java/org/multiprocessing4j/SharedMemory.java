package org.multiprocessing4j;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.Optional;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.platform.Platform;

/**
 * A block of memory shared between processes (Python's
 * {@code multiprocessing.shared_memory.SharedMemory}), exposed as a {@link MemorySegment}.
 *
 * <h2>Anonymous and named</h2>
 * {@link #create(long)} makes an anonymous block (Linux: {@code memfd_create}, sealed against
 * shrinking): it has no name, reaches children by being captured in a {@link Task}, and the
 * kernel frees it when the last process unmaps it — nothing can leak. {@link #create(String,
 * long)} / {@link #attach(String)} make and open a named block (POSIX {@code shm_open}, mode
 * 0600) that unrelated processes can open by name; as in Python, {@link #close()} ends this
 * process's mapping and {@link #unlink()} removes the name.
 *
 * <p>Pages are reserved at creation, so that running out of memory is an {@link IOException}
 * there and never a SIGBUS later.
 *
 * <h2>Concurrency</h2>
 * The segment is plain memory: use its {@code VarHandle}s with the access modes you need
 * (volatile, acquire/release, compareAndSet) for data shared with other processes, or the
 * library's shared locks. This object itself is thread-safe. {@link #close()} unmaps the memory;
 * any later access to the segment throws {@link IllegalStateException}, and close fails with
 * {@link IllegalStateException} while another thread is inside a native call using it.
 *
 * <h2>Other processes dying</h2>
 * A process that dies while mapped simply loses its mapping; the memory and its contents stay for
 * everyone else.
 */
public final class SharedMemory implements AutoCloseable {
    private static final Platform OS = Platform.current();

    private final String name; // normalized, with the leading '/'; null when anonymous
    private final long size;
    private final Descriptor fd;
    private final Arena arena;
    private final MemorySegment segment;

    private SharedMemory(String name, long size, int fd) throws IOException {
        this.name = name;
        this.size = size;
        this.fd = new Descriptor(fd);
        Arena a = Arena.ofShared();
        try {
            this.segment = OS.map(fd, size, a);
        } catch (IOException | RuntimeException e) {
            a.close();
            this.fd.close();
            throw e;
        }
        this.arena = a;
    }

    /**
     * Creates an anonymous block of {@code size} bytes, zero-filled.
     *
     * @param size bytes, at least 1
     * @return the block, mapped
     * @throws IllegalArgumentException if {@code size < 1}
     * @throws IOException if the memory cannot be reserved
     */
    public static SharedMemory create(long size) throws IOException {
        checkSize(size);
        int fd = OS.createAnonymousMemory("mp4j-shm", size);
        return new SharedMemory(null, size, fd);
    }

    /**
     * Creates a named block of {@code size} bytes, zero-filled, readable and writable by this user
     * only. The name must not exist.
     *
     * @param name the name, with or without a leading {@code /} (Python omits it); no other
     *     {@code /}, at most 255 characters
     * @param size bytes, at least 1
     * @return the block, mapped
     * @throws IllegalArgumentException if the name or size is invalid
     * @throws java.nio.file.FileAlreadyExistsException if the name exists
     * @throws IOException if the memory cannot be reserved (the name is removed again)
     */
    public static SharedMemory create(String name, long size) throws IOException {
        String n = normalize(name);
        checkSize(size);
        int fd = OS.openNamedMemory(n, true);
        try {
            OS.reserve(fd, size);
            return new SharedMemory(n, size, fd);
        } catch (IOException | RuntimeException e) {
            try {
                OS.close(fd);
            } finally {
                OS.unlinkNamedMemory(n);
            }
            throw e;
        }
    }

    /**
     * Opens an existing named block (created by this library, by Python, or by anything using
     * {@code shm_open}). Its size is the size of the underlying file.
     *
     * @param name the name, with or without a leading {@code /}
     * @return the block, mapped
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws java.nio.file.AccessDeniedException if it belongs to another user
     * @throws IOException if it is empty or cannot be mapped
     */
    public static SharedMemory attach(String name) throws IOException {
        String n = normalize(name);
        int fd = OS.openNamedMemory(n, false);
        try {
            Platform.FileStatus st = OS.status(fd);
            if (st.ownerUid() != OS.uid()) {
                throw new java.nio.file.AccessDeniedException("/dev/shm" + n, null,
                        "owned by uid " + st.ownerUid() + ", not by this user (uid " + OS.uid() + ")");
            }
            if (st.size() < 1) {
                throw new IOException("shared memory " + n + " is empty");
            }
            return new SharedMemory(n, st.size(), fd);
        } catch (IOException | RuntimeException e) {
            OS.close(fd);
            throw e;
        }
    }

    private static void checkSize(long size) {
        if (size < 1) {
            throw new IllegalArgumentException("size must be at least 1 byte, got " + size);
        }
    }

    private static String normalize(String name) {
        Objects.requireNonNull(name, "name");
        String n = name.startsWith("/") ? name : "/" + name;
        if (n.length() < 2 || n.length() > 255 || n.indexOf('/', 1) >= 0 || n.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid shared memory name '" + name
                    + "': 1 to 254 characters, no '/' except a leading one, no NUL");
        }
        return n;
    }

    /**
     * {@return the mapped memory, {@link #size()} bytes long}
     *
     * @throws IllegalStateException if closed
     */
    public MemorySegment segment() {
        if (fd.isClosed()) {
            throw new IllegalStateException("shared memory is closed");
        }
        return segment;
    }

    /** {@return the size in bytes: as requested at creation, or the file's size when attached} */
    public long size() {
        return size;
    }

    /** {@return the bytes the OS actually maps: {@link #size()} rounded up to whole pages} */
    public long mappedSize() {
        long page = 4096;
        return (size + page - 1) / page * page;
    }

    /** {@return the name without its leading {@code /} (as Python reports it), if named} */
    public Optional<String> name() {
        return Optional.ofNullable(name).map(n -> n.substring(1));
    }

    /**
     * Removes the name (Python's {@code unlink()}), so that no one else can attach; mappings,
     * including this one, stay valid. Call it once, from the process that owns the block.
     *
     * @throws IllegalStateException if the block is anonymous
     * @throws java.nio.file.NoSuchFileException if the name was already removed
     * @throws IOException on any other error
     */
    public void unlink() throws IOException {
        if (name == null) {
            throw new IllegalStateException("anonymous shared memory has no name to unlink");
        }
        OS.unlinkNamedMemory(name);
    }

    /**
     * Unmaps this process's view and closes its descriptor (Python's {@code close()}); does not
     * remove the name. Idempotent.
     *
     * @throws IllegalStateException if another thread is using the segment in a native call
     */
    @Override
    public synchronized void close() {
        if (!fd.isClosed()) {
            arena.close();
            fd.close();
        }
    }

    Descriptor descriptor() {
        return fd;
    }

    /** {@return what travels to a child instead of this object: the descriptor and the size} */
    Inheritable.Handle childHandle() {
        return new ChildMapping(name, size);
    }

    private record ChildMapping(String name, long size) implements Inheritable.Handle {
        private static final long serialVersionUID = 1L;

        @Override
        public Object resolve(int fd) throws IOException {
            return new SharedMemory(name, size, fd);
        }
    }

    @Override
    public String toString() {
        return "SharedMemory[" + (name == null ? "anonymous" : name.substring(1)) + ", " + size
                + " bytes" + (fd.isClosed() ? ", closed" : "") + "]";
    }
}
