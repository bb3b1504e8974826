package org.multiprocessing4j.internal.launch;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.internal.Logs;
import org.multiprocessing4j.platform.Platform;

/**
 * The start archive of child JVMs (the "AOT cache"): the classes {@link ChildMain}'s training run
 * loads (the child's own, the FFM linker's, the task codec's), parsed, verified and linked ahead
 * of time, plus what that run resolved of {@code java.lang.invoke}. A spawned child starts from it
 * in about two thirds of the time it takes without.
 *
 * <h2>Two kinds</h2>
 * Measured on the same path, each kind of child is faster with a different archive:
 * <ul>
 * <li>{@link Kind#CDS} for spawned children: a static CDS archive, {@code -Xshare:dump} from the
 *     class list of the training run, used with {@code -XX:SharedArchiveFile}. Spawn to first
 *     message some 20 ms (15%) faster than with the JDK 25 AOT cache: JDK 25 does not regenerate
 *     the {@code java.lang.invoke} holder classes with the lambda forms a training run used in its
 *     AOT workflow, so a child spun ~130 of them again
 *     ({@code -Djava.lang.invoke.MethodHandle.TRACE_RESOLVE} lists them), while the class-list
 *     dump pregenerates them; and eager loading of every cached class and replay of training
 *     profiles (JEP 515) buy nothing for a bootstrap of 100 ms.</li>
 * <li>{@link Kind#AOT} for idle forkserver children: the JDK 25 AOT cache
 *     ({@code -XX:AOTCacheOutput}, JEP 483/514/515). After their long warm-up it leaves the
 *     hand-off twice as fast as the CDS archive does (start to first message ~9 ms against ~19).</li>
 * </ul>
 * Neither can archive the FFM downcall linkage itself (a generated stub and its method-handle
 * chain per function shape), which is most of what remains of a spawned child's start.
 *
 * <h2>Where, and keyed by what</h2>
 * One file per child configuration in a per-user directory: the system property
 * {@code mp4j.aotCacheDir}, else {@code $XDG_CACHE_HOME/multiprocessing4j}, else
 * {@code ~/.cache/multiprocessing4j} (created with mode 0700; a relative path, or one with the
 * path separator in it, means no cache). Every child maps the archive it is given, so the
 * directory must be one only this user can write: owned by this user (its real uid) and not
 * writable by group or others — otherwise no archive is used or built, and one warning on
 * stderr says why. Names in it are predictable, so no file in it is reached through a symbolic
 * link: an archive that is a link is not used, and the builder's log, lock and marker files are
 * created afresh, never opened through a link. The file name is {@code child-<family>-<stamp>}: the
 * family hashes the JDK ({@code java.home}, {@code java.vm.version}), the child's command line
 * without the pid (JVM options, class path, module path, main class) and the JVM option
 * variables of the environment; the stamp hashes the size and modification time of every
 * class-path and module-path entry. A rebuilt jar gets a new file, and the builder that writes
 * it removes the older files of its family; another JDK or command is another family.
 *
 * <h2>Life cycle</h2>
 * {@link #flagsFor} never blocks: when the cache exists it returns the flags that use it; when it
 * does not, it starts at most one builder per key and JVM ({@link #main}, a separate JVM that
 * outlives this one, so that a short program still leaves a cache behind) and returns no flags.
 * The builder runs a training child ({@link ChildMain}'s {@code train} mode) that writes the cache
 * (or its class list, then dumps it) into a temporary file of the same directory, has a JVM map
 * it once with {@code -XX:+VerifySharedSpaces} (a JVM checks only an archive's header and length
 * when it maps it, and a damaged body can crash it), forces it to disk and renames it into place
 * atomically, so a reader sees no file or a whole, verified one. Concurrent builders (other
 * JVMs) are harmless: a lock file keeps most of them away (one older than any build is taken
 * over), and the last rename wins with an equally valid cache. A failed build leaves a
 * {@code .failed} marker that suppresses retries for a day; its output is in {@code <key>.log}.
 * A cache in use has its modification time refreshed at most once a day per JVM; builders remove
 * caches unused for 30 days, markers and logs of archives that never were after a day, and
 * temporary files of builders that died after a day.
 *
 * <h2>Never required</h2>
 * The cache is used with {@code -Xshare:auto} or {@code -XX:AOTMode=auto}: a missing, stale,
 * truncated or foreign file is ignored by the JVM, which then starts normally, and
 * {@code -Xlog:aot*=off,cds*=off} keeps its warnings off the child's stderr. (A file damaged
 * after it was verified, inside its body, is not detected at start: that is the JVM's check.)
 * It is not used when a class-path or module-path entry is a directory (the JDK only archives
 * classes from jars: tests running from {@code target/classes} start without it), when the
 * child's options already choose a class-data archive, when they name an agent, a flight
 * recording or a log or dump file (the builder's JVMs would run with them too), or when the
 * system property {@code mp4j.aotCache} is {@code false}.
 *
 * <p>Thread-safe.
 */
