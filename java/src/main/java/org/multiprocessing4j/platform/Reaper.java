package org.multiprocessing4j.platform;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A helper that outlives this process and removes what it leaves behind: the named shared-memory
 * blocks it created and did not unlink, the private directories it created, and the spill blocks
 * of shared queues that nobody can take any more. Started by {@link Platform#startReaper()}; one
 * per process is enough. A backend whose OS removes named memory with its last user (Windows)
 * returns one that does nothing.
 *
 * <p>When this process ends — however it ends, killed included — or calls
 * {@link #close()}, the reaper removes every name and directory still registered <em>whose file
 * is still the registered one</em> (same {@link Platform#inode file identity}), so that a name
 * someone else unlinked and created again is never removed, then exits. Only the creator
 * registers a name; attaching never does, so a process that merely attached can never cause a
 * removal. A queue that is watched ({@link #watchQueue}) has its spill blocks removed once no
 * process maps or holds the queue's memory and its name (if any) is gone.
 *
 * <p>Limits: it ignores the interrupt, termination, hang-up and quit signals, so that a
 * Ctrl-C sent to the whole process group does not end it before this process; a forced kill
 * of the whole group (or cgroup) ends it too, and then nothing is removed.
 *
 * <p>Names are bare ({@link MemoryNames}) and valid for new blocks; paths are absolute and made of
 * portable file name characters ({@link MemoryNames#isPortable}). Not thread-safe: the caller
 * serializes its calls. Every method but {@link #close()} throws {@link IOException} when the
 * reaper is gone (it died, or could not be reached): the caller then starts another and tells
 * it everything again.
 */
public interface Reaper extends AutoCloseable {

    /**
     * {@return an id of the helper process, for diagnostics and tests (its pid, -1 if there is no
     * process)}
     */
    int pid();

    /**
     * Registers a named block this process has just created (exclusively).
     *
     * @param name bare, valid name
     * @param fileId the block's {@link Platform#inode file identity}
     * @throws IOException if the reaper is gone
     */
    void register(String name, long fileId) throws IOException;

    /**
     * Registers a private directory this process has just created: removed with what it holds.
     *
     * @param dir absolute path of portable characters
     * @param fileId its {@link Platform#inode file identity}
     * @throws IOException if the reaper is gone
     */
    void registerDirectory(Path dir, long fileId) throws IOException;

    /**
     * Forgets a name or directory: this process removed it, or lets it outlive itself.
     *
     * @param nameOrDir a bare name as registered, or a directory's path as a string
     * @throws IOException if the reaper is gone
     */
    void unregister(String nameOrDir) throws IOException;

    /**
     * Watches a shared queue: once this process ends, or calls {@link #sweepQueue}, the blocks
     * whose names start with {@code spillPrefix} are removed as soon as no process maps or holds
     * the queue's memory and the queue's name (if any) is gone. Until then a record may still be
     * taken, so nothing is removed early.
     *
     * @param fileId the queue memory's {@link Platform#inode file identity}
     * @param key a number naming the queue among all queues of the machine (one sweeper runs per
     *     key, however many processes watched the queue)
     * @param queueName the queue's bare name, or {@code null} if it is anonymous
     * @param spillPrefix the prefix of its spill blocks' bare names (valid characters)
     * @throws IOException if the reaper is gone
     */
    void watchQueue(long fileId, long key, String queueName, String spillPrefix) throws IOException;

    /**
     * Sweeps a watched queue now (this process closed a view of it) instead of at the end, and
     * stops watching it.
     *
     * @param key as given to {@link #watchQueue}
     * @throws IOException if the reaper is gone
     */
    void sweepQueue(long key) throws IOException;

    /**
     * Ends the reaper as this process's death would (it removes whatever is still registered and
     * exits), and waits for it. Idempotent; never throws.
     */
    @Override
    void close();
}
