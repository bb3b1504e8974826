package org.multiprocessing4j.platform.posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.function.Function;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.Reaper;

/**
 * What both backends' reapers share: a helper process started with the read end of a pipe as
 * its inherited handle 0, this process holding the only write end, and one line per event
 * ({@code REG <name> <inode>}, {@code REG </absolute/dir> <inode>}, {@code UNREG <name or dir>};
 * subclasses may add their own). At end of file (this process closed the pipe, or died) the
 * helper removes what is still registered. The helper is {@code PosixReaperMain} here and a
 * {@code /bin/sh} script on Linux ({@code LinuxReaper}).
 *
 * <p>Not thread-safe (the caller serializes).
 */
public abstract class PipeReaper implements Reaper {
    private final Platform os;
    private final int pid;
    private final Charset charset;
    private Handle writeEnd;

    /**
     * For a started helper.
     *
     * @param os the backend that started it
     * @param pid the helper's pid
     * @param writeEnd the write end of its pipe (this object owns it)
     * @param charset how lines are encoded for the helper
     */
    protected PipeReaper(Platform os, int pid, Handle writeEnd, Charset charset) {
        this.os = os;
        this.pid = pid;
        this.writeEnd = writeEnd;
        this.charset = charset;
    }

    /**
     * Starts a helper reading a new pipe as its inherited handle 0.
     *
     * @param <R> the reaper type
     * @param os the backend
     * @param request the spawn request, given the read end to pass
     * @param reaper the reaper, given the helper's pid and the write end
     * @return the reaper
     * @throws IOException if the pipe or the helper cannot be made (nothing is left open)
     */
    protected static <R extends PipeReaper> R start(Platform os,
            Function<Handle, Platform.SpawnRequest> request, Starter<R> reaper) throws IOException {
        Handle[] p = os.pipe();
        try {
            int pid = os.spawn(request.apply(p[0]));
            return reaper.started(pid, p[1]);
        } catch (IOException | RuntimeException e) {
            closeQuietly(os, p[1]);
            throw e;
        } finally {
            closeQuietly(os, p[0]);
        }
    }

    /**
     * Makes the reaper object for a started helper.
     *
     * @param <R> the reaper type
     */
    @FunctionalInterface
    protected interface Starter<R> {
        /**
         * {@return the reaper}
         *
         * @param pid the helper's pid
         * @param writeEnd the write end of its pipe
         */
        R started(int pid, Handle writeEnd);
    }

    @Override
    public int pid() {
        return pid;
    }

    @Override
    public void register(String name, long fileId) throws IOException {
        write("REG " + name + " " + fileId + "\n");
    }

    @Override
    public void registerDirectory(Path dir, long fileId) throws IOException {
        write("REG " + dir + " " + fileId + "\n");
    }

    @Override
    public void unregister(String nameOrDir) throws IOException {
        write("UNREG " + nameOrDir + "\n");
    }

    /**
     * Checks that the helper was not closed.
     *
     * @throws IOException if it was
     */
    protected void alive() throws IOException {
        if (writeEnd == null) {
            throw new IOException("the reaper " + pid + " was closed");
        }
    }

    /**
     * Writes one line to the helper.
     *
     * @param line the line, ending in a newline
     * @throws IOException if the reaper was closed or the helper is gone
     */
    protected void write(String line) throws IOException {
        alive();
        byte[] b = line.getBytes(charset);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(b.length);
            MemorySegment.copy(b, 0, buf, ValueLayout.JAVA_BYTE, 0, b.length);
            os.writeFully(writeEnd, buf, b.length);
        }
    }

    /** Closes the pipe (the helper removes what is still registered and exits) and reaps it. */
    @Override
    public void close() {
        if (writeEnd == null) {
            return;
        }
        closeQuietly(os, writeEnd);
        writeEnd = null;
        try {
            os.waitForExit(pid, true);
        } catch (IOException e) {
            System.getLogger(getClass().getName()).log(System.Logger.Level.DEBUG,
                    "could not reap the reaper " + pid, e);
        }
    }

    private static void closeQuietly(Platform os, Handle h) {
        try {
            os.close(h);
        } catch (IOException ignored) {
            // nothing more to do with a handle we are giving up
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[pid " + pid + "]";
    }
}