public final class AotCache {
    /** Exit code of the builder when the training run failed. */
    private static final int BUILD_FAILED = 3;
    /** A lock file older than this belongs to a builder that died: longer than any build. */
    private static final Duration STALE_LOCK = Duration.ofMinutes(16);
    /** A failed build is not retried before this. */
    private static final Duration RETRY_FAILED = Duration.ofDays(1);
    /** A cache not used for this long is removed by the next builder in its directory. */
    private static final Duration UNUSED = Duration.ofDays(30);
    /** The builder gives up on a training run after this long. */
    private static final long TRAINING_TIMEOUT_SECONDS = 300;

    /**
     * Which archive a kind of child starts from (see the class comment): each was measured the
     * faster for its kind.
     */
    enum Kind {
        /** A static CDS archive from a class list: spawned children. */
        CDS(".jsa"),
        /** A JDK AOT cache ({@code -XX:AOTCacheOutput}): idle forkserver children. */
        AOT(".aot");

        /** The cache file's suffix. */
        final String suffix;

        Kind(String suffix) {
            this.suffix = suffix;
        }

        /** {@return the kind for a child started with {@code modeArguments} (none: spawn)} */
        static Kind forMode(List<String> modeArguments) {
            return modeArguments.isEmpty() ? CDS : AOT;
        }
    }

    private static final Set<String> STARTED = ConcurrentHashMap.newKeySet();
    /** Directories this JVM has warned about (once each). */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
    /** When this JVM last refreshed a cache's modification time, by path. */
    private static final Map<String, Long> MARKED = new ConcurrentHashMap<>();

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
     * @param kind which archive
     */
    static List<String> flagsFor(List<String> jvmCommand, List<String> options, Kind kind) {
        Path cache = cacheFile(jvmCommand, options, kind);
        if (cache == null) {
            return List.of();
        }
        if (Files.isRegularFile(cache, NOFOLLOW_LINKS)) {
            long now = System.currentTimeMillis();
            Long marked = MARKED.get(cache.toString());
            if (marked == null || now - marked > Duration.ofDays(1).toMillis()) {
                MARKED.put(cache.toString(), now);
                markUsed(cache);
            }
            return useFlags(cache, kind);
        }
        if (STARTED.add(cache.toString())) {
            startBuilder(cache, jvmCommand, kind);
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
    static boolean ensure(List<String> jvmCommand, List<String> options, Kind kind,
                          Duration timeout) throws InterruptedException {
        Path cache = cacheFile(jvmCommand, options, kind);
        if (cache == null) {
            return false;
        }
        if (Files.isRegularFile(cache, NOFOLLOW_LINKS)) {
            return true;
        }
        STARTED.add(cache.toString());
        Process builder = startBuilder(cache, jvmCommand, kind);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isRegularFile(cache, NOFOLLOW_LINKS)) {
                return true;
            }
            boolean building = builder != null ? builder.isAlive()
                    : Files.isRegularFile(lockFile(cache), NOFOLLOW_LINKS); // another JVM's builder
            if (!building && !Files.isRegularFile(lockFile(cache), NOFOLLOW_LINKS)) {
                // failed, or none could start (read-only...)
                return Files.isRegularFile(cache, NOFOLLOW_LINKS);
            }
            Thread.sleep(20);
        }
        return Files.isRegularFile(cache, NOFOLLOW_LINKS);
    }

