package org.multiprocessing4j.platform.posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.HandleMark;
import org.multiprocessing4j.platform.MemoryNames;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.PrivateFiles;
import org.multiprocessing4j.platform.ProcessMark;
import org.multiprocessing4j.platform.Reaper;
import org.multiprocessing4j.platform.WaitChannel;
import org.multiprocessing4j.platform.posix.bindings.Posix;

/**
 * The portable backend: only POSIX.1-2017 interfaces that macOS and the BSDs share, chosen with
 * {@code -Dmp4j.platform=posix}. A façade: each capability lives in its own class
 * ({@code PosixIo}, {@code PosixSockets}, {@code PosixProcesses}, {@code PosixMemory},
 * {@code PosixLiveness}), whose comment names the POSIX calls it makes and what differs on
 * macOS. All methods are thread-safe.
 *
 * <p>Waiting on a shared word: POSIX has no futex, so each region reserves
 * {@link #waitChannelBytes()} bytes for a table of process-shared semaphores
 * ({@code PosixWaitChannel}, which also says why semaphores and not condition variables).
 *
 * <p>The Linux backend is a subclass ({@code LinuxPlatform}): it inherits every method whose
 * POSIX call is also the best one on Linux and overrides only what Linux does better. The
 * capability classes here are static (or, for memory, an instance the subclass may replace), so
 * an inherited method is one direct call into them, as fast as the Linux backend's own.
 */
public class PosixPlatform implements Platform {
    private final String name;
    private final PosixMemory memory;
    private final Liveness liveness;
    /**
     * This process's token once {@link #processToken()} computed it, else 0. A process's token
     * cannot change: a JVM keeps its pid for life, and every child of this library is a new JVM
     * (spawn and forkserver both exec one; fork is refused), whose fields start at 0 again, as
     * {@code CurrentProcess} relies on for the pid it keeps. It is still re-checked against the
     * pid the JDK keeps for this process ({@code ProcessHandle.current()}, a field read, no
     * system call), so that a value that came from another process (a restored heap image) is
     * never taken for this one's. A race computes it twice, with the same result.
     */
    private volatile long token;
    /** The indexes whose inherited handle is close-on-exec already; guarded by itself. */
    private final java.util.BitSet inheritedDone = new java.util.BitSet();

    private PosixPlatform(String name, PosixTarget target) {
        this(name, new PosixMemory(target), new PosixLiveness(target));
    }

    /**
     * For a backend that builds on this one.
     *
     * @param name the backend's {@link #name()}
     * @param memory the shared-memory capability (a subclass of {@code PosixMemory} if the system
     *     does better)
     * @param liveness process identity and liveness marks: this backend's lock files, or what the
     *     system does better
     * @throws NullPointerException if an argument is null
     */
    protected PosixPlatform(String name, PosixMemory memory, Liveness liveness) {
        this.name = java.util.Objects.requireNonNull(name, "name");
        this.memory = java.util.Objects.requireNonNull(memory, "memory");
        this.liveness = java.util.Objects.requireNonNull(liveness, "liveness");
    }

    /**
     * Process identity and the liveness marks behind {@link #processToken()} and
     * {@link #placeMark}: this backend's byte-range locks on lock files ({@code PosixLiveness}),
     * or, in a backend that builds on this one, what its system does better (Linux:
     * open-file-description locks on the region's own file). {@link #placeMark} does the rest
     * for every implementation: the argument check, the private handle closed again if placing
     * fails, and the {@link ProcessMark} that removes the mark by closing its handle (through
     * {@link #close}, which tells {@link #closing} first). Implementations are thread-safe.
     */
    public interface Liveness {
        /**
         * {@return this process's token} ({@link Platform#processToken()})
         *
         * @param pid this process's pid ({@link #pid()})
         * @throws IllegalStateException if the system cannot tell this process's identity
         */
        long processToken(int pid);

        /**
         * {@return a new descriptor of the file behind {@code fd}, through which a mark can be
         * placed that no other process shares} The caller closes it.
         *
         * @throws IOException if the system refuses
         */
        int openPrivateHandle(int fd) throws IOException;

        /**
         * Places the mark for {@code token} through {@code handle} (from
         * {@link #openPrivateHandle}); it stays until {@code handle} is closed or this process
         * ends, however it ends.
         *
         * @param token in [0, 2<sup>62</sup>), checked by the caller
         * @throws IOException if the system refuses
         */
        void place(int handle, long token) throws IOException;

        /**
         * {@return whether a mark for {@code token} is placed on the file behind {@code handle}
         * through another handle than {@code handle}, of any process} A system call or two.
         *
         * @throws IOException if the system cannot tell
         */
        boolean isPlaced(int handle, long token) throws IOException;

