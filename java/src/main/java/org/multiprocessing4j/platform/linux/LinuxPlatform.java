package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.linux.Calls.STATE;
import static org.multiprocessing4j.platform.linux.Calls.asPointer;
import static org.multiprocessing4j.platform.linux.Calls.rethrow;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.MemoryNames;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.PrivateFiles;
import org.multiprocessing4j.platform.ProcessMark;
import org.multiprocessing4j.platform.Reaper;
import org.multiprocessing4j.platform.UnsupportedPlatformException;
import org.multiprocessing4j.platform.WaitChannel;
import org.multiprocessing4j.platform.linux.Calls.FcntlInt;
import org.multiprocessing4j.platform.linux.Calls.Sys;
import org.multiprocessing4j.platform.linux.bindings.Libc;

/**
 * The Linux backend, built only on the jextract bindings in {@code ...linux.bindings} (the parts
 * common to every architecture) and {@code ...linux.bindings.<arch>} (syscall numbers and struct
 * layouts that differ), selected once by {@link #create(String)}. A façade: each capability
 * lives in its own class — descriptors and their passing in {@link LinuxIo}, stream sockets in
 * {@link LinuxSockets}, processes in {@link LinuxProcesses} — and every downcall is made the one
 * way {@link Calls} describes.
 *
 * <p>errno: every call that can fail is a downcall made from the generated symbol address and
 * descriptor with {@link Linker.Option#captureCallState(String...) captureCallState("errno")};
 * {@link Errno} translates it. read, write, recv, send, prctl, getpid, getppid, shutdown and
 * close go through {@code syscall(2)} with the architecture's generated numbers, in one downcall
 * shape (see {@code Calls.Sys}: each shape costs a starting child milliseconds). {@code EINTR}
 * is retried (with the remaining time for timed calls).
 */
public final class LinuxPlatform implements Platform {
    // Each downcall handle sits in its own holder class: created on first use (a child JVM
    // needs only a few, and each costs milliseconds to link), then a constant to the JIT.

    private final String name;
    private final LinuxArch arch;
    private final LinuxIo io;
    private final LinuxSockets sockets;
    private final LinuxProcesses processes;
    private final LinuxWaitChannel waitChannel;

    private final LinuxMemory memory;
    private final LinuxLiveness liveness;
    private final LinuxFiles files = new LinuxFiles();

    private LinuxPlatform(String name, LinuxArch arch) {
        this.name = name;
        this.arch = arch;
        this.io = new LinuxIo(arch);
        this.sockets = new LinuxSockets(io);
        this.processes = new LinuxProcesses(arch, io);
        this.waitChannel = new LinuxWaitChannel(arch);
        this.memory = new LinuxMemory(arch, this);
        this.liveness = new LinuxLiveness(arch, this);
    }