    /**
     * Sets the modification time of a cache in use once a day, so that {@link #main} can tell
     * caches nobody used for {@link #UNUSED} (those of replaced jars, mostly) and remove them.
     */
    private static void markUsed(Path cache) {
        try {
            if (age(cache).compareTo(Duration.ofDays(1)) > 0) {
                Files.getFileAttributeView(cache, BasicFileAttributeView.class, NOFOLLOW_LINKS)
                        .setTimes(FileTime.fromMillis(System.currentTimeMillis()), null, null);
            }
        } catch (IOException | RuntimeException e) {
            // a read-only cache directory: it is not cleaned up then
        }
    }

    /** The flags that use {@code cache} without ever failing or printing because of it. */
    static List<String> useFlags(Path cache, Kind kind) {
        return switch (kind) {
            case CDS -> List.of("-Xshare:auto", "-XX:SharedArchiveFile=" + cache, "-Xlog:aot*=off",
                    "-Xlog:cds*=off");
            case AOT -> List.of("-XX:AOTMode=auto", "-XX:AOTCache=" + cache, "-Xlog:aot*=off",
                    "-Xlog:cds*=off");
        };
    }

    /** {@return the cache file for {@code jvmCommand}, or {@code null} if no cache may be used} */
    static Path cacheFile(List<String> jvmCommand, List<String> options, Kind kind) {
        if (!enabled()) {
            return null;
        }
        for (String o : options) {
            if (o.startsWith("-Xshare") || o.startsWith("-XX:SharedArchiveFile")
                    || o.startsWith("-XX:AOT") || o.startsWith("-XX:ArchiveClassesAtExit")
                    || o.contains("AutoCreateSharedArchive")) {
                return null; // the user chose class-data sharing: do not interfere
            }
            if (o.startsWith("-agentlib") || o.startsWith("-agentpath") || o.startsWith("-javaagent")
                    || o.startsWith("-Xrunjdwp") || o.startsWith("-XX:StartFlightRecording")
                    || o.startsWith("-XX:FlightRecorderOptions") || o.startsWith("-Xlog")
                    || o.startsWith("-XX:HeapDumpPath") || o.startsWith("-XX:ErrorFile")
                    || o.startsWith("-XX:LogFile")) {
                // the builder's training and dump JVMs would run them too: a debugger port taken
                // twice, a recording or log overwritten. Such children start without an archive.
                return null;
            }
        }
        Path dir = directory();
        if (!dir.isAbsolute() || dir.toString().contains(File.pathSeparator)) {
            return null; // the JVM reads ':' in an archive path as two archives
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
            // family: what a child runs (JDK, command, options from the environment); stamp: the
            // jars' sizes and times. A new archive replaces the older ones of its family.
            MessageDigest family = MessageDigest.getInstance("SHA-256");
            update(family, System.getProperty("java.home"));
            update(family, System.getProperty("java.vm.version"));
            for (String a : jvmCommand) {
                update(family, a);
            }
            for (String env : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")) {
                update(family, env + "=" + System.getenv(env));
            }
            MessageDigest stamp = MessageDigest.getInstance("SHA-256");
            for (String e : entries) {
                BasicFileAttributes attrs = Files.readAttributes(Path.of(e), BasicFileAttributes.class);
                if (!attrs.isRegularFile()) {
                    return null; // a class directory: the JDK cannot cache from it
                }
                update(stamp, e + "|" + attrs.size() + "|" + attrs.lastModifiedTime().toMillis());
            }
            if (!trusted(dir)) {
                return null;
            }
            HexFormat hex = HexFormat.of();
            return dir.resolve(FAMILY_PREFIX + hex.formatHex(family.digest(), 0, 8) + "-"
                    + hex.formatHex(stamp.digest(), 0, 8) + kind.suffix);
        } catch (IOException | RuntimeException e) {
            return null; // a missing entry, an unreadable directory...: start without
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@return whether {@code dir} may hold archives: it does not exist yet (it is then created
     * with mode 0700 and checked again), or it is a directory owned by this user (real uid) that
     * neither group nor others may write} Warns once per directory when it may not.
     */
    static boolean trusted(Path dir) {
        Map<String, Object> attrs;
        try {
            attrs = Files.readAttributes(dir, "unix:uid,mode,isDirectory");
        } catch (java.nio.file.NoSuchFileException e) {
            return true;
        } catch (IOException | RuntimeException e) {
            return warn(dir, "cannot read its owner and mode (" + e + ")");
        }
        int uid = Platform.current().uid();
        int owner = (Integer) attrs.get("uid");
        int mode = (Integer) attrs.get("mode");
        if (!(Boolean) attrs.get("isDirectory")) {
            return warn(dir, "not a directory");
        }
        if (owner != uid) {
            return warn(dir, "owned by uid " + owner + ", not by this user (uid " + uid + ")");
        }
        if ((mode & 0022) != 0) {
            return warn(dir, "writable by group or others (mode "
                    + String.format("%04o", mode & 07777) + ")");
        }
        return true;
    }

    private static boolean warn(Path dir, String why) {
        if (WARNED.add(dir.toString())) {
            System.err.println("multiprocessing4j: not using the start-archive directory " + dir
                    + ": " + why + "; children start without an archive");
        }
        return false;
    }

    /** Cache files are named {@code child-<family>-<stamp><suffix>}. */
    private static final String FAMILY_PREFIX = "child-";

    /** {@return the {@code child-<family>-} part of a cache file's name} */
    private static String family(Path cache) {
        String name = cache.getFileName().toString();
        int dash = name.indexOf('-', FAMILY_PREFIX.length());
        return dash < 0 ? name : name.substring(0, dash + 1);
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
    private static Process startBuilder(Path cache, List<String> jvmCommand, Kind kind) {
        try {
            Path dir = cache.getParent();
            if (!Files.isDirectory(dir)) {
                Platform.current().privateFiles().createDirectories(dir);
                if (!trusted(dir)) {
                    return null; // someone else made it first
                }
            }
            Path failed = failedMarker(cache);
            if (Files.exists(failed, NOFOLLOW_LINKS) && age(failed).compareTo(RETRY_FAILED) < 0) {
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
            cmd.add(kind.name());
            cmd.add(cache.toString());
            cmd.addAll(jvmCommand);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.redirectInput(ProcessBuilder.Redirect.from(
                    Platform.current().privateFiles().nullDevice().toFile()));
            Path log = cache.resolveSibling(cache.getFileName() + ".log");
            try {
                // a fresh file: whatever had the name, a link included, is gone (redirecting to
                // a path opens it through a link)
                Files.deleteIfExists(log);
                Platform.current().privateFiles().createFile(log);
                pb.redirectOutput(log.toFile());
                pb.redirectErrorStream(true);
                Process builder = pb.start(); // not waited for: it outlives a short program on purpose
                // INFO for a rebuild (an archive of this configuration is replaced), DEBUG for a
                // first build: a program's first run should not print a line for a cache
                boolean rebuild = hasOlderOfFamily(cache);
                try { // a handler that throws must not make a started build look failed
                    Logs.of("ChildProcess").log(rebuild ? System.Logger.Level.INFO
                            : System.Logger.Level.DEBUG, () -> (rebuild
                            ? "rebuilding the start archive of children (the class path changed): "
                            : "building the start archive of children: ") + cache + ", in the background"
                            + " (process " + builder.pid() + ", log " + log + "); children start without"
                            + " it until it is ready");
                } catch (RuntimeException logFailed) {
                    // the build runs either way
                }
                return builder;
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(lock);
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            return null; // a read-only home, no space...: children start without a cache
        }
    }

    private static Duration age(Path p) throws IOException {
        try {
            return Duration.ofMillis(System.currentTimeMillis()
                    - Files.getLastModifiedTime(p, NOFOLLOW_LINKS).toMillis());
        } catch (java.nio.file.NoSuchFileException e) {
            return Duration.ZERO;
        }
    }

    /**
     * The builder: {@code AotCache <kind> <cache file> <child command…>}. Runs the child command in
     * training mode, writing into a temporary file next to the cache, then renames it into place;
     * removes the lock file in any case. {@link Kind#CDS}: the training run writes its class list
     * ({@code -XX:DumpLoadedClassList}), then {@code -Xshare:dump} builds the archive of those
     * classes. {@link Kind#AOT}: the training run has {@code -XX:AOTCacheOutput}. Exit code 0 when
     * the cache exists.
     */
    static void main(String[] args) throws Exception {
        Kind kind = Kind.valueOf(args[0]);
        Path cache = Path.of(args[1]);
        Path lock = lockFile(cache);
        Path tmp = cache.resolveSibling(cache.getFileName() + ".tmp-" + ProcessHandle.current().pid()
                + "-" + Long.toHexString(new java.security.SecureRandom().nextLong()));
        Path classList = tmp.resolveSibling(tmp.getFileName() + ".classlist");
        int code = BUILD_FAILED;
        try {
            List<String> child = List.of(args).subList(2, args.length);
            int main = child.indexOf(ChildMain.class.getName());
            if (main < 0) {
                main = child.indexOf("org.multiprocessing4j/" + ChildMain.class.getName());
            }
            if (main < 0) {
                throw new IllegalArgumentException("no main class in " + child);
            }
            int launchStart = child.indexOf("-cp") >= 0 ? child.indexOf("-cp")
                    : child.indexOf("--module-path");
            List<String> training = new ArrayList<>(child.subList(0, launchStart));
            training.add(kind == Kind.CDS ? "-XX:DumpLoadedClassList=" + classList
                    : "-XX:AOTCacheOutput=" + tmp);
            training.addAll(child.subList(launchStart, main + 1));
            training.add(Long.toString(ProcessHandle.current().pid()));
            training.add(ChildMain.MODE_TRAIN);
            int exit = run(training);
            if (exit == 0 && kind == Kind.CDS && Files.isRegularFile(classList, NOFOLLOW_LINKS)) {
                List<String> dump = new ArrayList<>(child.subList(0, launchStart));
                dump.addAll(List.of("-Xshare:dump", "-XX:SharedClassListFile=" + classList,
                        "-XX:SharedArchiveFile=" + tmp));
                List<String> path = child.subList(launchStart, main); // no main class
                dump.addAll(path.isEmpty() || !path.getLast().equals("-m") ? path
                        : path.subList(0, path.size() - 1));
                exit = run(dump);
                if (exit != 0) {
                    System.out.println("archive dump exited with " + exit + ": " + dump);
                }
            } else if (exit != 0 || kind == Kind.CDS) {
                System.out.println("training run exited with " + exit + " (class list written: "
                        + Files.isRegularFile(classList, NOFOLLOW_LINKS) + "): " + training);
                exit = exit != 0 ? exit : BUILD_FAILED;
            }
            if (exit == 0 && Files.isRegularFile(tmp, NOFOLLOW_LINKS) && Files.size(tmp) > 0) {
                // the JVM checks only an archive's header and length when it maps it, and maps
                // a damaged one to a crash: check every region once, here, before any child can
                List<String> check = new ArrayList<>(child.subList(0, launchStart));
                check.addAll(kind == Kind.CDS
                        ? List.of("-Xshare:on", "-XX:SharedArchiveFile=" + tmp)
                        : List.of("-XX:AOTMode=on", "-XX:AOTCache=" + tmp));
                check.add("-XX:+VerifySharedSpaces");
                List<String> path = child.subList(launchStart, main);
                check.addAll(path.isEmpty() || !path.getLast().equals("-m") ? path
                        : path.subList(0, path.size() - 1));
                check.add("-version");
                exit = run(check);
                if (exit != 0) {
                    System.out.println("the new archive does not verify (" + exit + "): " + check);
                }
            }
            if (exit == 0 && Files.isRegularFile(tmp, NOFOLLOW_LINKS) && Files.size(tmp) > 0) {
                try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(tmp,
                        java.nio.file.StandardOpenOption.WRITE, NOFOLLOW_LINKS)) {
                    f.force(true); // on disk before its name is: no good name on bad contents
                }
                try {
                    Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("cannot rename " + tmp + " atomically", e);
                }
                try (java.nio.channels.FileChannel d = java.nio.channels.FileChannel.open(
                        cache.getParent(), java.nio.file.StandardOpenOption.READ)) {
                    d.force(true);
                } catch (IOException e) {
                    // the rename is durable a little later instead
                }
                Files.deleteIfExists(failedMarker(cache));
                removeOlderOfFamily(cache);
                code = 0;
            }
        } catch (IOException | RuntimeException | InterruptedException e) {
            System.out.println("cannot build " + cache + ": " + e);
        } finally {
            // each step on its own: a full disk (the likely failure) must not keep the lock
            if (code != 0) {
                quietly(() -> Files.writeString(failedMarker(cache),
                        "see " + cache.getFileName() + ".log\n", StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE,
                        NOFOLLOW_LINKS));
            }
            quietly(() -> Files.deleteIfExists(tmp));
            quietly(() -> Files.deleteIfExists(classList));
            quietly(() -> Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + ".config")));
            removeStaleTemporaries(cache.getParent());
            quietly(() -> Files.deleteIfExists(lock));
        }
        System.exit(code);
    }

    private interface IoStep {
        Object run() throws IOException;
    }

    private static void quietly(IoStep step) {
        try {
            step.run();
        } catch (IOException | RuntimeException e) {
            System.out.println("clean-up: " + e);
        }
    }

    /**
     * Removes the archives of {@code cache}'s family (same JDK and command) built for other jar
     * contents, with their logs and markers: each rebuild of a jar would otherwise leave ~15 MB
     * behind. A child already running from one keeps its mapping; one about to start from it
     * finds no file and starts without.
     */
    private static void removeOlderOfFamily(Path cache) {
        String family = family(cache);
        String name = cache.getFileName().toString();
        String suffix = name.substring(name.lastIndexOf('.'));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(cache.getParent(),
                family + "*" + suffix)) {
            for (Path f : files) {
                if (!f.getFileName().toString().equals(name)) {
                    quietly(() -> Files.deleteIfExists(f));
                    quietly(() -> Files.deleteIfExists(f.resolveSibling(f.getFileName() + ".log")));
                    quietly(() -> Files.deleteIfExists(failedMarker(f)));
                }
            }
        } catch (IOException e) {
            // best effort
        }
    }

