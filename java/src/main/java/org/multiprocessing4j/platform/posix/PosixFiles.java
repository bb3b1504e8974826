package org.multiprocessing4j.platform.posix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.multiprocessing4j.platform.PrivateFiles;

/**
 * {@link PrivateFiles} on POSIX systems: permission bits given at creation (0700 directories, 0600
 * files, so that nothing is accessible to others even for a moment), {@code $XDG_RUNTIME_DIR} (where set) as
 * the runtime directory, inode numbers as file identities. Stateless and thread-safe.
 */
public final class PosixFiles implements PrivateFiles {
    /** Creates the helper (it has no state). */
    public PosixFiles() {
    }

    /**
     * The permission sets, built on first use: the backend creates this helper when it loads,
     * and every starting child loaded the permission classes and built their sets (a lambda and
     * an enum set each) without ever creating a private file.
     */
    private static final class Modes {
        static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
        static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
        static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_ATTRIBUTE =
                PosixFilePermissions.asFileAttribute(DIRECTORY);
        static final FileAttribute<Set<PosixFilePermission>> FILE_ATTRIBUTE =
                PosixFilePermissions.asFileAttribute(FILE);

        private Modes() {
        }
    }

    @Override
    public Path runtimeDirectory() {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isEmpty() && Files.isDirectory(Path.of(xdg))) {
            return Path.of(xdg);
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    @Override
    public Path createDirectory(Path parent, String prefix) throws IOException {
        return Files.createTempDirectory(parent, prefix, Modes.DIRECTORY_ATTRIBUTE);
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        Files.createDirectories(dir, Modes.DIRECTORY_ATTRIBUTE);
    }

    @Override
    public void createFile(Path file) throws IOException {
        Files.createFile(file, Modes.FILE_ATTRIBUTE);
    }

    @Override
    public void restrict(Path file) throws IOException {
        Files.setPosixFilePermissions(file, Modes.FILE);
    }

    @Override
    public long fileId(Path path) throws IOException {
        return (Long) Files.getAttribute(path, "unix:ino");
    }

    @Override
    public Path nullDevice() {
        return Path.of("/dev/null");
    }
}
