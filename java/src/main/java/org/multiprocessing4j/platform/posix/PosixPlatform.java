package org.multiprocessing4j.platform.posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import org.multiprocessing4j.platform.Platform;
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
 */
public final class PosixPlatform implements Platform {
    private final String name;
    private final PosixMemory memory;
    private final PosixLiveness liveness;

    private PosixPlatform(String name, PosixTarget target) {
        this.name = name;
        this.memory = new PosixMemory(target);
        this.liveness = new PosixLiveness(target);
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

    // ------------------------------------------------------------------ descriptors

    @Override
    public int[] pipe() throws IOException {
        return PosixIo.pipe();
    }

    @Override
    public int[] socketPair() throws IOException {
        return PosixIo.socketPair();
    }

    @Override
    public long read(int fd, MemorySegment buffer, long length) throws IOException {
        return PosixIo.read(fd, buffer, length);
    }

    @Override
    public long readNow(int fd, MemorySegment buffer, long length) throws IOException {
        return PosixIo.readNow(fd, buffer, length);
    }

    @Override
    public void writeFully(int fd, MemorySegment buffer, long length) throws IOException {
        PosixIo.writeLoop(fd, buffer, length, false);
    }

    @Override
    public void sendFully(int fd, MemorySegment buffer, long length) throws IOException {
        PosixIo.writeLoop(fd, buffer, length, true);
    }

    @Override
    public void writeFully(int fd, MemorySegment first, MemorySegment second) throws IOException {
        PosixIo.writeFully(fd, first, second);
    }

    @Override
    public int poll(int[] fds, short[] events, short[] ready, long timeoutNanos) throws IOException {
        return PosixIo.poll(fds, events, ready, timeoutNanos);
    }

    @Override
    public void shutdown(int fd) throws IOException {
        PosixIo.shutdown(fd);
    }

    @Override
    public void close(int fd) throws IOException {
        liveness.closing(fd);
        PosixIo.close(fd);
    }

    @Override
    public int duplicate(int fd) throws IOException {
        return PosixIo.duplicate(fd);
    }

    @Override
    public void setCloseOnExec(int fd) throws IOException {
        PosixIo.setCloseOnExec(fd);
    }

    @Override
    public void sendWithDescriptors(int socket, MemorySegment data, long length, int[] descriptors)
            throws IOException {
        PosixIo.sendWithDescriptors(socket, data, length, descriptors);
    }

    @Override
    public Received receiveWithDescriptors(int socket, MemorySegment buffer, long length, int maxDescriptors)
            throws IOException {
        return PosixIo.receiveWithDescriptors(socket, buffer, length, maxDescriptors);
    }

    // ------------------------------------------------------------------ processes

    @Override
    public int spawn(SpawnRequest request) throws IOException {
        return PosixProcesses.spawn(request);
    }

    @Override
    public int openProcessHandle(int pid) throws IOException {
        return PosixProcesses.openProcessHandle(pid);
    }

    @Override
    public ExitStatus waitForExit(int pid, boolean block) throws IOException {
        return PosixProcesses.waitForExit(pid, block);
    }

    @Override
    public void signal(int pid, int signal) throws IOException {
        PosixProcesses.signal(pid, signal);
    }

    /**
     * POSIX has no parent-death signal: a daemon thread sends {@code signal} to this process once
     * {@code getppid()} no longer names the parent it has now (see {@code PosixSignals}).
     */
    @Override
    public void setParentDeathSignal(int signal) {
        PosixSignals.onParentDeath(PosixProcesses.parentPid(), signal);
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
    public boolean dieWithParent(int parentPid) {
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
    public int createAnonymousMemory(String debugName, long size) throws IOException {
        return memory.createAnonymous(debugName, size);
    }

    @Override
    public int openNamedMemory(String name, boolean create) throws IOException {
        return memory.openNamed(name, create);
    }

    @Override
    public void unlinkNamedMemory(String name) throws IOException {
        memory.unlinkNamed(name);
    }

    @Override
    public void reserve(int fd, long size) throws IOException {
        memory.reserve(fd, size);
    }

    @Override
    public FileStatus status(int fd) throws IOException {
        return memory.status(fd);
    }

    @Override
    public int uid() {
        return PosixMemory.uid();
    }

    @Override
    public long inode(int fd) throws IOException {
        return memory.inode(fd);
    }

    @Override
    public long pageSize() {
        return PosixMemory.pageSize();
    }

    @Override
    public MemorySegment map(int fd, long size, Arena arena) throws IOException {
        return PosixMemory.map(fd, size, arena);
    }

    // ------------------------------------------------------------------ liveness

    @Override
    public long processStartTime(int pid) {
        return PosixLiveness.processStartTime(pid);
    }

    @Override
    public int openPrivateHandle(int fd) throws IOException {
        return liveness.openPrivateHandle(fd);
    }

    @Override
    public void placeMark(int handle, long index) throws IOException {
        liveness.placeMark(handle, index);
    }

    @Override
    public boolean markPlaced(int handle, long index) throws IOException {
        return liveness.markPlaced(handle, index);
    }

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
    public int socket(SocketAddress address, boolean nonBlocking) throws IOException {
        return PosixSockets.socket(address, nonBlocking);
    }

    @Override
    public void bindAndListen(int fd, SocketAddress address, int backlog) throws IOException {
        PosixSockets.bindAndListen(fd, address, backlog);
    }

    @Override
    public int accept(int fd) throws IOException {
        return PosixSockets.accept(fd);
    }

    @Override
    public void connect(int fd, SocketAddress address) throws IOException {
        PosixSockets.connect(fd, address);
    }

    @Override
    public boolean connect(int fd, SocketAddress address, long timeoutNanos) throws IOException {
        return PosixSockets.connect(fd, address, timeoutNanos);
    }

    @Override
    public SocketAddress localAddress(int fd) throws IOException {
        return PosixSockets.localAddress(fd);
    }

    @Override
    public String toString() {
        return "PosixPlatform[" + name + "]";
    }
}
