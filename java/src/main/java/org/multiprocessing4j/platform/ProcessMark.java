package org.multiprocessing4j.platform;

import java.io.IOException;

/**
 * A liveness mark: a proof of life that the OS keeps for this process on one shared file (the file
 * of a shared-memory region), placed by {@link Platform#placeMark} for a process token
 * ({@link Platform#processToken()}) and removed by {@link #close()} or, at the latest, by the OS
 * when this process ends, however it ends (killed included). A mark names no pid: it
 * means the same in every PID namespace, and a process that reuses the pid of a dead one has
 * another token and cannot inherit the dead one's mark. So "the process that wrote token
 * {@code t} into this region is alive" is asked as {@link #isPlaced isPlaced(t)}.
 *
 * <h2>Contract every backend keeps</h2>
 * <ul>
 *   <li>A mark stays until its own {@link #close()} or the death of its process, and nothing
 *       else: not when this process closes, maps or unmaps other descriptors of the same file,
 *       nor when it places or closes other marks there.
 *   <li>{@link #isPlaced} sees every mark that another process holds for the token on the same
 *       file, whichever PID namespace that process runs in. Whether it sees marks that this
 *       process holds through other {@code ProcessMark}s is up to the backend (callers never
 *       need it: a process knows it is alive).
 *   <li>Several marks for one token on one file, of one process or several, may coexist; the
 *       token counts as marked while any of them is open.
 *   <li>It neither waits nor blocks: one or two system calls.
 * </ul>
 *
 * <h2>How backends keep it</h2>
 * Linux: an open-file-description ({@code F_OFD_SETLK}) read lock on the byte at index
 * {@code token} of the region's file, through a description of its own (reopened, not
 * duplicated: a duplicate, an inherited or a received descriptor shares its locks with others).
 * A backend with only classic POSIX {@code fcntl} byte-range locks must remember two traps: the
 * OS drops <em>all</em> of a process's classic locks on a file as soon as the process closes
 * <em>any</em> descriptor of that file, and classic locks of one process never conflict with
 * each other (they merge, and {@code F_GETLK} does not report them). Such a backend therefore
 * keeps its marks on a file that only it opens and never closes while a mark is open (for
 * example a lock file derived from the region's file identity), and counts the marks of this
 * process per token and file, unlocking the byte when the last one closes.
 *
 * <p>Thread-safe; {@link #close()} is idempotent and may race with {@link #isPlaced}, which then
 * answers {@code true} or throws.
 */
public interface ProcessMark extends AutoCloseable {

    /**
     * {@return whether a process other than this one holds a mark for {@code token} on the same
     * file} A process without one is dead, or has closed every mark it had on the file.
     *
     * @param token in {@code [0, 2^62)}
     * @throws IllegalArgumentException if {@code token} is out of range
     * @throws IOException if the OS cannot tell, or this mark is closed (callers must not take
     *     that for "no mark")
     */
    boolean isPlaced(long token) throws IOException;

    /** Removes this mark. Idempotent, thread-safe, never throws. */
    @Override
    void close();
}