    /**
     * Selects the bindings for the running architecture.
     *
     * @param osArch value of {@code os.arch}
     * @return the backend
     * @throws UnsupportedPlatformException for an architecture without bindings
     */
    public static LinuxPlatform create(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> new LinuxPlatform("linux-x86_64", LinuxArch.X86_64);
            case "aarch64", "arm64" -> new LinuxPlatform("linux-aarch64", LinuxArch.AARCH64);
            default -> throw new UnsupportedPlatformException("Linux", osArch);
        };
    }

    private static MethodHandle errno(MemorySegment address, FunctionDescriptor descriptor) {
        return Calls.errno(address, descriptor);
    }

    private static int errno(MemorySegment state) {
        return Calls.errno(state);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int pid() {
        return processes.pid();
    }

    @Override
    public int parentPid() {
        return processes.parentPid();
    }

    // ------------------------------------------------------------------ handles

    /** {@return the descriptor {@code handle} stands for} */
    static int fd(Handle handle) {
        return (int) handle.value();
    }

    /** {@return the handle of descriptor {@code fd}} */
    static Handle handle(int fd) {
        return Handle.of(fd);
    }

    private static Handle[] handles(int[] fds) {
        Handle[] h = new Handle[fds.length];
        for (int i = 0; i < fds.length; i++) {
            h[i] = handle(fds[i]);
        }
        return h;
    }

    private static int[] fds(Handle[] handles) {
        int[] fds = new int[handles.length];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = fd(handles[i]);
        }
        return fds;
    }

    // ------------------------------------------------------------------ I/O (LinuxIo)

    @Override
    public Handle[] pipe() throws IOException {
        return handles(io.pipe());
    }

    @Override
    public Handle[] socketPair() throws IOException {
        return handles(io.socketPair());
    }

    @Override
    public long read(Handle handle, MemorySegment buffer, long length) throws IOException {
        return io.read(fd(handle), buffer, length);
    }

    @Override
    public long readNow(Handle handle, MemorySegment buffer, long length) throws IOException {
        return io.readNow(fd(handle), buffer, length);
    }

    @Override
    public void writeFully(Handle handle, MemorySegment buffer, long length) throws IOException {
        io.writeFully(fd(handle), buffer, length, false);
    }

    @Override
    public void sendFully(Handle handle, MemorySegment buffer, long length) throws IOException {
        io.writeFully(fd(handle), buffer, length, true);
    }

    @Override
    public void writeFully(Handle handle, MemorySegment first, MemorySegment second)
            throws IOException {
        io.writeFully(fd(handle), first, second);
    }

    @Override
    public int awaitReadable(Handle[] handles, boolean[] ready, long timeoutNanos)
            throws IOException {
        return io.awaitReadable(fds(handles), ready, timeoutNanos);
    }

    @Override
    public boolean awaitReadable(Handle handle, long timeoutNanos) throws IOException {
        return io.awaitReadable(fd(handle), timeoutNanos);
    }

    @Override
    public void awaitHangUp(Handle socket) throws IOException {
        io.awaitHangUp(fd(socket));
    }

    @Override
    public void shutdown(Handle handle) throws IOException {
        io.shutdown(fd(handle));
    }

    @Override
    public void close(Handle handle) throws IOException {
        close(fd(handle));
    }

    private void close(int fd) throws IOException {
        io.close(fd);
    }

    @Override
    public Handle duplicate(Handle handle) throws IOException {
        return handle(io.duplicateAbove(fd(handle), 0));
    }

    // ------------------------------------------------------------------ handle transfer

    @Override
    public void sendWithHandles(Handle socket, MemorySegment data, long length, Handle[] handles)
            throws IOException {
        io.sendWithDescriptors(fd(socket), data, length, fds(handles));
    }

    @Override
    public Received receiveWithHandles(Handle socket, MemorySegment buffer, long length)
            throws IOException {
        LinuxIo.Received r = io.receiveWithDescriptors(fd(socket), buffer, length,
                LinuxIo.MAX_PASSED_DESCRIPTORS);
        return new Received(r.bytes(), handles(r.descriptors()));
    }

    @Override
    public int maxHandlesPerMessage() {
        return LinuxIo.MAX_PASSED_DESCRIPTORS;
    }

    @Override
    public Handle inheritedHandle(int index) throws IOException {
        if (index < 0) {
            throw new IllegalArgumentException("no inherited handle " + index);
        }
        int fd = LinuxProcesses.FIRST_INHERITED_FD + index;
        // posix_spawn mapped it without close-on-exec (it cannot do otherwise): a program this
        // process executes (or -XX:OnError, or a library) must not inherit it
        io.setCloseOnExec(fd);
        return handle(fd);
    }

    // ------------------------------------------------------------------ processes (LinuxProcesses)

    @Override
    public int spawn(SpawnRequest request) throws IOException {
        return processes.spawn(request.executable(), request.arguments(), request.environment(),
                fds(request.handles()));
    }

    @Override
    public Handle openProcessHandle(int pid) throws IOException {
        return handle(processes.openProcessHandle(pid));
    }

    @Override
    public ExitStatus waitForExit(int pid, boolean block) throws IOException {
        return processes.waitForExit(pid, block);
    }

    @Override
    public void stop(int pid, Stop how) throws IOException {
        processes.stop(pid, how);
    }

    @Override
    public String signalName(int signal) {
        return LinuxProcesses.signalName(signal);
    }

    @Override
    public boolean dieWithParent(int parentPid) throws IOException {
        return processes.dieWithParent(parentPid);
    }

    @Override
    public void handleStopRequests(java.util.function.IntConsumer beforeExit) {
        processes.handleStopRequests(beforeExit);
    }

    @Override
    public ExitStatus afterStopReport(ExitStatus status, int reportedSignal) {
        return LinuxProcesses.afterStopReport(status, reportedSignal);
    }

    // ------------------------------------------------------------------ shared memory
    // (LinuxMemory)

    @Override
    public Handle createAnonymousMemory(String debugName, long size) throws IOException {
        return handle(memory.createAnonymousMemory(debugName, size));
    }

    @Override
    public Handle openNamedMemory(String name, boolean create) throws IOException {
        return handle(memory.openNamedMemory(name, create));
    }

    @Override
    public void unlinkNamedMemory(String name) throws IOException {
        memory.unlinkNamedMemory(name);
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
        return LinuxMemory.uid();
    }

    @Override
    public long inode(Handle handle) throws IOException {
        return memory.inode(fd(handle));
    }

    @Override
    public long pageSize() {
        return LinuxMemory.pageSize();
    }

    @Override
    public MemorySegment map(Handle memory, long size, Arena arena) throws IOException {
        return this.memory.map(fd(memory), size, arena);
    }

    @Override
    public MemoryNames memoryNames() {
        return LinuxMemory.NAMES;
    }

    @Override
    public Reaper startReaper() throws IOException {
        return LinuxReaper.start(this);
    }

    @Override
    public PrivateFiles privateFiles() {
        return files;
    }

    // ------------------------------------------------------------------ identity and liveness
    // (LinuxLiveness)

    @Override
    public long processToken() {
        return liveness.processToken();
    }

    @Override
    public ProcessMark placeMark(Handle memory, long token) throws IOException {
        return liveness.placeMark(fd(memory), token);
    }

    // ------------------------------------------------------------------ waiting

    @Override
    public long waitChannelBytes() {
        return 0;
    }

    @Override
    public void initWaitChannel(MemorySegment region, long offset) {
        checkWaitChannelArea(region, offset);
    }

    @Override
    public WaitChannel waitChannel(MemorySegment region, long offset) {
        checkWaitChannelArea(region, offset);
        return waitChannel;
    }

    @Override
    public String backendId() {
        return "linux";
    }

    private static void checkWaitChannelArea(MemorySegment region, long offset) {
        if (offset < 0 || offset > region.byteSize() || offset % 64 != 0) {
            throw new IllegalArgumentException("wait-channel area at " + offset
                    + " is not a 64-byte aligned offset within a region of " + region.byteSize()
                    + " bytes");
        }
    }

    // ------------------------------------------------------------------ stream sockets (LinuxSockets)

    @Override
    public Handle socket(java.net.SocketAddress address, boolean nonBlocking) throws IOException {
        return handle(sockets.socket(address, nonBlocking));
    }

    @Override
    public void bindAndListen(Handle socket, java.net.SocketAddress address, int backlog)
            throws IOException {
        sockets.bindAndListen(fd(socket), address, backlog);
    }

    @Override
    public Handle accept(Handle listener) throws IOException {
        int fd = sockets.accept(fd(listener));
        return fd < 0 ? null : handle(fd);
    }

    @Override
    public void connect(Handle socket, java.net.SocketAddress address) throws IOException {
        sockets.connect(fd(socket), address);
    }

    @Override
    public boolean connect(Handle socket, java.net.SocketAddress address, long timeoutNanos)
            throws IOException {
        return sockets.connect(fd(socket), address, timeoutNanos);
    }

    @Override
    public java.net.SocketAddress localAddress(Handle socket) throws IOException {
        return sockets.localAddress(fd(socket));
    }

    @Override
    public String toString() {
        return "LinuxPlatform[" + name + "]";
    }
}
