package org.multiprocessing4j.internal.sync;

import java.io.IOException;
import java.lang.ref.Cleaner;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.ProcessMark;

/**
 * This process's proof of life on one shared region, and the test of another process's: while
 * it is open, the OS holds a mark for this process's {@link ProcessToken} on the region's file
 * ({@link Platform#placeMark}, a {@link ProcessMark}); a process whose token has no mark there is
 * dead, or has closed every handle it had on the region. Every object that records this
 * process's token in a region (a lock owner, a barrier party, a queue participant) holds one,
 * from before its first write of the token until after its last access to the region.
 * Thread-safe.
 *
 * <h2>Why a mark and not the pid</h2>
 * A pid (even with its start time) names a process only in its own PID namespace, and two
 * processes can share named memory without sharing a PID namespace (containers of one pod,
 * {@code docker --ipc=container:…}, {@code unshare -p}): there, a live owner's pid is unknown to
 * us, or names another process, and such an owner would be judged dead — its lock taken over
 * while it holds it, its queue records recovered while it writes them. A mark is kept by the OS
 * instead (how, and what every backend promises: {@link ProcessMark}), and removed when it is
 * closed, at the latest when the process ends, however it ends. So:
 * <ul>
 *   <li>a live process that has the region open holds its mark, whatever its namespace, and is
 *       never judged dead (the one way to lose the mark is {@link #close()});
 *   <li>a dead process holds no mark: the OS removed it when the process ended;
 *   <li>a process that reuses a dead one's pid has its own token and its own mark, and cannot
 *       inherit the dead one's (the mark is for the token, and the token tells successors
 *       apart);
 *   <li>a test is one system call (about a microsecond on Linux).
 * </ul>
 * Several objects of one process may hold a mark for the same token on one region, so the
 * process stays alive for the region until its last one closes. Two processes in different PID
 * namespaces could have equal tokens only with equal pids and equal low bits (Linux: start times
 * to the clock tick, modulo 2<sup>32</sup>); they would then vouch for each other, never against
 * each other.
 */
public final class LivenessMark implements AutoCloseable {
    private static final Platform OS = Platform.current();

    private final ProcessMark mark;
    private final Cleaner.Cleanable cleanable;

    private LivenessMark(ProcessMark mark, Object owner) {
        this.mark = mark;
        // A safety net only, as for the region's mapping: an owner that became unreachable
        // unclosed can no longer act on the region, and its mark would keep it "alive" there.
        this.cleanable = CleanerHolder.CLEANER.register(owner, mark::close);
    }

    /**
     * Places this process's mark on the file behind {@code region} (the region's descriptor,
     * which must stay open for the call only).
     *
     * @param owner the object that records the token; if it becomes unreachable without
     *     {@link #close()}, a Cleaner removes the mark
     * @return the mark, to be closed with the object that records the token
     * @throws IOException if the OS refuses (see {@link Platform#placeMark}); without a mark this
     *     process would look dead to the others
     */
    public static LivenessMark place(Descriptor region, Object owner) throws IOException {
        org.multiprocessing4j.platform.Handle fd = region.acquire();
        try {
            return new LivenessMark(OS.placeMark(fd, ProcessToken.self()), owner);
        } finally {
            region.release();
        }
    }

    /**
     * {@return whether the process named by {@code token} may be alive} {@code false} only on
     * proof: token 0, or no mark for the token on the region's file. This process is alive;
     * {@link MutexLayout#TAKING} is ignored. When the OS cannot tell (an error, or this mark is
     * closed) the answer is {@code true}: never take over on doubt. One system call; never waits.
     */
    public boolean isAlive(long token) {
        token = MutexLayout.holder(token); // a mutex owner word may carry the TAKING bit
        if (token == ProcessToken.self()) {
            return true;
        }
        if (token == 0) {
            return false;
        }
        try {
            return mark.isPlaced(token);
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /**
     * Removes this object's mark (idempotent): once no mark of this process is left on the
     * region, the other processes take whatever this process still holds there for a dead
     * process's. Call it after the last access to the region.
     */
    @Override
    public void close() {
        cleanable.clean();
    }

    private static final class CleanerHolder {
        static final Cleaner CLEANER = Cleaner.create();
    }
}
