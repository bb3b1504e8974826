package org.multiprocessing4j;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A JDK 25 AOT cache ({@code -XX:AOTCache}, JEP 483/514) for the bootstrap of child JVMs: the
 * classes of {@link ChildMain}, the FFM linkage of the first downcalls and the task codec,
 * loaded and linked ahead of time. It roughly halves the start of a child.
 *
 * <h2>Where, and keyed by what</h2>
 * One file per child configuration in a per-user directory: the system property
 * {@code mp4j.aotCacheDir}, else {@code $XDG_CACHE_HOME/multiprocessing4j}, else
 * {@code ~/.cache/multiprocessing4j} (created with mode 0700). The file name is a hash of the JDK
 * ({@code java.home}, {@code java.vm.version}), the child's command line without the pid (JVM
 * options, class path, module path, main class) and the size and modification time of every
 * class-path and module-path entry: a rebuilt jar or another JDK gets another cache.
 *
 * <h2>Life cycle</h2>
 * {@link #flagsFor} never blocks: when the cache exists it returns the flags that use it; when it
 * does not, it starts at most one builder per key and JVM ({@link #main}, a separate JVM that
 * outlives this one, so that a short program still leaves a cache behind) and returns no flags.
 * The builder runs a training child with {@code -XX:AOTCacheOutput} into a temporary file of the
 * same directory and renames it into place atomically, so a reader sees no file or a whole one.
 * Concurrent builders (other JVMs) are harmless: a lock file keeps most of them away, and the
 * last rename wins with an equally valid cache. A failed build leaves a {@code .failed} marker
 * that suppresses retries for a day; its output is in {@code <key>.log}. A cache in use has its
 * modification time refreshed once a day; builders remove caches unused for 30 days (those of
 * jars since rebuilt, mostly: each cache is some 15 MB).
 *
 * <h2>Never required</h2>
 * The cache is used with {@code -XX:AOTMode=auto}: a stale, truncated or corrupt file is ignored
 * by the JVM, which then starts normally, and {@code -Xlog:aot*=off,cds*=off} keeps its warnings
 * off the child's stderr. It is not used when a class-path or module-path entry is a directory
 * (the JDK only caches classes from jars: tests running from {@code target/classes} start without
 * it), when the child's options already choose a class-data archive, or when the system property
 * {@code mp4j.aotCache} is {@code false}.
 *
 * <p>Thread-safe.
 */
final class AotCache {
    /** Exit code of the builder when the training run failed. */
    private static final int BUILD_FAILED = 3;
    /** A lock file older than this belongs to a builder that died. */
    private static final Duration STALE_LOCK = Duration.ofMinutes(5);
    /** A failed build is not retried before this. */
    private static final Duration RETRY_FAILED = Duration.ofDays(1);
    /** A cache not used for this long is removed by the next builder in its directory. */
    private static final Duration UNUSED = Duration.ofDays(30);
    /** The builder gives up on a training run after this long. */
    private static final long TRAINING_TIMEOUT_SECONDS = 300;

    private static final Set<String> STARTED = ConcurrentHashMap.newKeySet();

    private AotCache() {
    }

    /** {@return whether children use an AOT cache: unless {@code -Dmp4j.aotCache=false}} */
    static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty("mp4j.aotCache", "true").strip());
    }

    /** {@return the cache directory (see the class comment); not created} */
    static Path directory() {
        String dir = System.getProperty("mp4j.aotCacheDir", "").strip();
        if (!dir.isEmpty()) {
            return Path.of(dir);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "multiprocessing4j");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "multiprocessing4j");
    }

    /**
     * {@return the flags that make a child use the cache for {@code jvmCommand}, or an empty list
     * if there is none yet (a builder is then started in the background) or it cannot be used}
     * Never blocks on the build.
     *
     * @param jvmCommand the child's command without sharing flags and pid: {@code java}, options,
     *     class path / module path, main class
     * @param options the JVM options within it
     */
    static List<String> flagsFor(List<String> jvmCommand, List<String> options) {
        Path cache = cacheFile(jvmCommand, options);
        if (cache == null) {
            return List.of();
        }
        if (Files.isRegularFile(cache)) {
            if (STARTED.add(cache.toString())) {
                markUsed(cache);
            }
            return useFlags(cache);
        }
        if (STARTED.add(cache.toString())) {
            startBuilder(cache, jvmCommand);
        }
        return List.of();
    }

    /**
     * Builds the cache for {@code jvmCommand} now unless it exists, waiting at most
     * {@code timeout}.
     *
     * @return {@code true} if the cache exists now; {@code false} if it cannot be used here, the
     *     build failed or did not finish in time (it then goes on in the background)
     * @throws InterruptedException if interrupted while waiting
     */
    static boolean ensure(List<String> jvmCommand, List<String> options, Duration timeout)
            throws InterruptedException {
        Path cache = cacheFile(jvmCommand, options);
        if (cache == null) {
            return false;
        }
        if (Files.isRegularFile(cache)) {
            return true;
        }
        STARTED.add(cache.toString());
        Process builder = startBuilder(cache, jvmCommand);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isRegularFile(cache)) {
                return true;
            }
            if (builder != null && !builder.isAlive() && !Files.isRegularFile(lockFile(cache))) {
                return Files.isRegularFile(cache);
            }
            Thread.sleep(20);
        }
        return Files.isRegularFile(cache);
    }

    /**
     * Sets the modification time of a cache in use once a day, so that {@link #main} can tell
     * caches nobody used for {@link #UNUSED} (those of replaced jars, mostly) and remove them.
     */
    private static void markUsed(Path cache) {
        try {
            if (age(cache).compareTo(Duration.ofDays(1)) > 0) {
                Files.setLastModifiedTime(cache, java.nio.file.attribute.FileTime.fromMillis(
                        System.currentTimeMillis()));
            }
        } catch (IOException | RuntimeException e) {
            // a read-only cache directory: it is not cleaned up then
        }
    }

    /** The flags that use {@code cache} without ever failing or printing because of it. */
    static List<String> useFlags(Path cache) {
        return List.of("-XX:AOTMode=auto", "-XX:AOTCache=" + cache, "-Xlog:aot*=off",
                "-Xlog:cds*=off");
    }

    /** {@return the cache file for {@code jvmCommand}, or {@code null} if no cache may be used} */
    static Path cacheFile(List<String> jvmCommand, List<String> options) {
        if (!enabled()) {
            return null;
        }
        for (String o : options) {
            if (o.startsWith("-Xshare") || o.startsWith("-XX:SharedArchiveFile")
                    || o.startsWith("-XX:AOT") || o.startsWith("-XX:ArchiveClassesAtExit")
                    || o.contains("AutoCreateSharedArchive")) {
                return null; // the user chose class-data sharing: do not interfere
            }
        }
        List<String> entries = new ArrayList<>();
        for (String p : List.of(System.getProperty("java.class.path", ""),
                System.getProperty("jdk.module.path", ""))) {
            for (String e : p.split(File.pathSeparator)) {
                if (!e.isEmpty()) {
                    entries.add(e);
                }
            }
        }
        if (entries.isEmpty()) {
            return null;
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            update(sha, System.getProperty("java.home"));
            update(sha, System.getProperty("java.vm.version"));
            for (String a : jvmCommand) {
                update(sha, a);
            }
            for (String e : entries) {
                BasicFileAttributes attrs = Files.readAttributes(Path.of(e), BasicFileAttributes.class);
                if (!attrs.isRegularFile()) {
                    return null; // a class directory: the JDK cannot cache from it
                }
                update(sha, e + "|" + attrs.size() + "|" + attrs.lastModifiedTime().toMillis());
            }
            String key = HexFormat.of().formatHex(sha.digest(), 0, 12);
            return directory().resolve("child-" + key + ".aot");
        } catch (IOException | RuntimeException e) {
            return null; // a missing entry, an unreadable directory...: start without
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void update(MessageDigest sha, String s) {
        sha.update(String.valueOf(s).getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
    }

    static Path lockFile(Path cache) {
        return cache.resolveSibling(cache.getFileName() + ".lock");
    }

    static Path failedMarker(Path cache) {
        return cache.resolveSibling(cache.getFileName() + ".failed");
    }

    /**
     * Starts the builder unless another one holds the lock or a build failed recently.
     *
     * @return the builder, or {@code null} if none was started
     */
    private static Process startBuilder(Path cache, List<String> jvmCommand) {
        try {
            Path dir = cache.getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            Path failed = failedMarker(cache);
            if (Files.exists(failed) && age(failed).compareTo(RETRY_FAILED) < 0) {
                return null;
            }
            Path lock = lockFile(cache);
            try {
                Files.createFile(lock);
            } catch (FileAlreadyExistsException e) {
                if (age(lock).compareTo(STALE_LOCK) < 0) {
                    return null; // another JVM is building it
                }
                Files.deleteIfExists(lock);
                try {
                    Files.createFile(lock);
                } catch (FileAlreadyExistsException raced) {
                    return null;
                }
            }
            List<String> cmd = new ArrayList<>();
            cmd.add(ChildCommand.javaExecutable());
            cmd.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                    "-XX:-UsePerfData"));
            List<String> launch = ChildCommand.launchArguments();
            cmd.addAll(launch.subList(0, launch.size() - 1)); // all but the main class
            cmd.add(ChildCommand.modular() ? "org.multiprocessing4j/" + AotCache.class.getName()
                    : AotCache.class.getName());
            cmd.add(cache.toString());
            cmd.addAll(jvmCommand);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Path log = cache.resolveSibling(cache.getFileName() + ".log");
            pb.redirectOutput(log.toFile());
            pb.redirectErrorStream(true);
            return pb.start(); // not waited for: it outlives a short program on purpose
        } catch (IOException | RuntimeException e) {
            return null; // a read-only home, no space...: children start without a cache
        }
    }

    private static Duration age(Path p) throws IOException {
        try {
            return Duration.ofMillis(System.currentTimeMillis()
                    - Files.getLastModifiedTime(p).toMillis());
        } catch (java.nio.file.NoSuchFileException e) {
            return Duration.ZERO;
        }
    }

    /**
     * The builder: {@code AotCache <cache file> <child command…>}. Runs the child command in
     * training mode with {@code -XX:AOTCacheOutput} into a temporary file next to the cache, then
     * renames it into place; removes the lock file in any case. Exit code 0 when the cache exists.
     */
    static void main(String[] args) throws Exception {
        Path cache = Path.of(args[0]);
        Path lock = lockFile(cache);
        Path tmp = cache.resolveSibling(cache.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        int code = BUILD_FAILED;
        try {
            List<String> cmd = new ArrayList<>();
            List<String> child = List.of(args).subList(1, args.length);
            int main = child.indexOf(ChildMain.class.getName());
            if (main < 0) {
                main = child.indexOf("org.multiprocessing4j/" + ChildMain.class.getName());
            }
            if (main < 0) {
                throw new IllegalArgumentException("no main class in " + child);
            }
            int launchStart = child.indexOf("-cp") >= 0 ? child.indexOf("-cp")
                    : child.indexOf("--module-path");
            cmd.addAll(child.subList(0, launchStart));
            cmd.add("-XX:AOTCacheOutput=" + tmp);
            cmd.addAll(child.subList(launchStart, main + 1));
            cmd.add(Long.toString(ProcessHandle.current().pid()));
            cmd.add(ChildMain.MODE_TRAIN);
            Process training = new ProcessBuilder(cmd).inheritIO().start();
            if (!training.waitFor(TRAINING_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                training.destroyForcibly();
                System.out.println("training run timed out: " + cmd);
            } else if (training.exitValue() == 0 && Files.isRegularFile(tmp) && Files.size(tmp) > 0) {
                try {
                    Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("cannot rename " + tmp + " atomically", e);
                }
                Files.deleteIfExists(failedMarker(cache));
                code = 0;
            } else {
                System.out.println("training run exited with " + training.exitValue() + ": " + cmd);
            }
        } catch (IOException | RuntimeException | InterruptedException e) {
            System.out.println("cannot build " + cache + ": " + e);
        } finally {
            if (code != 0) {
                Files.writeString(failedMarker(cache), "see " + cache.getFileName() + ".log\n");
            }
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + ".config"));
            removeStaleTemporaries(cache.getParent());
            Files.deleteIfExists(lock);
        }
        System.exit(code);
    }

    /**
     * Removes temporary files of builders that died (older than a day) and caches nobody used
     * for {@link #UNUSED}, with their logs and markers.
     */
    private static void removeStaleTemporaries(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "child-*.aot*")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.contains(".aot.tmp-") && age(f).compareTo(RETRY_FAILED) > 0) {
                    Files.deleteIfExists(f);
                } else if (name.endsWith(".aot") && age(f).compareTo(UNUSED) > 0) {
                    Files.deleteIfExists(f);
                    Files.deleteIfExists(f.resolveSibling(name + ".log"));
                    Files.deleteIfExists(failedMarker(f));
                }
            }
        } catch (IOException e) {
            // best effort
        }
    }
}
