package org.multiprocessing4j.platform;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Locale;

/**
 * The operating-system seam: everything the library asks of the OS, and nothing else. One
 * backend per OS family, chosen once into {@link #current()}. Backends are thin: they call the OS,
 * resume a call the OS interrupted with the remaining timeout, complete partial writes and
 * translate errors in one place; they hold no policy (timeouts, retries beyond that, semantics) —
 * that lives in {@code internal} and the public API. The seam speaks of stop requests, exit
 * statuses and named memory in its own words; each backend's class comments name the OS calls,
 * signals and errors behind them.
 *
 * <h2>What every backend guarantees</h2>
 * <ul>
 * <li><b>Handles.</b> OS resources are named by opaque {@link Handle}s (POSIX: descriptors,
 *     Windows: {@code HANDLE}s). Every handle a backend creates or receives is not inherited by
 *     children; a child gets exactly the handles given to {@link #spawn}, and finds them with
 *     {@link #inheritedHandle}. Ownership (close at most once, never under a call in flight) is
 *     the caller's business, see {@code internal.Descriptor}.</li>
 * <li><b>Handle transfer.</b> To a child at start ({@link #spawn}), to a running process over a
 *     socket pair ({@link #sendWithHandles}/{@link #receiveWithHandles}, at most
 *     {@link #maxHandlesPerMessage()} per message).</li>
 * <li><b>Waiting on handles.</b> {@link #awaitReadable} waits on connections, listeners and
 *     process sentinels at once; readiness is "a read would not block", whatever the OS calls
 *     it. Timeouts are never cut short: an interrupted wait resumes with the remaining time.</li>
 * <li><b>Processes.</b> Exit statuses are decoded by the backend ({@link ExitStatus}: an exit
 *     code, or the signal that ended the process, reported as Python does with {@code -N});
 *     stop requests ({@link Stop}), signal names, the child's handlers for stop requests and
 *     "die when the parent dies" are backend operations: policy code never names a signal
 *     number.</li>
 * <li><b>Errors.</b> A missing file is {@link java.nio.file.NoSuchFileException}, an existing one
 *     {@link java.nio.file.FileAlreadyExistsException}, no permission
 *     {@link java.nio.file.AccessDeniedException}, a peer that closed {@link java.io.EOFException},
 *     anything else an {@link OsException} naming the call and the OS error.</li>
 * </ul>
 *
 * <p>All methods are thread-safe. Blocking calls block the calling (carrier) thread.
 */
public interface Platform {

    /**
     * {@return the backend chosen by {@link #BACKEND_PROPERTY}, by default the one for the running
     * OS and architecture}
     *
     * @throws UnsupportedPlatformException if there is none (thrown again on every call)
     * @throws IllegalArgumentException if {@link #BACKEND_PROPERTY} names no backend (thrown again
     *     on every call)
     */
    static Platform current() {
        Platform p = Holder.INSTANCE;
        if (p == null) {
            throw Holder.failure();
        }
        return p;
    }

    /**
     * The system property that chooses the backend ({@code -Dmp4j.platform=posix}); unset or blank:
     * the running OS's own ({@code linux} on Linux, {@code windows} on Windows). A backend of
     * another OS is refused ({@link UnsupportedPlatformException}). Read once, by the first {@link #current()};
     * children started by the library are given the same value, so that they use their parent's
     * backend (shared regions record which backend created them).
     */
    String BACKEND_PROPERTY = "mp4j.platform";

    /** The values {@link #BACKEND_PROPERTY} accepts. */
    List<String> BACKENDS = List.of("linux", "posix", "windows");

    /** {@return a short name such as {@code "linux-x86_64"}} */
    String name();

    // ---------------------------------------------------------------- identity

    /** {@return this process's id} */
    int pid();

    /** {@return the parent process id as the kernel reports it now} */
    int parentPid();

    // ---------------------------------------------------------------- handles and I/O

    /**
     * Creates a one-way pipe.
     *
     * @return {@code {readEnd, writeEnd}}, neither inherited by children
     * @throws IOException if the OS refuses (for example no handle left)
     */
    Handle[] pipe() throws IOException;

