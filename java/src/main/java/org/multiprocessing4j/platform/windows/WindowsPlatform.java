package org.multiprocessing4j.platform.windows;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Proxy;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.MemoryNames;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.PrivateFiles;
import org.multiprocessing4j.platform.ProcessMark;
import org.multiprocessing4j.platform.Reaper;
import org.multiprocessing4j.platform.UnsupportedPlatformException;
import org.multiprocessing4j.platform.WaitChannel;
import org.multiprocessing4j.platform.windows.WindowsHandles.Kind;
import org.multiprocessing4j.platform.windows.bindings.SYSTEM_INFO;
import org.multiprocessing4j.platform.windows.bindings.Win32;

/**
 * The Windows backend of {@link Platform} ({@code -Dmp4j.platform=windows}, and the default
 * where {@code os.name} starts with "Windows"): Win32 through {@code platform.windows.bindings},
 * one class per capability, this class only delegating. Each capability's class names its calls;
 * the package comment has the table of seam operations and Win32 calls, and what has not been
 * run. Where the seam asks for something Windows does not have, the answer is the Windows
 * equivalent or a documented neutral value, said at each method below. Thread-safe; loaded only
 * on Windows (the bindings fail to initialize elsewhere). Unproven: compiled on Linux, never run
 * on Windows by this project.
 */
public final class WindowsPlatform implements Platform {
    /** The backend id recorded in shared regions. */
    static final String ID = "windows";

    private final String name;
    private final long token;
    private final long pageSize;
    private final ConcurrentHashMap<Integer, Handle> inherited = new ConcurrentHashMap<>();
    private final PrivateFiles files = new WindowsFiles();

