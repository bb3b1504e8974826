package org.multiprocessing4j;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.util.Objects;
import java.util.Optional;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.internal.LeakReports;
import org.multiprocessing4j.internal.shm.ShmTracker;
import org.multiprocessing4j.internal.task.Inheritable;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * A block of memory shared between processes (Python's
 * {@code multiprocessing.shared_memory.SharedMemory}), exposed as a {@link MemorySegment}.
 *
 * <h2>Anonymous and named</h2>
 * {@link #create(long)} makes an anonymous block (Linux: {@code memfd_create}, sealed against
 * shrinking): it has no name, reaches children by being captured in a {@link Task}, and the
 * kernel frees it when the last process unmaps it — nothing can leak.
 *
 * <p>{@link #createNamed(long)} (a generated, unguessable name) and {@link #create(String, long)}
 * make a named block (POSIX {@code shm_open}, {@code O_CREAT|O_EXCL}, mode 0600) that unrelated
 * processes — other JVMs, Python, C — open with {@link #attach(String)} (where the names live
 * on each OS: the {@linkplain org.multiprocessing4j##os-mapping OS mapping}). As in Python,
 * {@link #close()} ends this process's mapping and {@link #unlink()} removes the name; the memory
 * itself is freed when the name is gone and the last mapping is closed.
 *
 * <h2>Size limit</h2>
 * Pages are reserved at creation, so that running out of memory is an {@link IOException}
 * there and never a bus error later; reserving takes time in proportion to the size (about 0.6 s per
 * GiB on a 2-core Linux VM). A size larger than what the system can back at that moment is
 * refused, before a page is committed, with an {@link IOException} naming the size and the
 * limit: on Linux the smallest of {@code MemAvailable + SwapFree}, what this process's memory
 * cgroups can still hold (their {@code memory.max} or {@code memory.limit_in_bytes} minus their
 * working set) and, for a named block, the space free in the file system that holds the names. Without that check the kernel would commit page after page until its OOM
 * killer ends some process — and since shared pages belong to no process's resident set, it
 * would pick other processes first. The check is a snapshot: blocks created at the same moment,
 * or memory allocated afterwards, can still exhaust memory together.
 *
 * <h2>Who removes a name</h2>
 * The creating JVM does, through {@link #unlink()}. If it ends without doing so — normally, by an
 * uncaught exception, or killed outright — the names it created and did not unlink are removed
 * shortly after by a tiny tracker process it started (one per JVM, see {@code ShmTracker}), just
 * like blocks Python's creator leaves behind. Unlike Python (CPython issue 82300), a process that
 * merely {@linkplain #attach(String) attached} never removes a name, whatever happens to it: only
 * the creator's JVM tracks a name, and the tracker checks that the name still refers to the very
 * file it created before removing it. {@link #untrack()} lets a created block outlive its
 * creator (Python 3.13's {@code track=False}). A forced kill of the whole process group or
 * cgroup also kills the tracker; then the name stays until someone unlinks it.
 *
 * <p>On Windows none of this applies: the kernel frees a named block, and its name, with the last
 * handle or view of any process, also after a crash, so there is no tracker, {@link #unlink()}
 * removes nothing, and a name stays visible while anyone still maps it (the
 * {@linkplain org.multiprocessing4j##os-mapping OS mapping}).
 *
 * <h2>Concurrency</h2>
 * The segment is plain memory: use its {@code VarHandle}s with the access modes you need
 * (volatile, acquire/release, compareAndSet) for data shared with other processes, or the
 * library's shared locks. This object itself is thread-safe; no method blocks except
 * {@link #create} variants while the OS reserves memory. {@link #close()} unmaps the memory; any
 * later access to the segment throws {@link IllegalStateException}, and close fails with
 * {@link IllegalStateException} while another thread is inside a native call using it.
 *
 * <h2>Other processes dying</h2>
 * A process that dies while mapped simply loses its mapping; the memory and its contents stay for
 * everyone else, and so does the name unless the dead process was its creator.
 *
 * <h2>Leaks</h2>
 * A block that becomes unreachable without {@link #close()} is unmapped by a {@link Cleaner}, which
 * logs a warning; the segment of such a block then throws {@link IllegalStateException}.
 */
public final class SharedMemory implements AutoCloseable {
    static {
        Access.setSharedMemory(new Access.SharedMemoryHooks() {
            @Override
            public Descriptor descriptor(SharedMemory m) {
                return m.descriptor();
            }

            @Override
            public Inheritable.Handle childHandle(SharedMemory m) {
                return m.childHandle();
            }
        });
    }

    private static final Platform OS = Platform.current();

    /** Prefix of generated names; the test suite's leak check looks for it among the names. */
    static final String GENERATED_PREFIX = "mp4j-";

    private final String name; // normalized, with the leading '/'; null when anonymous
    private final long size;
    private final Descriptor fd;
    private final Arena arena;
    private final MemorySegment segment;
    private final Cleaner.Cleanable cleanable;
    private boolean tracked; // this JVM created the name and still tracks it; guarded by this

    private SharedMemory(String name, long size, Handle fd, boolean tracked) throws IOException {
        this.name = name;
        this.size = size;
        this.fd = new Descriptor(fd);
        this.tracked = tracked;
        Arena a = Arena.ofShared();
        try {
            this.segment = OS.map(fd, size, a);
        } catch (IOException | RuntimeException e) {
            a.close();
            this.fd.close();
            throw e;
        }
        this.arena = a;
        this.cleanable = CleanerHolder.CLEANER.register(this,
                new Mapping(this.fd, a, (name == null ? "anonymous" : name) + ", " + size + " bytes"));
    }

    /**
     * Creates an anonymous block of {@code size} bytes, zero-filled. It has no name and nothing
     * to unlink; children get it by capturing it in a {@link Task}.
     *
     * @param size bytes, at least 1
     * @return the block, mapped
     * @throws IllegalArgumentException if {@code size < 1}
     * @throws IOException if the memory cannot be reserved, or {@code size} is more than the
     *     system can back now (see the class comment; nothing was committed)
     */
    public static SharedMemory create(long size) throws IOException {
        checkSize(size);
        Handle fd = OS.createAnonymousMemory("mp4j-shm", size);
        return new SharedMemory(null, size, fd, false);
    }

    /**
     * Creates a named block of {@code size} bytes under a new generated name
     * ({@code "mp4j-"} followed by random URL-safe base64 characters from a
     * {@link java.security.SecureRandom}: 27 characters in all on Linux, 132 random bits; 13 where
     * the OS allows only short names, as CPython's 14 with the {@code /}), zero-filled, readable
     * and writable by this user only. Python's {@code SharedMemory(create=True, size=n)}, with a
     * name nobody can guess.
     *
     * @param size bytes, at least 1
     * @return the block, mapped; {@link #name()} tells the name to give to other processes
     * @throws IllegalArgumentException if {@code size < 1}
     * @throws IOException if the memory cannot be reserved, or {@code size} is more than the
     *     system can back now (see the class comment; nothing was committed, no name is left)
     */
    public static SharedMemory createNamed(long size) throws IOException {
        checkSize(size);
        for (;;) {
            try {
                return createTracked(generateName(), size);
            } catch (FileAlreadyExistsException e) {
                // 2^-132 (Linux) or 2^-48 per existing name; try another, as Python does
            }
        }
    }

    /**
     * Creates a named block of {@code size} bytes, zero-filled, readable and writable by this user
     * only. The name must not exist. Until {@link #unlink()} or {@link #untrack()}, the name is
     * removed when this JVM ends, however it ends (see the class comment).
     *
     * @param name the name, with or without a leading {@code /} (Python omits it): 1 to 255
     *     (Linux; fewer where the OS says so, 30 on macOS) of the characters
     *     {@code A-Z a-z 0-9 . _ -}, not {@code "."} or {@code ".."} (so that every tool, Python
     *     and the tracker read it as one word; {@link #attach} accepts any name)
     * @param size bytes, at least 1
     * @return the block, mapped
     * @throws IllegalArgumentException if the name or size is invalid
     * @throws FileAlreadyExistsException if the name exists
     * @throws IOException if the memory cannot be reserved, or {@code size} is more than the
     *     system can back now (see the class comment); the name is removed again
     */
    public static SharedMemory create(String name, long size) throws IOException {
        String n = checkNewName(name);
        checkSize(size);
        return createTracked(n, size);
    }

    /**
     * {@return the normalized form of a name valid for {@link #create(String, long)}}
     *
     * @throws IllegalArgumentException if it is not valid
     * @throws NullPointerException if it is null
     */
    static String checkNewName(String name) {
        String n = normalize(name);
        if (!ShmTracker.isTrackable(n.substring(1))) {
            throw new IllegalArgumentException("invalid name for a new shared memory block '" + name
                    + "': " + OS.memoryNames().rule() + " (after an optional leading '/')");
        }
        return n;
    }

    private static SharedMemory createTracked(String n, long size) throws IOException {
        String bare = n.substring(1);
        ShmTracker tracker = ShmTracker.get();
        tracker.prepare();
        Handle fd = OS.createNamedMemory(n, size);
        boolean registered = false;
        boolean fdOwnedHere = true; // until the constructor takes the descriptor over
        try {
            tracker.register(bare, OS.inode(fd));
            registered = true;
            fdOwnedHere = false;
            return new SharedMemory(n, size, fd, true); // closes fd itself if it fails
        } catch (IOException | RuntimeException e) {
            try {
                if (fdOwnedHere) {
                    OS.close(fd);
                }
                OS.unlinkNamedMemory(n);
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            } finally {
                if (registered) {
                    tracker.unregister(bare);
                }
            }
            throw e;
        }
    }

    /**
     * Opens an existing named block (created by this library, by Python, or by anything using
     * {@code shm_open}) and maps all of it. Its size is the size of the underlying file. Before
     * mapping, checks that the file belongs to this user, that no other user may write to it
     * (group/other write permission is refused: anyone who can write the block can change what this
     * process reads), and that it is not empty. Attaching never makes this process responsible
     * for the name: closing, exiting or dying never removes it.
     *
     * @param name the name, with or without a leading {@code /}; no other {@code /}, no NUL, at
     *     most 255 characters (Linux; what the OS allows)
     * @return the block, mapped
     * @throws IllegalArgumentException if the name is invalid
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws AccessDeniedException if this user may not open it, it belongs to another user, or
     *     other users may write to it
     * @throws IOException if it is empty or cannot be mapped
     */
    public static SharedMemory attach(String name) throws IOException {
        String n = normalize(name);
        Handle fd = OS.openNamedMemory(n, false);
        long size;
        try {
            Platform.FileStatus st = OS.status(fd);
            if (st.ownerUid() != OS.uid()) {
                throw new AccessDeniedException(OS.memoryNames().describe(n.substring(1)), null,
                        "owned by uid " + st.ownerUid() + ", not by this user (uid " + OS.uid() + ")");
            }
            if ((st.permissions() & 0022) != 0) {
                throw new AccessDeniedException(OS.memoryNames().describe(n.substring(1)), null, String.format(
                        "mode %04o lets other users write to it; refusing to attach (chmod go-w)",
                        st.permissions()));
            }
            if (st.size() < 1) {
                throw new IOException("shared memory " + n + " is empty");
            }
            size = st.size();
        } catch (IOException | RuntimeException e) {
            OS.close(fd);
            throw e;
        }
        return new SharedMemory(n, size, fd, false); // closes fd itself if it fails
    }

    private static void checkSize(long size) {
        if (size < 1) {
            throw new IllegalArgumentException("size must be at least 1 byte, got " + size);
        }
    }

    private static String normalize(String name) {
        Objects.requireNonNull(name, "name");
        String n = name.startsWith("/") ? name : "/" + name;
        int max = OS.memoryNames().maxLength();
        if (n.length() < 2 || n.length() > max + 1 || n.indexOf('/', 1) >= 0 || n.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid shared memory name '" + name
                    + "': 1 to " + max + " characters after an optional leading '/', no other '/', no NUL");
        }
        return n;
    }

    private static String generateName() {
        return "/" + OS.memoryNames().generate(GENERATED_PREFIX);
    }

    /**
     * {@return the mapped memory, {@link #size()} bytes long} Accessible from any thread, until
     * {@link #close()}.
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

    /**
     * {@return the bytes the OS actually maps: {@link #size()} rounded up to whole pages} Python's
     * {@code SharedMemory.size} reports this on some platforms; the bytes past {@link #size()}
     * are not part of {@link #segment()}.
     */
    public long mappedSize() {
        long page = OS.pageSize();
        return (size + page - 1) / page * page;
    }

    /** {@return the name without its leading {@code /} (as Python reports it), if named} */
    public Optional<String> name() {
        return Optional.ofNullable(name).map(n -> n.substring(1));
    }

    /**
     * Removes the name (Python's {@code unlink()}), so that no one else can attach; mappings,
     * including this one, stay valid. Call it once, from whichever process is responsible for the
     * block (normally its creator); if this JVM created the name, its tracker forgets it.
     * Thread-safe; works after {@link #close()}.
     *
     * @throws IllegalStateException if the block is anonymous
     * @throws java.nio.file.NoSuchFileException if the name was already removed
     * @throws IOException on any other error
     */
    public void unlink() throws IOException {
        if (name == null) {
            throw new IllegalStateException("anonymous shared memory has no name to unlink");
        }
        try {
            OS.unlinkNamedMemory(name);
        } catch (java.nio.file.NoSuchFileException e) {
            forget(); // gone anyway; a later block under this name is not ours to remove
            throw e;
        }
        forget();
    }

    /**
     * Stops this JVM from removing the name when it ends (Python 3.13's {@code track=False}): the
     * block then outlives this JVM until someone calls {@link #unlink()}. No effect on an attached
     * block, an anonymous one, or a second call. Thread-safe.
     */
    public void untrack() {
        synchronized (this) {
            if (!tracked) {
                return;
            }
        }
        forget();
    }

    /** Ends tracking of the name by this JVM, whichever of its handles created it. */
    private void forget() {
        synchronized (this) {
            tracked = false;
        }
        ShmTracker.get().unregister(name.substring(1));
    }

    /**
     * Unmaps this process's view and closes its descriptor (Python's {@code close()}); does not
     * remove the name, and does not stop this JVM's tracking of a name it created. Idempotent and
     * thread-safe.
     *
     * @throws IllegalStateException if another thread is using the segment in a native call
     */
    @Override
    public synchronized void close() {
        if (!fd.isClosed()) {
            arena.close();
            fd.close();
            cleanable.clean(); // nothing left to do: unregisters the safety net
        }
    }

    Descriptor descriptor() {
        return fd;
    }

    boolean isClosed() {
        return fd.isClosed();
    }

    /** {@return what travels to a child instead of this object: the descriptor and the size} */
    Inheritable.Handle childHandle() {
        return new ChildMapping(name, size);
    }

    /**
     * A child's mapping: never tracked there, whoever created the name.
     *
     * @param name the block's name, or null if anonymous
     * @param size the block's size in bytes
     */
    private record ChildMapping(String name, long size) implements Inheritable.Handle {
        private static final long serialVersionUID = 1L;

        @Override
        public Object resolve(Handle fd) throws IOException {
            return new SharedMemory(name, size, fd, false);
        }
    }

    @Override
    public String toString() {
        return "SharedMemory[" + (name == null ? "anonymous" : name.substring(1)) + ", " + size
                + " bytes" + (fd.isClosed() ? ", closed" : "") + "]";
    }

    /** The Cleaner's action: sees the descriptor and the arena, never the block. */
    private record Mapping(Descriptor fd, Arena arena, String description) implements Runnable {
        @Override
        public void run() {
            if (!fd.isClosed()) {
                LeakReports.report(SharedMemory.class,
                        "SharedMemory[" + description + "] was not closed; unmapped by the Cleaner");
                try {
                    arena.close();
                } catch (IllegalStateException inUse) {
                    // cannot happen for an unreachable block; keep the mapping rather than fail
                }
                fd.close();
            }
        }
    }

    private static final class CleanerHolder {
        static final Cleaner CLEANER = Cleaner.create();
    }
}
