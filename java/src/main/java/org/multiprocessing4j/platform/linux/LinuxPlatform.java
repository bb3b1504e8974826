package org.multiprocessing4j.platform.linux;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.MemoryNames;
import org.multiprocessing4j.platform.Reaper;
import org.multiprocessing4j.platform.UnsupportedPlatformException;
import org.multiprocessing4j.platform.WaitChannel;
import org.multiprocessing4j.platform.posix.PosixIo;
import org.multiprocessing4j.platform.posix.PosixPlatform;

/**
 * The Linux backend: the posix backend ({@link PosixPlatform}) plus what Linux does better, and
 * nothing else of its own. It overrides only these:
 *
 * <ul>
 *   <li>anonymous memory is a sealed memfd, and a size the system cannot back is refused before
 *       any page is committed ({@link LinuxMemory}, {@link MemoryLimits});
 *   <li>the wait channel is a futex on the shared word itself, no table in the region
 *       ({@link LinuxWaitChannel});
 *   <li>"die with the parent" is {@code prctl(PR_SET_PDEATHSIG)}, a process sentinel is a pidfd,
 *       and a spawn closes every other descriptor in the child with one file action
 *       ({@link LinuxProcesses});
 *   <li>liveness marks are open-file-description locks, and the process token comes from
 *       {@code /proc} ({@link LinuxLiveness}, the {@link PosixPlatform.Liveness} given to the
 *       inherited {@link #placeMark} and {@link #processToken()});
 *   <li>descriptors are born close-on-exec, and the calls a starting child makes (read, write,
 *       recv, send, shutdown, close, getpid, the inherited handles' close-on-exec) share one
 *       {@code syscall(2)} downcall shape ({@link LinuxIo}, {@link LinuxCalls}): each distinct
 *       shape costs a starting JVM milliseconds to link;
 *   <li>the reaper lists {@code /dev/shm} and sweeps queue spills ({@link LinuxReaper}).
 * </ul>
 *
 * <p>Hot paths stay one call deep: {@link #read}, {@link #writeFully(Handle, MemorySegment, long)}
 * and {@link #sendFully} call the {@code final} {@link LinuxIo} field directly, and the wait
 * channel is one {@code final} object. Thread-safe.
 */
public final class LinuxPlatform extends PosixPlatform {
    private final LinuxIo io;
    private final LinuxProcesses processes;
    private final LinuxWaitChannel waitChannel;

    private LinuxPlatform(String name, LinuxArch arch) {
        super(name, new LinuxMemory(arch), new LinuxLiveness(arch));
        this.io = new LinuxIo(arch);
        this.processes = new LinuxProcesses(arch, io);
        this.waitChannel = new LinuxWaitChannel(arch);
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

    @Override
    public int pid() {
        return processes.pid();
    }

    @Override
    public int parentPid() {
        return processes.parentPid();
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
    public void shutdown(Handle handle) throws IOException {
        io.shutdown(fd(handle));
    }

    /** {@inheritDoc} Here: {@code close} in the {@code syscall(2)} shape. */
    @Override
    protected void closeDescriptor(int fd) throws IOException {
        io.close(fd);
    }

    @Override
    public Received receiveWithHandles(Handle socket, MemorySegment buffer, long length)
            throws IOException {
        PosixIo.Received r = io.receiveWithDescriptors(fd(socket), buffer, length);
        return new Received(r.bytes(), handles(r.descriptors()));
    }

    /** In the {@code syscall(2)} shape a starting child has already linked. */
    @Override
    protected void makeNotInherited(int fd) throws IOException {
        io.setCloseOnExec(fd);
    }

    // ------------------------------------------------------------------ processes (LinuxProcesses)

    @Override
    public int spawn(SpawnRequest request) throws IOException {
        return processes.spawn(request.executable(), request.arguments(), request.environment(),
                fds(request.handles()));
    }

    @Override
    public Handle openProcessHandle(int pid) throws IOException {
        return Handle.of(processes.openProcessHandle(pid));
    }

    /** {@inheritDoc} Here: {@code prctl(PR_SET_PDEATHSIG, SIGKILL)}; no watchdog thread. */
    @Override
    public boolean dieWithParent(int parentPid) throws IOException {
        return processes.dieWithParent(parentPid);
    }

    // ------------------------------------------------------------------ memory (LinuxMemory)

    @Override
    public long pageSize() {
        return LinuxMemory.pageSize();
    }

    @Override
    public MemoryNames memoryNames() {
        return LinuxMemory.NAMES;
    }

    @Override
    public Reaper startReaper() throws IOException {
        return LinuxReaper.start(this, LinuxProcesses.FIRST_INHERITED_FD); // handle 0 of a child
    }

    // ------------------------------------------------------------------ waiting (LinuxWaitChannel)

    /** {@inheritDoc} Here: none, a futex sleeps on the word itself. */
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

    // ------------------------------------------------------------------ stream sockets

    @Override
    public Handle socket(java.net.SocketAddress address, boolean nonBlocking) throws IOException {
        return Handle.of(io.socket(address, nonBlocking));
    }

    @Override
    public Handle accept(Handle listener) throws IOException {
        int fd = io.accept(fd(listener));
        return fd < 0 ? null : Handle.of(fd);
    }

    // ------------------------------------------------------------------ inspection (LinuxInspection)

    @Override
    public java.util.Optional<java.util.List<String>> listNamedMemory() throws IOException {
        return LinuxInspection.listNamedMemory(uid());
    }

    @Override
    public java.util.Optional<java.util.Set<Long>> namedMemoryInUse() throws IOException {
        return LinuxInspection.namedMemoryInUse();
    }

    @Override
    public java.util.Optional<Boolean> isRunning(long token) {
        super.isRunning(token); // checks the range
        return LinuxInspection.isRunning(token);
    }

    @Override
    public String toString() {
        return "LinuxPlatform[" + name() + "]";
    }
}