        /** Called before {@code fd} is closed, whatever it is: forgets a mark placed through it. */
        void closing(int fd);
    }

    /**
     * Selects the bindings for the running architecture.
     *
     * @param osName value of {@code os.name}; the bindings were generated from glibc's headers,
     *     so this backend runs on Linux only (the calls it makes exist everywhere; the struct
     *     layouts and constant values are glibc's)
     * @param osArch value of {@code os.arch}
     * @return the backend
     * @throws org.multiprocessing4j.platform.UnsupportedPlatformException for another OS or an
     *     architecture without bindings
     */
    public static PosixPlatform create(String osName, String osArch) {
        if (!osName.toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
            throw new org.multiprocessing4j.platform.UnsupportedPlatformException(osName, osArch);
        }
        PosixTarget target = PosixTarget.of(osArch);
        return new PosixPlatform("posix-" + target.name().toLowerCase(java.util.Locale.ROOT), target);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int pid() {
        return PosixProcesses.pid();
    }

    @Override
    public int parentPid() {
        return PosixProcesses.parentPid();
    }

    // ------------------------------------------------------------------ handles

    /**
     * {@return the descriptor {@code handle} stands for}
     *
     * @param handle a handle of this backend
     */
    protected static int fd(Handle handle) {
        return (int) handle.value();
    }

    /**
     * {@return the descriptors of {@code handles}}
     *
     * @param handles handles of this backend
     */
    protected static int[] fds(Handle[] handles) {
        int[] fds = new int[handles.length];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = fd(handles[i]);
        }
        return fds;
    }

    /**
     * {@return the handles of descriptors {@code fds}}
     *
     * @param fds descriptors
     */
    protected static Handle[] handles(int[] fds) {
        Handle[] h = new Handle[fds.length];
        for (int i = 0; i < fds.length; i++) {
            h[i] = Handle.of(fds[i]);
        }
        return h;
    }

    // ------------------------------------------------------------------ I/O

    @Override
    public Handle[] pipe() throws IOException {
        return handles(PosixIo.pipe());
    }

    @Override
    public Handle[] socketPair() throws IOException {
        return handles(PosixIo.socketPair());
    }

    @Override
    public long read(Handle handle, MemorySegment buffer, long length) throws IOException {
        return PosixIo.read(fd(handle), buffer, length);
    }

    @Override
    public long readNow(Handle handle, MemorySegment buffer, long length) throws IOException {
        return PosixIo.readNow(fd(handle), buffer, length);
    }

    @Override
    public void writeFully(Handle handle, MemorySegment buffer, long length) throws IOException {
        PosixIo.writeLoop(fd(handle), buffer, length, false);
    }

    @Override
    public void sendFully(Handle handle, MemorySegment buffer, long length) throws IOException {
        PosixIo.writeLoop(fd(handle), buffer, length, true);
    }

    @Override
    public void writeFully(Handle handle, MemorySegment first, MemorySegment second)
            throws IOException {
        PosixIo.writeFully(fd(handle), first, second);
    }

    @Override
    public int awaitReadable(Handle[] handles, boolean[] ready, long timeoutNanos)
            throws IOException {
        return PosixIo.awaitReadable(fds(handles), ready, timeoutNanos);
    }

    @Override
    public void awaitHangUp(Handle socket) throws IOException {
        PosixIo.awaitHangUp(fd(socket));
    }

    @Override
    public void shutdown(Handle handle) throws IOException {
        PosixIo.shutdown(fd(handle));
    }

    /**
     * {@inheritDoc} Tells {@link Liveness#closing} first, whatever the backend: the descriptor
     * may carry a liveness mark, and this is the one way a descriptor of this backend is closed
     * (a backend changes how the descriptor itself is closed by overriding
     * {@link #closeDescriptor}).
     */
    @Override
    public final void close(Handle handle) throws IOException {
        int fd = fd(handle);
        liveness.closing(fd);
        closeDescriptor(fd);
    }

    /**
     * Closes descriptor {@code fd}, after {@link #close} has told the liveness marks; not retried
     * when interrupted.
     *
     * @param fd the descriptor
     * @throws IOException on an invalid descriptor or an I/O error reported by the close
     */
    protected void closeDescriptor(int fd) throws IOException {
        PosixIo.close(fd);
    }

    @Override
    public Handle duplicate(Handle handle) throws IOException {
        return Handle.of(PosixIo.duplicate(fd(handle)));
    }

    // ------------------------------------------------------------------ handle transfer

    @Override
    public void sendWithHandles(Handle socket, MemorySegment data, long length, Handle[] handles)
            throws IOException {
        PosixIo.sendWithDescriptors(fd(socket), data, length, fds(handles));
    }