    /**
     * Creates a connected pair of stream sockets (POSIX: Unix-domain), which can carry handles
     * ({@link #sendWithHandles}).
     *
     * @return two connected handles, neither inherited by children
     * @throws IOException if the OS refuses
     */
    Handle[] socketPair() throws IOException;

    /**
     * Reads up to {@code length} bytes; blocks until at least one byte or end of stream.
     *
     * @return bytes read, 0 at end of stream (a connection reset by a peer that died counts as
     *     end of stream)
     * @throws IOException on error
     */
    long read(Handle handle, MemorySegment buffer, long length) throws IOException;

    /**
     * Reads up to {@code length} bytes from a socket without blocking (used to spin briefly
     * before sleeping in {@link #read}).
     *
     * @return bytes read; 0 at end of stream; -1 if nothing is available now, or if
     *     {@code handle} is not a socket (the caller then falls back to a blocking read)
     * @throws IOException on error
     */
    long readNow(Handle handle, MemorySegment buffer, long length) throws IOException;

    /**
     * Writes all {@code length} bytes to any handle, completing partial writes; never raises a
     * signal in this process (a closed reader is an {@link java.io.EOFException}).
     *
     * @throws java.io.EOFException if the reading side is closed
     * @throws IOException on any other error
     */
    void writeFully(Handle handle, MemorySegment buffer, long length) throws IOException;

    /**
     * Like {@link #writeFully(Handle, MemorySegment, long)}, faster for a socket; works on other
     * handles too, at the cost of one failed call each time.
     *
     * @throws java.io.EOFException if the reading side is closed
     * @throws IOException on any other error
     */
    void sendFully(Handle handle, MemorySegment buffer, long length) throws IOException;

    /**
     * Writes all of {@code first} then all of {@code second} (gathering write, one system call
     * when the OS buffer has room), completing partial writes; never raises a signal in this
     * process.
     *
     * @throws java.io.EOFException if the reading side is closed
     * @throws IOException on any other error
     */
    void writeFully(Handle handle, MemorySegment first, MemorySegment second) throws IOException;

    /**
     * Waits until at least one of {@code handles} is readable: a read would not block because
     * data or end of stream is there (a pipe or socket), a connection is pending (a listening
     * socket), the process has ended (a sentinel from {@link #openProcessHandle}), or the handle
     * is in error (the read reports it).
     *
     * @param ready filled for every handle, {@code true} if it is readable; same length as
     *     {@code handles}
     * @param timeoutNanos negative: wait forever; 0: do not block
     * @return the number of readable handles, 0 only after the timeout, which is never cut
     *     short (an interrupted wait resumes with the remaining time)
     * @throws java.nio.channels.ClosedChannelException if some handle is not open
     * @throws IOException on any other error
     */
    int awaitReadable(Handle[] handles, boolean[] ready, long timeoutNanos) throws IOException;

    /**
     * {@link #awaitReadable(Handle[], boolean[], long)} for one handle.
     *
     * @return whether it is readable; {@code false} only after the timeout
     * @throws java.nio.channels.ClosedChannelException if the handle is not open
     * @throws IOException on any other error
     */
    default boolean awaitReadable(Handle handle, long timeoutNanos) throws IOException {
        return awaitReadable(new Handle[] {handle}, new boolean[1], timeoutNanos) > 0;
    }

    /**
     * Blocks until the other end of the stream socket {@code socket} has closed (or the socket
     * can no longer be used, or {@link #shutdown} was called on it); data arriving on it neither
     * wakes this call nor is consumed by it, so another thread may go on reading. Used by a child
     * to notice its parent's death while its main thread uses the same socket.
     *
     * @throws IOException on error (the caller treats the socket as closed)
     */
    void awaitHangUp(Handle socket) throws IOException;

    /**
     * Shuts down both directions of a socket, waking threads blocked on it; this acts on the
     * socket, so every process holding it sees end of stream. Not a socket: no-op.
     *
     * @throws IOException on any error other than "not a socket" / "not connected"
     */
    void shutdown(Handle handle) throws IOException;

    /**
     * Closes a handle. Whatever the outcome the handle is gone afterwards and must not be used
     * again (an interrupted close is not retried: the value may already name something else).
     *
     * @throws IOException on an invalid handle or an I/O error reported by the close
     */
    void close(Handle handle) throws IOException;