    private WindowsPlatform(String name) {
        this.name = name;
        this.token = WindowsLiveness.processToken();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment info = SYSTEM_INFO.allocate(scratch);
            Win32.GetSystemInfo(info);
            this.pageSize = Integer.toUnsignedLong(SYSTEM_INFO.dwPageSize(info));
        }
    }

    /**
     * {@return the backend for {@code osName} on {@code osArch}}
     *
     * @throws UnsupportedPlatformException for another OS, or an architecture other than x86_64
     *     (the bindings are generated for x86_64 only)
     */
    public static WindowsPlatform create(String osName, String osArch) {
        String arch = osArch.toLowerCase(Locale.ROOT);
        if (!osName.toLowerCase(Locale.ROOT).startsWith("windows") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new UnsupportedPlatformException(osName, osArch);
        }
        return new WindowsPlatform("windows-x86_64");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String backendId() {
        return ID;
    }

    @Override
    public int pid() {
        return Win32.GetCurrentProcessId();
    }

    /**
     * {@return the pid of the process that created this one} Windows keeps no live parent link:
     * this is the creator's pid as the library's spawn recorded it in the environment
     * ({@value WindowsSpawnPlan#PARENT}), -1 for a process the library did not start; once the
     * creator has ended the pid may name another process, which is why {@link #dieWithParent}
     * compares creation times.
     */
    @Override
    public int parentPid() {
        String v = System.getenv(WindowsSpawnPlan.PARENT);
        try {
            return v == null ? -1 : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    // ---------------------------------------------------------------- handles and I/O

    /** {@inheritDoc} A named pipe pair ({@link WindowsIo}: why pipes). */
    @Override
    public Handle[] pipe() throws IOException {
        return WindowsIo.pipe(false, pid());
    }

    /** {@inheritDoc} A duplex named pipe pair (Windows has no {@code socketpair}; {@link WindowsIo}). */
    @Override
    public Handle[] socketPair() throws IOException {
        return WindowsIo.pipe(true, pid());
    }

    @Override
    public long read(Handle handle, MemorySegment buffer, long length) throws IOException {
        return WindowsIo.read(handle, buffer, length);
    }

    /** {@inheritDoc} On a pipe, {@code PeekNamedPipe} then a read of what is there. */
    @Override
    public long readNow(Handle handle, MemorySegment buffer, long length) throws IOException {
        return WindowsIo.readNow(handle, buffer, length);
    }

    @Override
    public void writeFully(Handle handle, MemorySegment buffer, long length) throws IOException {
        WindowsIo.writeFully(handle, buffer, length);
    }

    @Override
    public void sendFully(Handle handle, MemorySegment buffer, long length) throws IOException {
        WindowsIo.writeFully(handle, buffer, length);
    }

    /** {@inheritDoc} Two writes: Windows pipes have no gathering write. */
    @Override
    public void writeFully(Handle handle, MemorySegment first, MemorySegment second) throws IOException {
        WindowsIo.writeFully(handle, first, first.byteSize());
        WindowsIo.writeFully(handle, second, second.byteSize());
    }

    @Override
    public int awaitReadable(Handle[] handles, boolean[] ready, long timeoutNanos) throws IOException {
        return WindowsWaits.awaitReadable(handles, ready, timeoutNanos);
    }

    /** {@inheritDoc} A pipe is peeked every 50 ms ({@link WindowsWaits}). */
    @Override
    public void awaitHangUp(Handle socket) throws IOException {
        WindowsWaits.awaitHangUp(socket);
    }

    /** {@inheritDoc} On a pipe: pending I/O of this process cancelled, the server end disconnected. */
    @Override
    public void shutdown(Handle handle) throws IOException {
        WindowsIo.shutdown(handle);
    }

    @Override
    public void close(Handle handle) throws IOException {
        WindowsHandles.close(handle);
    }

    @Override
    public Handle duplicate(Handle handle) throws IOException {
        return WindowsHandles.duplicate(handle, false);
    }

    // ---------------------------------------------------------------- handle transfer

    /** {@inheritDoc} The protocol is {@link WindowsHandleMessage}'s: the sender must stay alive until the handles are received. */
    @Override
    public void sendWithHandles(Handle socket, MemorySegment data, long length, Handle[] handles) throws IOException {
        WindowsTransfer.send(socket, data, length, handles, pid());
    }

    @Override
    public Received receiveWithHandles(Handle socket, MemorySegment buffer, long length) throws IOException {
        return WindowsTransfer.receive(socket, buffer, length);
    }

    @Override
    public int maxHandlesPerMessage() {
        return WindowsHandleMessage.MAX_HANDLES;
    }

    /** {@inheritDoc} The values come from {@value WindowsSpawnPlan#VARIABLE}; the first call clears the handle's inherit flag. */
    @Override
    public Handle inheritedHandle(int index) throws IOException {
        if (index < 0) {
            throw new IllegalArgumentException("no inherited handle " + index);
        }
        Handle known = inherited.get(index);
        if (known != null) {
            return known;
        }
        long[] values = WindowsSpawnPlan.decode(System.getenv(WindowsSpawnPlan.VARIABLE));
        if (index >= values.length) {
            throw new IOException("no inherited handle " + index + ": the parent passed " + values.length);
        }
        Handle h = Handle.of(values[index]);
        WindowsHandles.setInheritable(h, false);
        Handle raced = inherited.putIfAbsent(index, h);
        return raced != null ? raced : h;
    }

    // ---------------------------------------------------------------- processes

    @Override
    public int spawn(SpawnRequest request) throws IOException {
        return WindowsProcesses.spawn(request);
    }

    @Override
    public Handle openProcessHandle(int pid) throws IOException {
        return WindowsProcesses.openProcessHandle(pid);
    }

    @Override
    public ExitStatus waitForExit(int pid, boolean block) throws IOException {
        return WindowsProcesses.waitForExit(pid, block);
    }

    /**
     * {@inheritDoc} Terminate and kill: {@code TerminateProcess} (exit codes {@code 0x10000},
     * {@code 0x10009}, read back as -15 and -9); interrupt: the child's interrupt event, or
     * {@code TerminateProcess(h, 0x10002)} (read back as -2) if it has none
     * ({@link WindowsProcesses}).
     */
    @Override
    public void stop(int pid, Stop how) throws IOException {
        WindowsProcesses.stop(pid, how);
    }

    @Override
    public String signalName(int signal) {
        return WindowsProcesses.signalName(signal);
    }

    /** {@inheritDoc} The parent's job kills this process (see {@link WindowsProcesses}); this checks and watches the parent. */
    @Override
    public boolean dieWithParent(int parentPid) throws IOException {
        return WindowsProcesses.dieWithParent(parentPid);
    }

    /**
     * {@inheritDoc} An interrupt of this library ({@link #stop} with {@code INTERRUPT}) arrives on
     * this process's interrupt event ({@link WindowsProcesses}), reported as 2; the console's
     * Ctrl-C (2) and closing the console (15) arrive as the JVM's {@code INT} and {@code TERM};
     * the handler exits with {@code 0x20000 + N}. A {@code TerminateProcess} (this backend's
     * terminate and kill) cannot be handled, as in CPython.
     */
    @Override
    public void handleStopRequests(IntConsumer beforeExit) {
        WindowsProcesses.takeInterrupts(beforeExit);
        handle("INT", 2, beforeExit);
        handle("TERM", 15, beforeExit);
    }

    private static void handle(String name, int number, IntConsumer beforeExit) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object h = Proxy.newProxyInstance(WindowsPlatform.class.getClassLoader(),
                    new Class<?>[] {handler}, (proxy, method, margs) -> switch (method.getName()) {
                        case "handle" -> {
                            beforeExit.accept(number);
                            System.exit(WindowsProcesses.STOP_EXIT_BASE + number);
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == margs[0];
                        default -> "mp4j-" + name + "-handler";
                    });
            Object sig = signal.getConstructor(String.class).newInstance(name);
            signal.getMethod("handle", signal, handler).invoke(null, sig, h);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // the JVM reserves the signal (for example with -Xrs): keep the default
        }
    }

    @Override
    public ExitStatus afterStopReport(ExitStatus status, int reportedSignal) {
        return WindowsProcesses.afterStopReport(status, reportedSignal);
    }

    // ---------------------------------------------------------------- memory

    /** {@inheritDoc} An unnamed pagefile mapping, committed ({@code SEC_COMMIT}) at creation. */
    @Override
    public Handle createAnonymousMemory(String debugName, long size) throws IOException {
        return WindowsHandles.register(WindowsMemory.create(null, size), Kind.OBJECT);
    }

    /**
     * {@inheritDoc} On Windows a mapping's size is fixed at creation: a named block is created by
     * {@link #createNamedMemory}, and {@code create = true} is refused here.
     *
     * @throws IllegalArgumentException if {@code create}
     */
    @Override
    public Handle openNamedMemory(String name, boolean create) throws IOException {
        if (create) {
            throw new IllegalArgumentException("a Windows mapping is created with its size: createNamedMemory(\""
                    + name + "\", size)");
        }
        return WindowsHandles.register(WindowsMemory.open(name), Kind.OBJECT);
    }

    /** {@inheritDoc} {@code CreateFileMappingW(Local\name, SEC_COMMIT, size)}, failing if the name exists. */
    @Override
    public Handle createNamedMemory(String name, long size) throws IOException {
        return WindowsHandles.register(WindowsMemory.create(name, size), Kind.OBJECT);
    }

    /**
     * {@inheritDoc} Windows has no unlink: a mapping and its name live until the last handle and
     * view close. This checks that the name exists and does nothing else.
     */
    @Override
    public void unlinkNamedMemory(String name) throws IOException {
        Handle h = WindowsMemory.open(name);
        Win32.CloseHandle(WindowsNative.pointer(h));
    }

    /**
     * {@inheritDoc} A mapping is committed in full at creation; this only checks that it holds
     * {@code size} bytes (as Windows rounds them).
     *
     * @throws IOException if the mapping is smaller: its size cannot change
     */
    @Override
    public void reserve(Handle memory, long size) throws IOException {
        long actual = WindowsMemory.size(memory);
        if (actual < size) {
            throw new IOException("a Windows mapping's size is fixed at creation: " + actual + " bytes, not " + size);
        }
    }

    /**
     * {@inheritDoc} Size as Windows reports it (rounded up to the page size); owner {@link #uid()}
     * and permissions 0600, the neutral answer: a mapping of this backend is created with a
     * current-user-only DACL, so whoever could open it is this user.
     */
    @Override
    public FileStatus status(Handle handle) throws IOException {
        return new FileStatus(WindowsMemory.size(handle), uid(), 0600);
    }

    /** {@inheritDoc} Windows has no user ids: 0, the neutral answer (ownership is the DACL's). */
    @Override
    public int uid() {
        return 0;
    }

    /**
     * {@inheritDoc} Mappings have no file identity on Windows; the handle's value, which means
     * nothing outside this process. Nothing compares it here: the reaper does nothing on Windows.
     */
    @Override
    public long inode(Handle handle) {
        return handle.value();
    }

    @Override
    public long pageSize() {
        return pageSize;
    }

    @Override
    public MemorySegment map(Handle memory, long size, Arena arena) throws IOException {
        return WindowsMemory.map(memory, size, arena);
    }

    // ---------------------------------------------------------------- liveness

    /** {@inheritDoc} The pid and the creation time in milliseconds ({@link WindowsLiveness}). */
    @Override
    public long processToken() {
        return token;
    }

    /**
     * {@inheritDoc} Nothing is placed: a token's process is alive while a process with its pid
     * and creation time runs ({@link WindowsLiveness}), which also covers "closed every object on
     * the region" as alive (a conservative answer: callers only act on proven death).
     */
    @Override
    public ProcessMark placeMark(Handle memory, long token) {
        if (token < 0 || token >= 1L << 62) {
            throw new IllegalArgumentException("process token out of [0, 2^62): " + token);
        }
        long self = this.token;
        return new ProcessMark() {
            private volatile boolean closed;

            @Override
            public boolean isPlaced(long t) throws IOException {
                if (t < 0 || t >= 1L << 62) {
                    throw new IllegalArgumentException("process token out of [0, 2^62): " + t);
                }
                if (closed) {
                    throw new IOException("this liveness mark is closed");
                }
                return t != self && WindowsLiveness.isAlive(t);
            }

            @Override
            public void close() {
                closed = true;
            }
        };
    }

    @Override
    public Optional<Boolean> isRunning(long token) {
        if (token <= 0 || token >= 1L << 62) {
            throw new IllegalArgumentException("process token out of [1, 2^62): " + token);
        }
        try {
            return Optional.of(WindowsLiveness.isAlive(token));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    // ---------------------------------------------------------------- names, reaper, private files

    @Override
    public MemoryNames memoryNames() {
        return WindowsMemoryNames.RULES;
    }

    /** {@inheritDoc} One that does nothing: the kernel frees a mapping with its last handle, even after a crash. */
    @Override
    public Reaper startReaper() {
        return new Reaper() {
            @Override
            public int pid() {
                return -1;
            }

            @Override
            public void register(String name, long fileId) {
            }

            @Override
            public void registerDirectory(Path dir, long fileId) {
            }

            @Override
            public void unregister(String nameOrDir) {
            }

            @Override
            public void watchQueue(long fileId, long key, String queueName, String spillPrefix) {
            }

            @Override
            public void sweepQueue(long key) {
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public PrivateFiles privateFiles() {
        return files;
    }

    // ---------------------------------------------------------------- sockets

    @Override
    public Handle socket(SocketAddress address, boolean nonBlocking) throws IOException {
        return WindowsSockets.socket(address, nonBlocking);
    }

    @Override
    public void bindAndListen(Handle socket, SocketAddress address, int backlog) throws IOException {
        WindowsSockets.bindAndListen(socket, address, backlog);
    }

    @Override
    public Handle accept(Handle listener) throws IOException {
        return WindowsSockets.accept(listener);
    }

    @Override
    public void connect(Handle socket, SocketAddress address) throws IOException {
        WindowsSockets.connect(socket, address, -1);
    }

    @Override
    public boolean connect(Handle socket, SocketAddress address, long timeoutNanos) throws IOException {
        return WindowsSockets.connect(socket, address, Math.max(0, timeoutNanos));
    }

    @Override
    public SocketAddress localAddress(Handle socket) throws IOException {
        return WindowsSockets.localAddress(socket);
    }

    // ---------------------------------------------------------------- waiting

    @Override
    public long waitChannelBytes() {
        return WindowsWaitArea.BYTES;
    }

    @Override
    public void initWaitChannel(MemorySegment region, long offset) {
        WindowsWaitArea.init(area(region, offset));
    }

    @Override
    public WaitChannel waitChannel(MemorySegment region, long offset) {
        area(region, offset);
        return new WindowsWaitChannel(region, offset);
    }

    private static MemorySegment area(MemorySegment region, long offset) {
        if (offset < 0 || offset % 64 != 0 || offset + WindowsWaitArea.BYTES > region.byteSize()) {
            throw new IllegalArgumentException("wait-channel area at " + offset + " of a region of "
                    + region.byteSize() + " bytes (needs " + WindowsWaitArea.BYTES + ", 64-aligned)");
        }
        return region.asSlice(offset, WindowsWaitArea.BYTES);
    }
}
