package org.multiprocessing4j.platform;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Files and directories that belong to this user alone, in the OS's terms: on POSIX systems
 * directories of mode 0700 and files of mode 0600; elsewhere whatever gives the same protection
 * (Windows: an owner-only ACL). Used for a {@code Listener}'s socket directory and the start
 * archives' cache. Thread-safe; nothing here blocks beyond the file system calls it makes.
 */
public interface PrivateFiles {

    /**
     * {@return the directory for this user's sockets and other runtime files}: one that only this
     * user can write to when the OS offers one (Linux: {@code $XDG_RUNTIME_DIR} when set and a
     * directory), else the temporary directory ({@code java.io.tmpdir})
     */
    Path runtimeDirectory();

    /**
     * Creates a new directory, accessible to this user only, with a fresh name made of
     * {@code prefix} and random characters in {@code parent}. It is never accessible to others,
     * not even for a moment.
     *
     * @return its path
     * @throws IOException if it cannot be created
     */
    Path createDirectory(Path parent, String prefix) throws IOException;

    /**
     * Creates {@code dir} and its missing parents; those created here are accessible to this
     * user only. Existing directories are left as they are.
     *
     * @throws IOException if a directory cannot be created, or a non-directory is in the way
     */
    void createDirectories(Path dir) throws IOException;

    /**
     * Creates an empty file that only this user can read and write.
     *
     * @throws java.nio.file.FileAlreadyExistsException if it exists
     * @throws IOException on any other error
     */
    void createFile(Path file) throws IOException;

    /**
     * Makes an existing file readable and writable by this user only (for example a socket file,
     * in case the umask let more through).
     *
     * @throws IOException on error
     */
    void restrict(Path file) throws IOException;

    /**
     * {@return a number that, with the file system, names the file at {@code path} itself
     * whatever name it has later: what {@link Reaper#registerDirectory} compares}
     *
     * @throws IOException if there is no such file
     */
    long fileId(Path path) throws IOException;

    /** {@return the file that reads as empty and discards what is written (POSIX: {@code /dev/null})} */
    Path nullDevice();
}