    @Override
    public Received receiveWithHandles(Handle socket, MemorySegment buffer, long length)
            throws IOException {
        PosixIo.Received r = PosixIo.receiveWithDescriptors(fd(socket), buffer, length,
                PosixIo.MAX_PASSED_DESCRIPTORS);
        return new Received(r.bytes(), handles(r.descriptors()));
    }

    @Override
    public int maxHandlesPerMessage() {
        return PosixIo.MAX_PASSED_DESCRIPTORS;
    }

    /**
     * {@inheritDoc} Here: descriptor {@code 3 + i}, as {@code PosixProcesses} maps it. The first
     * call for an index makes it close-on-exec ({@link #makeNotInherited}); later calls return
     * the handle without a system call.
     */
    @Override
    public Handle inheritedHandle(int index) throws IOException {
        if (index < 0) {
            throw new IllegalArgumentException("no inherited handle " + index);
        }
        int fd = FIRST_INHERITED_FD + index;
        synchronized (inheritedDone) {
            if (!inheritedDone.get(index)) {
                // posix_spawn mapped it inheritable; nothing this process executes may inherit it
                makeNotInherited(fd);
                inheritedDone.set(index);
            }
        }
        return Handle.of(fd);
    }

    /** The descriptor of a spawned child's inherited handle 0 (after standard in, out, err). */
    protected static final int FIRST_INHERITED_FD = 3;

