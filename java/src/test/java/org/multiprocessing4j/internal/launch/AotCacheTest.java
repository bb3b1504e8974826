package org.multiprocessing4j.internal.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.multiprocessing4j.Multiprocessing;
import org.multiprocessing4j.testing.AotParentMain;
import org.multiprocessing4j.testing.TestJvms;

/**
 * The AOT cache of child JVMs: created on first use from jars, used afterwards, never required
 * (a corrupt or truncated file is ignored without a word on stderr), safe when two JVMs build it
 * at once, and out of the way when classes come from directories.
 */
@Timeout(180)
class AotCacheTest {
    @TempDir
    static Path jars;
    private static String classPath;

    /** Packs the library and the test classes into jars: the JDK only caches classes from jars. */
    @BeforeAll
    static void packJars() throws IOException {
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(e);
            if (Files.isDirectory(p)) {
                Path jar = jars.resolve("dir" + i++ + ".jar");
                jar(p, jar);
                entries.add(jar.toString());
            } else {
                entries.add(e);
            }
        }
        classPath = String.join(java.io.File.pathSeparator, entries);
    }

    private static void jar(Path dir, Path jar) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar);
             JarOutputStream j = new JarOutputStream(out);
             Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                j.putNextEntry(new JarEntry(dir.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, j);
                j.closeEntry();
            }
        }
    }

    private record Run(int exit, String out) {
        String childArgs() {
            return out.lines().filter(l -> l.startsWith("child-args ")).findFirst().orElse("");
        }
    }

    private static Process start(Path cacheDir, String... args) throws IOException {
        return start(cacheDir, List.of(), args);
    }

    private static Process start(Path cacheDir, List<String> properties, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", TestJvms.backendOption(),
                "-Dmp4j.aotCacheDir=" + cacheDir));
        cmd.addAll(properties);
        cmd.addAll(List.of("-cp", classPath, AotParentMain.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static Run finish(Process p) throws Exception {
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static List<Path> files(Path dir, String glob) throws IOException {
        List<Path> out = new ArrayList<>();
        try (var s = Files.newDirectoryStream(dir, glob)) {
            s.forEach(out::add);
        }
        return out;
    }

    /** Builders outlive their parent on purpose: wait until they have removed their lock. */
    private static void awaitBuilders(Path dir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!files(dir, "*.lock").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(files(dir, "*.lock").isEmpty(), files(dir, "*").toString());
    }

    @Test
    void createdOnFirstUseThenUsedAndACorruptOrTruncatedCacheIsIgnoredSilently(@TempDir Path dir)
            throws Exception {
        Run first = finish(start(dir, "warm"));
        assertEquals(0, first.exit(), first.out());
        assertTrue(first.out().contains("warm true"), first.out());
        awaitBuilders(dir);
        List<Path> caches = files(dir, "*" + AotCache.Kind.CDS.suffix);
        assertEquals(1, caches.size(), caches.toString());
        assertTrue(files(dir, "*.tmp-*").isEmpty(), files(dir, "*").toString());

        Run used = finish(start(dir));
        assertEquals(0, used.exit(), used.out());
        assertTrue(used.childArgs().contains("-XX:SharedArchiveFile=" + caches.get(0)), used.out());
        assertTrue(used.out().contains("exit 0"), used.out());
        assertEquals(2, used.out().lines().count(), "nothing else on stdout/stderr: " + used.out());

        Path cache = caches.get(0);
        byte[] whole = Files.readAllBytes(cache);
        for (byte[] broken : List.of("garbage".getBytes(StandardCharsets.UTF_8),
                java.util.Arrays.copyOf(whole, whole.length / 3))) {
            Files.write(cache, broken);
            Run fallback = finish(start(dir));
            assertEquals(0, fallback.exit(), fallback.out());
            assertTrue(fallback.out().contains("exit 0"), fallback.out());
            assertFalse(fallback.out().contains("[aot") || fallback.out().contains("[cds")
                    || fallback.out().contains("warning"), "no AOT warning: " + fallback.out());
            assertEquals(2, fallback.out().lines().count(), fallback.out());
        }
    }

    @Test
    void twoJvmsBuildingAtOnceLeaveOneValidCache(@TempDir Path dir) throws Exception {
        Process a = start(dir, "warm");
        Process b = start(dir, "warm");
        Run ra = finish(a);
        Run rb = finish(b);
        assertEquals(0, ra.exit(), ra.out());
        assertEquals(0, rb.exit(), rb.out());
        // one of them may have found the other's lock and given up waiting: never an error
        assertTrue(ra.out().contains("exit 0") && rb.out().contains("exit 0"));
        awaitBuilders(dir);
        assertEquals(1, files(dir, "*" + AotCache.Kind.CDS.suffix).size(), files(dir, "*").toString());
        assertTrue(files(dir, "*.tmp-*").isEmpty(), files(dir, "*").toString());
        Run used = finish(start(dir));
        assertTrue(used.childArgs().contains("-XX:SharedArchiveFile="), used.out());
        assertEquals(2, used.out().lines().count(), used.out());
    }

    /** Spawned children start from a CDS archive, idle forkserver children from a JDK AOT cache. */
    @Test
    void spawnedChildrenUseTheCdsArchiveAndForkserverChildrenTheAotCache(@TempDir Path dir)
            throws Exception {
        Run spawned = finish(start(dir, "warm"));
        assertTrue(spawned.out().contains("warm true"), spawned.out());
        Run spawnedAgain = finish(start(dir));
        assertTrue(spawnedAgain.childArgs().contains("-XX:SharedArchiveFile="
                + files(dir, "*" + AotCache.Kind.CDS.suffix).getFirst()), spawnedAgain.out());
        assertFalse(spawnedAgain.childArgs().contains("-XX:AOTCache="), spawnedAgain.out());

        Run forkserver = finish(start(dir, "forkserver"));
        assertEquals(0, forkserver.exit(), forkserver.out());
        List<Path> aot = files(dir, "*" + AotCache.Kind.AOT.suffix);
        assertEquals(1, aot.size(), files(dir, "*").toString());
        assertTrue(forkserver.childArgs().contains("-XX:AOTCache=" + aot.getFirst()),
                forkserver.out());
        assertFalse(forkserver.childArgs().contains("-XX:SharedArchiveFile="), forkserver.out());
        awaitBuilders(dir);
    }

    @Test
    void aRebuiltJarReplacesTheArchiveOfItsFamily(@TempDir Path dir) throws Exception {
        Run first = finish(start(dir, "warm"));
        assertTrue(first.out().contains("warm true"), first.out());
        assertFalse(first.out().contains("start archive"), "a first build logs at DEBUG: " + first.out());
        awaitBuilders(dir);
        List<Path> before = files(dir, "*" + AotCache.Kind.CDS.suffix);
        assertEquals(1, before.size(), before.toString());
        Path jar = Path.of(classPath.split(java.io.File.pathSeparator)[0]);
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(
                Files.getLastModifiedTime(jar).toMillis() + 2000)); // "rebuilt"
        Run second = finish(start(dir, "warm"));
        assertTrue(second.out().contains("warm true"), second.out());
        assertTrue(second.out().contains("INFO: rebuilding the start archive of children"),
                "one INFO line through System.Logger: " + second.out());
        awaitBuilders(dir);
        List<Path> after = files(dir, "*" + AotCache.Kind.CDS.suffix);
        assertEquals(1, after.size(), "the older archive of the family is gone: " + after);
        assertNotEquals(before, after);
        assertTrue(files(dir, before.getFirst().getFileName() + ".*").isEmpty(),
                files(dir, "*").toString());
    }

    @Test
    void childrenWithAgentsOrLogFilesStartWithoutAnArchive(@TempDir Path dir) throws Exception {
        Run run = finish(start(dir, List.of("-Dmp4j.childJvmOptions=-Xlog:disable"), "warm"));
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("warm false"), run.out());
        assertFalse(run.childArgs().contains("-XX:SharedArchiveFile="), run.out());
        assertTrue(files(dir, "*").isEmpty(), files(dir, "*").toString());
    }

    @Test
    void warmUpGivesUpAtOnceWhenNoArchiveCanBeBuilt(@TempDir Path dir) throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        // waiting out its 600 s would fail this class's time limit
        Run run = finish(start(notADirectory.resolve("cache"), "warm600"));
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("warm false"), run.out());
        assertTrue(run.out().contains("exit 0"), run.out());
    }

    @Test
    void notUsedWhenClassesComeFromDirectoriesOrWhenSwitchedOff() throws Exception {
        // this JVM runs from target/classes
        assertFalse(Multiprocessing.context().warmUp(Duration.ofSeconds(1)));
        List<String> options = ChildCommand.jvmOptions(List.of());
        assertNull(AotCache.cacheFile(List.of("java"), options, AotCache.Kind.CDS));
        String before = System.getProperty("mp4j.aotCache");
        System.setProperty("mp4j.aotCache", "false");
        try {
            assertFalse(AotCache.enabled());
            assertTrue(ChildCommand.of(List.of(), List.of()).arguments().contains("-Xshare:auto"));
        } finally {
            if (before == null) {
                System.clearProperty("mp4j.aotCache");
            } else {
                System.setProperty("mp4j.aotCache", before);
            }
        }
    }

    /**
     * Planted symbolic links in the cache directory: an archive name that points elsewhere is
     * not an archive, and a log name that points at another file does not truncate it.
     */
    @Test
    void symbolicLinksPlantedInTheCacheDirectoryAreNotFollowed(@TempDir Path dir,
            @TempDir Path elsewhere) throws Exception {
        Run first = finish(start(dir, "warm"));
        assertTrue(first.out().contains("warm true"), first.out());
        awaitBuilders(dir);
        Path cache = files(dir, "*" + AotCache.Kind.CDS.suffix).getFirst();
        Path log = cache.resolveSibling(cache.getFileName() + ".log");
        Path planted = Files.move(cache, elsewhere.resolve("planted.jsa"));
        Path victim = Files.writeString(elsewhere.resolve("victim"), "precious");
        Files.deleteIfExists(log);
        Files.createSymbolicLink(log, victim);

        Run rebuilt = finish(start(dir, "warm")); // no archive: a builder writes the log
        assertEquals(0, rebuilt.exit(), rebuilt.out());
        awaitBuilders(dir);
        assertEquals("precious", Files.readString(victim), "the log link was followed");

        Files.delete(cache);
        Files.createSymbolicLink(cache, planted);
        Run linked = finish(start(dir));
        assertEquals(0, linked.exit(), linked.out());
        assertFalse(linked.childArgs().contains("-XX:SharedArchiveFile="),
                "a linked archive was used: " + linked.out());
        awaitBuilders(dir);
    }

    /**
     * A cache directory another user owns, or that others may write, is not used: whoever can
     * write it could plant an archive every child maps. One warning says why.
     */
    @Test
    void aForeignOwnedOrGroupWritableCacheDirectoryIsNotUsed(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                org.multiprocessing4j.platform.Platform.current().uid() == 0,
                "only root can give a directory to another user here");
        Run first = finish(start(dir, "warm"));
        assertTrue(first.out().contains("warm true"), first.out());
        awaitBuilders(dir);
        List<Path> before = files(dir, "*");
        int me = (Integer) Files.getAttribute(dir, "unix:uid");
        try {
            Files.setAttribute(dir, "unix:uid", 4242); // "another user"
            assertRefused(dir, "owned by");
            Files.setAttribute(dir, "unix:uid", me);
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions
                    .fromString("rwxrwx---"));
            assertRefused(dir, "writable");
        } finally {
            Files.setAttribute(dir, "unix:uid", me);
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions
                    .fromString("rwx------"));
        }
        assertEquals(before, files(dir, "*"), "nothing written to a refused directory");
        Run trusted = finish(start(dir));
        assertTrue(trusted.childArgs().contains("-XX:SharedArchiveFile="), trusted.out());
    }

    private static void assertRefused(Path dir, String why) throws Exception {
        Run run = finish(start(dir, "warm5"));
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("warm false"), run.out());
        assertFalse(run.childArgs().contains("-XX:SharedArchiveFile="), run.out());
        List<String> warnings = run.out().lines().filter(l -> l.contains(dir.toString())).toList();
        assertEquals(1, warnings.size(), "one warning: " + run.out());
        assertTrue(warnings.getFirst().contains(why), warnings.toString());
    }

    @Test
    void aUserChosenArchiveDisablesTheCache() {
        assertNull(AotCache.cacheFile(List.of("java"), List.of("-Xshare:off"), AotCache.Kind.CDS));
        assertNull(AotCache.cacheFile(List.of("java"), List.of("-XX:SharedArchiveFile=x.jsa"),
                AotCache.Kind.AOT));
    }
}
