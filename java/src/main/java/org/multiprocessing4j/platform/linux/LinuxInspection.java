package org.multiprocessing4j.platform.linux;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What Linux tells an inspection tool (see {@code Platform.listNamedMemory},
 * {@code namedMemoryInUse} and {@code isRunning}): named memory is the files of {@code /dev/shm}
 * (glibc's {@code shm_open} directory); who maps or holds one is read from every process's
 * {@code /proc/<pid>/maps} (a mapping's device and inode) and {@code /proc/<pid>/fd} (what each
 * descriptor names); whether a token's process runs is its pid's start time in
 * {@code /proc/<pid>/stat} compared with the token's low 32 bits ({@link LinuxLiveness}).
 *
 * <p>Everything here is a snapshot: processes start, map and exit meanwhile. A process that
 * vanishes while being read is skipped; processes this one may not read (another user's,
 * {@code hidepid}) are not seen. Stateless and thread-safe; never blocks beyond reading
 * {@code /proc}.
 */
final class LinuxInspection {
    private static final Path SHM = Path.of("/dev/shm");
    private static final Path PROC = Path.of("/proc");
    private static final String SHM_PREFIX = "/dev/shm/";

    private LinuxInspection() {
    }

    /** The regular files of {@code /dev/shm} owned by {@code uid}, sorted by name. */
    static Optional<List<String>> listNamedMemory(int uid) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(SHM)) {
            for (Path p : dir) {
                try {
                    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                            && ((Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)) == uid) {
                        names.add(p.getFileName().toString());
                    }
                } catch (NoSuchFileException gone) {
                    // removed while listing
                }
            }
        }
        names.sort(null);
        return Optional.of(names);
    }

    /**
     * The inodes of the {@code /dev/shm} files that some readable process maps (a line of its
     * {@code maps} whose path is under {@code /dev/shm}, deleted or not) or has a descriptor of.
     * A process whose {@code maps} cannot be read (another user's, a non-dumpable one,
     * {@code hidepid}; on some machines even init's, for root) is not seen: a cleaner cannot
     * wait for every process to be readable, so it trusts the liveness marks and creators first.
     */
    static Optional<Set<Long>> namedMemoryInUse() throws IOException {
        Set<Long> inodes = new HashSet<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path proc : procs) {
                readMaps(proc.resolve("maps"), inodes);
                readDescriptors(proc.resolve("fd"), inodes);
            }
        }
        return Optional.of(inodes);
    }

    /** Adds the inodes {@code maps} names; {@code false} if it could not be read. */
    private static boolean readMaps(Path maps, Set<Long> inodes) {
        List<String> lines;
        try {
            // ISO-8859-1 decodes every byte: a mapped file whose name is not UTF-8 must not make
            // the whole process unreadable
            lines = Files.readAllLines(maps, java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException gone) {
            return true; // exited meanwhile: maps nothing any more
        } catch (IOException | RuntimeException e) {
            return false; // not ours, or unreadable
        }
        for (String line : lines) {
            // address perms offset dev inode path
            int at = line.indexOf(SHM_PREFIX);
            if (at < 0) {
                continue;
            }
            String[] f = line.substring(0, at).trim().split(" +");
            if (f.length == 5) {
                try {
                    inodes.add(Long.parseLong(f[4]));
                } catch (NumberFormatException e) {
                    // not a mapping line
                }
            }
        }
        return true;
    }

    private static void readDescriptors(Path fdDir, Set<Long> inodes) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().startsWith(SHM_PREFIX)) {
                        inodes.add(((Number) Files.getAttribute(fd, "unix:ino")).longValue());
                    }
                } catch (IOException | RuntimeException e) {
                    // closed meanwhile, or a file that is gone
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, not ours, or unreadable
        }
    }

    /** Whether the process {@code token} names runs: its pid's start time matches the token. */
    static Optional<Boolean> isRunning(long token) {
        int pid = (int) (token >>> 32);
        long start = LinuxLiveness.startTime(pid);
        if (start == -2) {
            return Optional.empty();
        }
        return Optional.of(start >= 0 && (start & 0xFFFF_FFFFL) == (token & 0xFFFF_FFFFL));
    }
}