    /**
     * {@link Platform#openInheritedPipe}: reopens the descriptor through {@code /dev/fd} with the
     * JDK's file channel (Linux, macOS and the BSDs all have it; a descriptor that is a socket, not
     * a pipe, cannot be opened there), so neither this class's bindings nor any downcall is
     * involved.
     *
     * @param index at least 0
     * @return the channel, or {@code null} if the descriptor cannot be opened that way
     */
    public static java.nio.channels.FileChannel openInheritedPipe(int index) {
        try {
            return java.nio.channels.FileChannel.open(
                    java.nio.file.Path.of("/dev/fd", Integer.toString(FIRST_INHERITED_FD + index)),
                    java.nio.file.StandardOpenOption.READ);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    /**
     * Makes descriptor {@code fd} close-on-exec, once per inherited handle.
     *
     * @param fd the descriptor
     * @throws IOException if it is not open
     */
    protected void makeNotInherited(int fd) throws IOException {
        PosixIo.setCloseOnExec(fd);
    }

    // ------------------------------------------------------------------ processes

    @Override
    public int spawn(SpawnRequest request) throws IOException {
        return PosixProcesses.spawn(request);
    }

    @Override
    public Handle openProcessHandle(int pid) throws IOException {
        return Handle.of(PosixProcesses.openProcessHandle(pid));
    }

    @Override
    public ExitStatus waitForExit(int pid, boolean block) throws IOException {
        return PosixProcesses.waitForExit(pid, block);
    }

    @Override
    public void stop(int pid, Stop how) throws IOException {
        PosixProcesses.signal(pid, switch (how) {
            case INTERRUPT -> Posix.SIGINT();
            case TERMINATE -> Posix.SIGTERM();
            case KILL -> Posix.SIGKILL();
        });
    }

    @Override
    public String signalName(int signal) {
        return PosixSignals.name(signal);
    }

    /**
     * POSIX has no parent-death signal: a daemon thread sends SIGKILL to this process once
     * {@code getppid()} no longer names {@code parentPid} (see {@code PosixSignals}).
     */
    @Override
    public boolean dieWithParent(int parentPid) throws IOException {
        PosixSignals.onParentDeath(parentPid, Posix.SIGKILL());
        return PosixProcesses.parentPid() == parentPid;
    }

    @Override
    public void handleStopRequests(java.util.function.IntConsumer beforeExit) {
        PosixSignals.handleStopRequests(beforeExit);
    }

    @Override
    public ExitStatus afterStopReport(ExitStatus status, int reportedSignal) {
        return PosixSignals.afterStopReport(status, reportedSignal);
    }

    // ------------------------------------------------------------------ shared memory

    @Override
    public Handle createAnonymousMemory(String debugName, long size) throws IOException {
        return Handle.of(memory.createAnonymous(debugName, size));
    }

    @Override
    public Handle openNamedMemory(String name, boolean create) throws IOException {
        return Handle.of(memory.openNamed(name, create));
    }

    @Override
    public void unlinkNamedMemory(String name) throws IOException {
        memory.unlinkNamed(name);
    }

    @Override
    public void reserve(Handle memory, long size) throws IOException {
        this.memory.reserve(fd(memory), size);
    }

    @Override
    public FileStatus status(Handle handle) throws IOException {
        return memory.status(fd(handle));
    }

    @Override
    public int uid() {
        return PosixMemory.uid();
    }

    @Override
    public long inode(Handle handle) throws IOException {
        return memory.inode(fd(handle));
    }

    @Override
    public long pageSize() {
        return PosixMemory.pageSize();
    }

    @Override
    public MemorySegment map(Handle memory, long size, Arena arena) throws IOException {
        return PosixMemory.map(fd(memory), size, arena);
    }

    // ------------------------------------------------------------------ liveness

    /**
     * {@inheritDoc} Here: the {@link Liveness}'s (this backend's: the pid and the low 32 bits of
     * the JDK's start instant of this process in milliseconds), computed once.
     */
    @Override
    public long processToken() {
        long t = token;
        if (t == 0 || t >>> 32 != ProcessHandle.current().pid()) {
            t = liveness.processToken(pid());
            token = t;
        }
        return t;
    }

    @Override
    public ProcessMark placeMark(Handle memory, long token) throws IOException {
        if (token < 0 || token >= 1L << 62) {
            throw new IllegalArgumentException("mark index out of [0, 2^62): " + token);
        }
        int handle = liveness.openPrivateHandle(fd(memory));
        try {
            liveness.place(handle, token);
        } catch (IOException | RuntimeException | Error e) {
            try {
                close(Handle.of(handle));
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new HandleMark(handle, new HandleMark.Backend() {
            @Override
            public boolean isPlaced(int h, long t) throws IOException {
                return liveness.isPlaced(h, t);
            }

            @Override
            public void close(int h) {
                try {
                    PosixPlatform.this.close(Handle.of(h)); // removes the mark (Liveness.closing)
                } catch (IOException ignored) {
                    // the descriptor is gone either way
                }
            }
        });
    }

    // ------------------------------------------------------------------ names, reaper, files

    /**
     * {@inheritDoc} Here: names as long as the OS takes (255 on Linux, the one OS this backend
     * runs on today; macOS would need {@link MemoryNames#PORTABLE}, 30), generated ones of
     * CPython's portable length (13 characters after the {@code /}).
     */
    @Override
    public MemoryNames memoryNames() {
        return NAMES;
    }

    private static final MemoryNames NAMES =
            new MemoryNames(255, MemoryNames.PORTABLE.generatedLength(), "");

    /**
     * {@inheritDoc} Here: a small helper JVM that calls {@code shm_unlink} itself
     * ({@code PosixReaper}); POSIX has no shell tool that removes a named block, and no way to
     * list named blocks, so the spill blocks of queues are not swept.
     */
    @Override
    public Reaper startReaper() throws IOException {
        return PosixReaper.start(this);
    }

    @Override
    public PrivateFiles privateFiles() {
        return FILES;
    }

    private static final PrivateFiles FILES = new PosixFiles();

    // ------------------------------------------------------------------ waiting

    /** {@return the size of the semaphore table ({@code PosixWaitChannel})} */
    @Override
    public long waitChannelBytes() {
        return PosixWaitChannel.BYTES;
    }

    @Override
    public void initWaitChannel(MemorySegment region, long offset) throws IOException {
        PosixWaitChannel.init(region, offset);
    }

    @Override
    public WaitChannel waitChannel(MemorySegment region, long offset) {
        return PosixWaitChannel.of(region, offset);
    }

    @Override
    public String backendId() {
        return "posix";
    }

    // ------------------------------------------------------------------ stream sockets

    @Override
    public Handle socket(SocketAddress address, boolean nonBlocking) throws IOException {
        return Handle.of(PosixSockets.socket(address, nonBlocking));
    }

    @Override
    public void bindAndListen(Handle socket, SocketAddress address, int backlog)
            throws IOException {
        PosixSockets.bindAndListen(fd(socket), address, backlog);
    }

    @Override
    public Handle accept(Handle listener) throws IOException {
        int fd = PosixSockets.accept(fd(listener));
        return fd < 0 ? null : Handle.of(fd);
    }

    @Override
    public void connect(Handle socket, SocketAddress address) throws IOException {
        PosixSockets.connect(fd(socket), address);
    }

    @Override
    public boolean connect(Handle socket, SocketAddress address, long timeoutNanos)
            throws IOException {
        return PosixSockets.connect(fd(socket), address, timeoutNanos);
    }

    @Override
    public SocketAddress localAddress(Handle socket) throws IOException {
        return PosixSockets.localAddress(fd(socket));
    }

    @Override
    public String toString() {
        return "PosixPlatform[" + name + "]";
    }
}