    /**
     * {@return a new handle on what {@code handle} names, not inherited by children}
     *
     * @throws IOException on error
     */
    Handle duplicate(Handle handle) throws IOException;

    // ---------------------------------------------------------------- handle transfer

    /**
     * Sends all {@code length} bytes of {@code data} on a stream socket from {@link #socketPair}
     * (or one connected to a Unix-domain address) together with copies of {@code handles} for
     * the receiving process (POSIX: {@code SCM_RIGHTS}; the handles travel with the first byte),
     * completing a partial send without them; never raises a signal in this process. The caller
     * keeps its own handles.
     *
     * @param handles at most {@link #maxHandlesPerMessage()}; may be empty
     * @throws IllegalArgumentException for more handles, or handles with no byte
     * @throws java.io.EOFException if the peer has closed the socket
     * @throws IOException on any other error (for example not such a socket)
     */
    void sendWithHandles(Handle socket, MemorySegment data, long length, Handle[] handles)
            throws IOException;

    /**
     * Receives up to {@code length} bytes from a stream socket and the handles sent with them by
     * {@link #sendWithHandles}; blocks until at least one byte or end of stream. The handles
     * arrive not inherited by children and are owned by the caller.
     *
     * @return the bytes read (0 at end of stream) and the handles received
     * @throws IOException on error, or if more handles arrived than {@link #maxHandlesPerMessage()}
     *     (those are then closed)
     */
    Received receiveWithHandles(Handle socket, MemorySegment buffer, long length)
            throws IOException;

    /** {@return the most handles one {@link #sendWithHandles} may carry (Linux: 253)} */
    int maxHandlesPerMessage();

    /**
     * What {@link #receiveWithHandles} read.
     *
     * @param bytes bytes read, 0 at end of stream
     * @param handles the handles that came with them, in the order they were sent
     */
    record Received(long bytes, Handle[] handles) {
        /** Copies the array. */
        public Received {
            handles = handles.clone();
        }

        /** {@return a copy of the handles} */
        @Override
        public Handle[] handles() {
            return handles.clone();
        }
    }

    /**
     * {@return inherited handle {@code index} of this process: {@code request.handles()[index]}
     * of the {@link #spawn} that started it} The first call for an index also makes the handle
     * not inherited by anything this process executes (the backend had to make it inheritable to
     * pass it); later calls return an equal handle without asking the OS again. Thread-safe.
     *
     * @param index at least 0 and less than the number of handles the parent passed (the backend
     *     cannot check: the caller learns the count from its parent)
     * @throws IllegalArgumentException if {@code index} is negative
     * @throws IOException if, at the first call for {@code index}, there is no such handle
     */
    Handle inheritedHandle(int index) throws IOException;