    /** {@return whether an archive of {@code cache}'s family for other jar contents exists} */
    private static boolean hasOlderOfFamily(Path cache) {
        String family = family(cache);
        String name = cache.getFileName().toString();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(cache.getParent(),
                family + "*" + name.substring(name.lastIndexOf('.')))) {
            for (Path f : files) {
                if (!f.getFileName().toString().equals(name)) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            // cannot tell: call it a first build
        }
        return false;
    }

    /**
     * Runs a step of the build with this JVM's standard streams (the log).
     *
     * @return its exit code, or -1 if it did not finish within the training timeout (it is killed)
     */
    private static int run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (!p.waitFor(TRAINING_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            System.out.println("timed out: " + cmd);
            return -1;
        }
        return p.exitValue();
    }

    /**
     * Removes temporary files of builders that died (older than a day) and caches nobody used
     * for {@link #UNUSED}, with their logs and markers.
     */
    private static void removeStaleTemporaries(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "child-*")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.contains(".tmp-") && age(f).compareTo(RETRY_FAILED) > 0) {
                    Files.deleteIfExists(f);
                } else if ((name.endsWith(".failed") || name.endsWith(".log"))
                        && age(f).compareTo(RETRY_FAILED) > 0
                        && !Files.exists(f.resolveSibling(name.substring(0, name.lastIndexOf('.'))),
                                NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(f); // the marker or log of an archive that never was
                } else if ((name.endsWith(Kind.CDS.suffix) || name.endsWith(Kind.AOT.suffix))
                        && age(f).compareTo(UNUSED) > 0) {
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