    /**
     * {@return inherited handle {@code index}, the reading end of a {@link #pipe}, as a channel of
     * the JDK's own, or {@code null} if this system cannot open it that way} Chooses no backend and
     * makes no native call of its own (the JDK's file channel does the reading): a starting child
     * can take what its parent sends before it pays for linking its first native call. The channel
     * is a second descriptor of the same pipe, which nothing this process starts inherits (our
     * spawns pass exact handles, {@link ProcessBuilder} closes the rest); closing it leaves
     * {@link #inheritedHandle inheritedHandle(index)} open and, unlike that method, it does not
     * change whether the inherited handle is inherited further. A read blocks until bytes arrive
     * or every writing end is closed (end of stream); closing the channel wakes a thread blocked
     * in it ({@link java.nio.channels.AsynchronousCloseException}). Thread-safe.
     *
     * @param index at least 0, a handle the parent passed and made the reading end of a pipe
     * @throws IllegalArgumentException if {@code index} is negative
     */
    static java.nio.channels.FileChannel openInheritedPipe(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("no inherited handle " + index);
        }
        String os = System.getProperty("os.name", "?").toLowerCase(java.util.Locale.ROOT);
        return os.startsWith("windows") ? null
                : org.multiprocessing4j.platform.posix.PosixPlatform.openInheritedPipe(index);
    }

    // ---------------------------------------------------------------- processes

    /**
     * Starts a program. The child gets this process's standard input, output and error, and
     * exactly the handles {@code request.handles()}: handle {@code i} is its
     * {@link #inheritedHandle inheritedHandle(i)}; nothing else this process has open leaks into
     * it. The child's signal mask is empty and its signal dispositions default. Never blocks for
     * long; does not wait for the child.
     *
     * @return the child's pid
     * @throws IOException if the program cannot be started (for example
     *     {@link java.nio.file.NoSuchFileException})
     */
    int spawn(SpawnRequest request) throws IOException;

    /**
     * Opens a sentinel of process {@code pid} (a child of this process, or its parent): a handle
     * that becomes readable ({@link #awaitReadable}) once the process has ended, and stays
     * bound to that process even after its pid is reused.
     *
     * @throws IOException if the process does not exist or the OS lacks support
     */
    Handle openProcessHandle(int pid) throws IOException;

    /**
     * Reaps a child: after this its pid may be reused, so it must not be stopped any more.
     *
     * @param block wait until it exits
     * @return its exit status, or {@code null} if {@code block} is false and it is still running
     * @throws IOException if {@code pid} is not an unreaped child of this process
     */
    ExitStatus waitForExit(int pid, boolean block) throws IOException;

    /**
     * A request to end a process, in the OS's own terms (POSIX: a signal; Windows: a console
     * control event or {@code TerminateProcess}). Policy code names the request, never a number;
     * each backend's comment says what it sends for each.
     */
    enum Stop {
        /** As Ctrl-C at a terminal: the process may handle it and exit in order. */
        INTERRUPT,
        /** A request to end: the process may handle it and exit in order. */
        TERMINATE,
        /** Ends the process at once; it cannot be handled or ignored. */
        KILL
    }

    /**
     * Delivers {@code how} to process {@code pid}. Never blocks; does not wait for the process to
     * end. A process that is already gone (or a zombie) is not an error; the caller must know
     * that {@code pid} still names the process it means (for a child: not yet reaped).
     *
     * @throws IOException if the OS refuses (for example no permission)
     */
    void stop(int pid, Stop how) throws IOException;

    /**
     * {@return the OS's name of {@code signal}, a number as in {@link ExitStatus#signal()}, for
     * messages (the name a user of that OS knows it by); {@code "signal N"} for one the backend
     * does not name}
     * Never fails.
     */
    String signalName(int signal);

    /**
     * Makes this process end when its parent ends (however the parent ends, a kill included),
     * and checks that the parent is still {@code parentPid}: if it has already ended, this process
     * was handed to another parent, and no death of {@code parentPid} will be reported any more.
     * Call once, early, from a process this library started. A backend uses the OS's own way of
     * ending a child with its parent where there is one; one without watches the parent from a
     * daemon thread.
     * The library's children also watch their bootstrap connection for end of stream: this is the
     * second line, for a child stuck where it does not read.
     *
     * @return {@code false} if the parent {@code parentPid} has already ended (the caller should
     *     exit), else {@code true}
     * @throws IOException if the OS refuses
     */
    boolean dieWithParent(int parentPid) throws IOException;

    /**
     * Handles {@link Stop#INTERRUPT} and {@link Stop#TERMINATE} sent to this process: when one
     * arrives, calls {@code beforeExit} with its number (as {@link ExitStatus#signal()} would
     * report it), then exits through the JVM's shutdown hooks ({@code System.exit}) with a status
     * that {@link #afterStopReport} turns back into "ended by that signal". Call once; does nothing
     * if the JVM reserves those signals (for example {@code -Xrs}).
     *
     * @param beforeExit runs in the handler's thread; must not block for long (it tells the parent)
     */
    void handleStopRequests(java.util.function.IntConsumer beforeExit);

    /**
     * {@return how a process ended, given the signal it said it was stopping for} A process that
     * reported {@code reportedSignal} from {@link #handleStopRequests} and then exited with the
     * status that handler exits with is reported as ended by that signal (as if it had not handled
     * it: Python's {@code -N}); any other status — a later {@link Stop#KILL}, a crash, no report
     * ({@code reportedSignal} 0) — is returned as it is.
     */
    ExitStatus afterStopReport(ExitStatus status, int reportedSignal);

    // ---------------------------------------------------------------- shared memory & wait/wake

    /**
     * Creates an anonymous shared-memory file of {@code size} bytes (Linux: memfd, sealed against
     * shrinking), its pages reserved now so that running out of memory fails here. A size larger
     * than the memory the system can back now is refused before anything is committed, as by
     * {@link #reserve}.
     *
     * @return the handle, not inherited by children
     * @throws IOException if the memory cannot be reserved (for example no space is left), or
     *     {@code size} is more than the system can back (the message names both)
     */
    Handle createAnonymousMemory(String debugName, long size) throws IOException;

    /**
     * Opens a named shared-memory object (POSIX {@code shm_open}; the name starts with {@code /}).
     * Names follow {@link #memoryNames()}; the OS's own limits are enforced by the OS.
     *
     * @param name {@code /} and a bare name, for example {@code "/mp4j-1f3a..."}
     * @param create {@code true}: create it, failing if it exists, readable and writable by this
     *     user only (mode 0600); {@code false}: open an existing one read-write
     * @return the handle, not inherited by children
     * @throws java.nio.file.FileAlreadyExistsException if {@code create} and it exists
     * @throws java.nio.file.NoSuchFileException if not {@code create} and it does not exist
     * @throws java.nio.file.AccessDeniedException if this user may not open it
     * @throws IOException on any other error
     */
    Handle openNamedMemory(String name, boolean create) throws IOException;

    /**
     * Creates a named shared-memory object of {@code size} bytes, failing if the name exists,
     * readable and writable by this user only, its pages reserved as by {@link #reserve}. This is
     * the way to create named memory on every backend: where a block can exist before it has a
     * size (POSIX) it is {@link #openNamedMemory openNamedMemory(name, true)} then
     * {@link #reserve}, removing the name again if the reservation fails (this default); where the
     * size is fixed at creation (Windows), the backend overrides it and refuses
     * {@code openNamedMemory(name, true)}.
     *
     * @param name {@code /} and a bare name, as for {@link #openNamedMemory}
     * @param size bytes, at least 1
     * @return the handle, not inherited by children
     * @throws java.nio.file.FileAlreadyExistsException if it exists
     * @throws IOException if the memory cannot be reserved, or on any other error (nothing is
     *     left behind)
     */
    default Handle createNamedMemory(String name, long size) throws IOException {
        Handle h = openNamedMemory(name, true);
        try {
            reserve(h, size);
            return h;
        } catch (IOException | RuntimeException e) {
            try {
                close(h);
                unlinkNamedMemory(name);
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Removes a named shared-memory object's name; mappings stay valid.
     *
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException on any other error
     */
    void unlinkNamedMemory(String name) throws IOException;

    /**
     * Sets the size of a shared-memory file and reserves its pages, so that running out of
     * memory fails here rather than as a bus error on first touch. Committing pages a system cannot
     * back does not fail on every OS — Linux's OOM killer ends some process instead, and since
     * shared pages are in no process's resident set it picks others first — so a backend first
     * refuses a size larger than what can be backed now: the memory available (Linux:
     * {@code MemAvailable + SwapFree}), what this process's memory cgroups can still hold, and
     * the space free in the file's file system. That is a snapshot, not a reservation: processes
     * creating at the same moment may together still exceed it.
     *
     * @throws IOException if the memory cannot be reserved (for example no space is left), or
     *     {@code size} is more than the system can back (the message names both; nothing was
     *     committed and the file's size is unchanged)
     */
    void reserve(Handle memory, long size) throws IOException;

    /**
     * {@return size, owner and permission bits of the file behind {@code handle}}
     *
     * @throws IOException on error
     */
    FileStatus status(Handle handle) throws IOException;

    /** {@return this process's real user id} */
    int uid();

    /**
     * {@return the inode number of the file behind {@code handle}} Together with the file system it
     * names the file itself, whatever name it has now: a resource tracker compares it before
     * removing a name, so that it never removes a file that replaced the one it registered.
     *
     * @throws IOException on error
     */
    long inode(Handle handle) throws IOException;

    /** {@return the size of a memory page, the unit in which {@link #map} maps} */
    long pageSize();

    // ---------------------------------------------------------------- process identity & liveness

    /**
     * {@return this process's token: the number that names it in shared regions (lock owners,
     * barrier parties, queue participants)} Constant for the life of the process. In
     * {@code [1, 2^62)}, so that a compare-and-set word can carry it with two flag bits to spare;
     * bits 32 to 61 hold the pid (every backend's pids are below 2<sup>30</sup>), so that a
     * message can say which process holds something. The low 32 bits tell this process apart
     * from every other process that had or will have its pid while a region it uses exists
     * (Linux: the low 32 bits of its start time in clock ticks, which repeats only after
     * 2<sup>32</sup> ticks — about 497 days at 100 Hz; a backend without a start time may draw
     * them at random). Whether the process a token names is alive is asked of a
     * {@link ProcessMark}, never of the pid.
     *
     * @throws IllegalStateException if the OS cannot tell (Linux: the process file system is not mounted)
     */
    long processToken();

    /**
     * Places this process's liveness mark for {@code token} (normally {@link #processToken()}) on
     * the file behind {@code memory}, a shared-memory region's handle that must stay open for the
     * call only. The mark stays until it is closed or this process ends (see {@link ProcessMark}
     * for what every backend promises, and the traps of classic POSIX locks).
     *
     * @param token in {@code [0, 2^62)}
     * @return the mark; through it, this process also asks whether other processes hold marks
     * @throws IllegalArgumentException if {@code token} is out of range
     * @throws IOException if the OS refuses (Linux: the process file system is not mounted,
     *     or too many descriptors or locks)
     */
    ProcessMark placeMark(Handle memory, long token) throws IOException;

    // ---------------------------------------------------------------- named memory & private files

    /** {@return the rules for names of named shared memory on this OS} */
    MemoryNames memoryNames();

    /**
     * {@return the bare names of the named shared-memory objects this user owns, or empty if this
     * OS offers no way to enumerate them} For inspection tools only (the library never lists):
     * POSIX has no call that enumerates named memory, so a backend without an OS-specific way
     * returns empty rather than a partial list. Does not block beyond reading a directory.
     *
     * @throws IOException if the OS has a list but reading it fails
     */
    default java.util.Optional<List<String>> listNamedMemory() throws IOException {
        return java.util.Optional.empty();
    }

    /**
     * {@return the inode numbers ({@link #inode}) of the named shared-memory files that some
     * process of this user maps or holds open, this one included, or empty if this OS cannot tell}
     * For inspection tools only: a snapshot, which a process may change at any moment; processes
     * this one may not inspect (another user's, another PID namespace's) are not seen.
     *
     * @throws IOException if the OS has the information but reading it fails
     */
    default java.util.Optional<java.util.Set<Long>> namedMemoryInUse() throws IOException {
        return java.util.Optional.empty();
    }

    /**
     * {@return whether the process that {@code token} ({@link #processToken()}) names is running,
     * judged from this OS's process table; empty if this backend cannot tell (its tokens are not
     * derived from anything the OS shows)} For inspection tools only: it sees only the processes
     * of this process's PID namespace (a process elsewhere counts as not running), which is why
     * the library itself asks {@link ProcessMark}s instead. Never blocks.
     *
     * @param token a token in {@code [1, 2^62)}
     * @throws IllegalArgumentException if {@code token} is out of range
     */
    default java.util.Optional<Boolean> isRunning(long token) {
        if (token <= 0 || token >= 1L << 62) {
            throw new IllegalArgumentException("process token out of [1, 2^62): " + token);
        }
        return java.util.Optional.empty();
    }

    /**
     * Starts a reaper: a helper process that removes, after this process ends, the named blocks
     * and private directories this process registers with it (see {@link Reaper}). Each call
     * starts a new one; the caller keeps one at a time.
     *
     * @return the running reaper
     * @throws IOException if it cannot be started (Linux: no POSIX shell); named blocks are
     *     then not removed after a crash
     */
    Reaper startReaper() throws IOException;

    /** {@return the way this OS makes files and directories private to this user} */
    PrivateFiles privateFiles();

    // ---------------------------------------------------------------- stream sockets

    /**
     * Opens a stream socket (not inherited by children) of the family of {@code address}: AF_UNIX for a
     * {@link java.net.UnixDomainSocketAddress}, AF_INET or AF_INET6 for a resolved
     * {@link java.net.InetSocketAddress}.
     *
     * @param nonBlocking whether calls on it return at once instead of waiting (for listeners)
     * @return the socket, not inherited by children
     * @throws IllegalArgumentException for another address type, or an unresolved one
     */
    Handle socket(java.net.SocketAddress address, boolean nonBlocking) throws IOException;

    /**
     * Binds a socket from {@link #socket} (SO_REUSEADDR set for TCP) and listens with
     * {@code backlog}. A Unix-domain socket file is created with mode 0600 (less what the umask
     * removes): it is never accessible to others, not even for a moment.
     */
    void bindAndListen(Handle socket, java.net.SocketAddress address, int backlog) throws IOException;

    /**
     * Accepts a pending connection on a non-blocking listener.
     *
     * @return the new connection (blocking, not inherited by children; TCP_NODELAY for TCP), or
     *     {@code null} if none is pending
     */
    Handle accept(Handle listener) throws IOException;

    /**
     * Connects a socket from {@link #socket} (blocking; TCP_NODELAY for TCP).
     *
     * @throws java.net.ConnectException if nobody listens there
     */
    void connect(Handle socket, java.net.SocketAddress address) throws IOException;

    /**
     * Connects a socket from {@link #socket}, waiting at most {@code timeoutNanos}
     * (TCP_NODELAY for TCP). The socket is in blocking mode again when this returns.
     *
     * @param timeoutNanos how long to wait at most; 0 not at all
     * @return {@code true} once connected; {@code false} if the timeout passed first (the socket
     *     is then unusable: close it), or if a Unix-domain listener's queue is full (on an OS
     *     that says so at once and offers nothing to wait on; the same socket may try again)
     * @throws java.net.ConnectException if nobody listens there
     */
    boolean connect(Handle socket, java.net.SocketAddress address, long timeoutNanos) throws IOException;

    /** {@return the address a socket is bound to (the port chosen for port 0, for example)} */
    java.net.SocketAddress localAddress(Handle socket) throws IOException;

    /** A file's size, owner and permission bits ({@code st_mode & 07777}). */
    record FileStatus(long size, int ownerUid, int permissions) {
    }

    /**
     * Maps {@code size} bytes of the shared-memory handle {@code memory} read-write and shared.
     * The returned segment is unmapped when {@code arena} closes.
     *
     * @throws IOException on error
     */
    MemorySegment map(Handle memory, long size, java.lang.foreign.Arena arena) throws IOException;

    // ---------------------------------------------------------------- waiting

    /**
     * {@return how many bytes every shared region that has words someone sleeps on reserves for
     * this backend's wait channel} A multiple of 64; 0 when the backend needs no state in the
     * region (Linux: the futex is keyed by the word itself). The region header records where the
     * area starts (see {@code internal.RegionHeader}).
     */
    long waitChannelBytes();

    /**
     * Initializes the wait-channel area of a region this process creates, before any other
     * process can see the region; a no-op when {@link #waitChannelBytes()} is 0.
     *
     * @param region the whole region, zeroed
     * @param offset where its {@link #waitChannelBytes()} bytes start (a multiple of 64)
     * @throws IllegalArgumentException if the area is not inside the region or misaligned
     * @throws IOException if the OS refuses to initialize the state
     */
    void initWaitChannel(MemorySegment region, long offset) throws IOException;

    /**
     * Returns the wait channel of a region whose area at {@code offset} was initialized by
     * {@link #initWaitChannel} (in this or another process of the same backend). Cheap; the
     * result may be cached for as long as the region stays mapped. Thread-safe.
     *
     * @param region the whole region
     * @param offset where its wait-channel area starts
     * @return the channel for the 32-bit words of {@code region}
     * @throws IllegalArgumentException if the area is not inside the region or misaligned
     */
    WaitChannel waitChannel(MemorySegment region, long offset);

    /**
     * {@return the backend's id, as the {@code mp4j.platform} property names it ({@code "linux"},
     * {@code "posix"}): at most 8 ASCII characters} Every shared region records the id of the
     * backend that created it, since the wait-channel state of one backend means nothing to
     * another; opening a region of another backend fails.
     */
    String backendId();

    /**
     * The request of {@link #spawn}.
     *
     * @param executable the program's path
     * @param arguments its arguments, the program's name first
     * @param environment its environment, {@code NAME=value} each
     * @param handles the handles it inherits, as {@link #inheritedHandle inheritedHandle(i)}
     */
    record SpawnRequest(String executable, List<String> arguments, List<String> environment,
                        Handle[] handles) {
        /** Copies the lists and array. */
        public SpawnRequest {
            arguments = List.copyOf(arguments);
            environment = List.copyOf(environment);
            handles = handles.clone();
        }

        /** {@return a copy of the handles to pass, in the child's order} */
        @Override
        public Handle[] handles() {
            return handles.clone();
        }
    }

    /**
     * How a child ended.
     *
     * @param exitCode the exit code if it exited, else -1
     * @param signal the signal that killed it, else 0
     */
    record ExitStatus(int exitCode, int signal) {
        /** {@return Python's convention: the exit code, or {@code -signal}} */
        public int pythonExitCode() {
            return signal != 0 ? -signal : exitCode;
        }
    }
}

/**
 * Chooses the backend once: the one named by {@value Platform#BACKEND_PROPERTY}, else the native
 * one of the running OS.
 */
final class Holder {
    private static final RuntimeException FAILURE;
    /** The backend, or null if none could be chosen ({@link #failure()} says why). */
    static final Platform INSTANCE;

    static {
        Platform chosen = null;
        RuntimeException failure = null;
        try {
            chosen = select(System.getProperty(Platform.BACKEND_PROPERTY),
                    System.getProperty("os.name", "?"), System.getProperty("os.arch", "?"));
        } catch (UnsupportedPlatformException | IllegalArgumentException e) {
            failure = e;
        }
        INSTANCE = chosen;
        FAILURE = failure;
    }

    private Holder() {
    }

    /** {@return why no backend was chosen: a fresh exception of the same type and message} */
    static RuntimeException failure() {
        return FAILURE instanceof IllegalArgumentException
                ? new IllegalArgumentException(FAILURE.getMessage(), FAILURE)
                : new UnsupportedPlatformException(FAILURE.getMessage(), FAILURE);
    }

    /**
     * {@return the backend named {@code choice}, or the running OS's own if {@code choice} is null
     * or blank}
     *
     * @throws IllegalArgumentException if {@code choice} names no backend (the message lists
     *     {@link Platform#BACKENDS})
     * @throws UnsupportedPlatformException if the chosen backend cannot run on {@code os}/{@code arch}
     */
    static Platform select(String choice, String os, String arch) {
        return switch (backendFor(choice, os, arch)) {
            case "linux" -> org.multiprocessing4j.platform.linux.LinuxPlatform.create(arch);
            case "posix" -> org.multiprocessing4j.platform.posix.PosixPlatform.create(os, arch);
            case "windows" -> org.multiprocessing4j.platform.windows.WindowsPlatform.create(os, arch);
            default -> throw new AssertionError(choice);
        };
    }

    /**
     * {@return the id of the backend to load ({@link Platform#BACKENDS}), decided from the names
     * alone: no backend class is loaded or initialized here} The running OS's own when
     * {@code choice} is null or blank ({@code linux} for an {@code os} starting with "Linux",
     * {@code windows} for one starting with "Windows", ignoring case); an explicit {@code linux}
     * or {@code windows} only on that OS ({@code posix} is checked by its backend).
     *
     * @throws IllegalArgumentException if {@code choice} names no backend (the message lists
     *     {@link Platform#BACKENDS})
     * @throws UnsupportedPlatformException if the OS has no backend of its own and none is named,
     *     or the named one belongs to another OS
     */
    static String backendFor(String choice, String os, String arch) {
        String lower = os.toLowerCase(Locale.ROOT);
        String own = lower.startsWith("linux") ? "linux" : lower.startsWith("windows") ? "windows" : null;
        String name = choice == null || choice.isBlank() ? own : choice.strip();
        if (name == null) {
            throw new UnsupportedPlatformException(os, arch);
        }
        return switch (name) {
            case "linux", "windows" -> {
                if (!name.equals(own)) {
                    throw new UnsupportedPlatformException(os, arch);
                }
                yield name;
            }
            case "posix" -> name;
            default -> throw new IllegalArgumentException("-D" + Platform.BACKEND_PROPERTY + "="
                    + name + " names no backend; the choices are " + String.join(", ", Platform.BACKENDS));
        };
    }
}
