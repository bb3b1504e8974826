package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering rules of ARCHITECTURE.md, checked on the sources (run from the {@code java}
 * module directory, as Maven does).
 *
 * <p><b>The OS is named only in its backend.</b> Outside {@code platform/<os>} (one of
 * {@link #BACKENDS}), no file of the main source tree may contain what belongs to one OS:
 * {@code /dev/shm}, {@code /proc}, {@code /bin/sh}, the {@code PosixFile*} file attributes,
 * {@code sun.misc.Signal}, a signal name ({@code SIGKILL}, …) or a signal number used as one
 * (see {@link Rule#SIGNAL_NUMBER} for the forms recognised: a bare {@code 9} cannot be told from
 * any other 9), or an errno name ({@code EINTR}, {@code EAGAIN}, …). The seam itself,
 * {@code platform/Platform.java}, is outside every backend and is checked too.
 *
 * <p>Comments and Javadoc count like code. A comment that says "{@code /dev/shm}" outside the
 * Linux backend states a Linux behaviour as the library's; on another backend it is wrong, and
 * a reader porting the library learns it only by running into it. Policy code and its docs
 * speak the seam's words (handle, wait channel, liveness, named memory), and the backend's
 * package docs say what those are on its OS. So there is no exemption for comments.
 *
 * <p><b>One section for users.</b> A user still has to learn what {@code terminate()} does on
 * their OS (Python's documentation: "On POSIX this is done using the SIGTERM signal"), and a
 * backend's docs are not exported. So the public package's {@code package-info.java} holds one
 * section, "Operating system mapping" ({@link #OS_MAPPING}), that names signals, errno names and
 * where named memory lives; every other public Javadoc links there and speaks the seam's words
 * (a terminate request, a kill, the process's exit code). That section alone, and only for the
 * rules in {@link #OS_MAPPING_RULES}, is exempt; the rest of that file is checked like any
 * other, and the section must exist.
 *
 * <p><b>Known debts.</b> {@link #KNOWN_DEBTS} listed the violations found when this test was
 * written, one entry per file and rule; the test failed on a violation not listed and on a
 * listed entry that no longer matched anything, so the list could only shrink. It is empty now,
 * and stays so: name the OS in its backend, or, for what a user must be told, in the
 * {@link #OS_MAPPING} section.
 *
 * <p><b>Bindings stay in their backend.</b> Generated bindings
 * ({@code org.multiprocessing4j.platform.<os>.bindings}) are named only in their own backend's
 * package, in the main and the test tree alike; the one exception is that the Linux backend may
 * use the POSIX bindings (Linux is a POSIX system; the posix backend may not use Linux's).
 */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java");
    private static final Path TEST = Path.of("src/test/java");
    private static final String ROOT = "org/multiprocessing4j/";

    /**
     * The backend packages, {@code org.multiprocessing4j.platform.<name>}: the only places that
     * may name their OS. Add a new backend's name here when you add the backend.
     */
    static final Set<String> BACKENDS = Set.of("linux", "posix", "windows");

    /**
     * The public documentation's one section that names the OS: the part of the public
     * package's {@code package-info.java} from the heading with this {@code id} up to the next
     * heading or the end of the comment. Public Javadoc links to it as
     * {@code org.multiprocessing4j##os-mapping}.
     */
    static final String OS_MAPPING = "os-mapping";

    /** The file holding {@link #OS_MAPPING}, relative to the main tree's {@code org/multiprocessing4j}. */
    static final String OS_MAPPING_FILE = "package-info.java";

    /**
     * What {@link #OS_MAPPING} may name: the signals behind a terminate request, a kill and an
     * interrupt and the exit codes they give, the robust-mutex errors behind a lock's owner
     * death, and where named memory lives. Everything else (the proc file system, a shell,
     * POSIX file attributes, the JDK's signal API) stays forbidden there too.
     */
    static final Set<Rule> OS_MAPPING_RULES =
            Set.of(Rule.DEV_SHM, Rule.SIGNAL_NAME, Rule.SIGNAL_NUMBER, Rule.ERRNO_NAME);

    /** What a backend may use besides its own bindings. */
    static final Map<String, Set<String>> OTHER_BINDINGS_ALLOWED = Map.of("linux", Set.of("posix"));

    private static final String SIGNALS = "HUP|INT|QUIT|ILL|TRAP|ABRT|IOT|BUS|FPE|KILL|USR1|SEGV|USR2"
            + "|PIPE|ALRM|TERM|STKFLT|CHLD|CONT|STOP|TSTP|TTIN|TTOU|URG|XCPU|XFSZ|VTALRM|PROF"
            + "|WINCH|IO|POLL|PWR|SYS|RTMIN|RTMAX|EMT|INFO";

    /** Linux's errno names (asm-generic), which include POSIX's, plus {@code ENOTSUP}. */
    private static final String ERRNOS = "E2BIG|EACCES|EADDRINUSE|EADDRNOTAVAIL|EADV|EAFNOSUPPORT"
            + "|EAGAIN|EALREADY|EBADE|EBADF|EBADFD|EBADMSG|EBADR|EBADRQC|EBADSLT|EBFONT|EBUSY"
            + "|ECANCELED|ECHILD|ECHRNG|ECOMM|ECONNABORTED|ECONNREFUSED|ECONNRESET|EDEADLK"
            + "|EDEADLOCK|EDESTADDRREQ|EDOM|EDOTDOT|EDQUOT|EEXIST|EFAULT|EFBIG|EHOSTDOWN"
            + "|EHOSTUNREACH|EHWPOISON|EIDRM|EILSEQ|EINPROGRESS|EINTR|EINVAL|EIO|EISCONN|EISDIR"
            + "|EISNAM|EKEYEXPIRED|EKEYREJECTED|EKEYREVOKED|EL2HLT|EL2NSYNC|EL3HLT|EL3RST|ELIBACC"
            + "|ELIBBAD|ELIBEXEC|ELIBMAX|ELIBSCN|ELNRNG|ELOOP|EMEDIUMTYPE|EMFILE|EMLINK|EMSGSIZE"
            + "|EMULTIHOP|ENAMETOOLONG|ENAVAIL|ENETDOWN|ENETRESET|ENETUNREACH|ENFILE|ENOANO"
            + "|ENOBUFS|ENOCSI|ENODATA|ENODEV|ENOENT|ENOEXEC|ENOKEY|ENOLCK|ENOLINK|ENOMEDIUM"
            + "|ENOMEM|ENOMSG|ENONET|ENOPKG|ENOPROTOOPT|ENOSPC|ENOSR|ENOSTR|ENOSYS|ENOTBLK"
            + "|ENOTCONN|ENOTDIR|ENOTEMPTY|ENOTNAM|ENOTRECOVERABLE|ENOTSOCK|ENOTSUP|ENOTTY"
            + "|ENOTUNIQ|ENXIO|EOPNOTSUPP|EOVERFLOW|EOWNERDEAD|EPERM|EPFNOSUPPORT|EPIPE|EPROTO"
            + "|EPROTONOSUPPORT|EPROTOTYPE|ERANGE|EREMCHG|EREMOTE|EREMOTEIO|ERESTART|ERFKILL|EROFS"
            + "|ESHUTDOWN|ESOCKTNOSUPPORT|ESPIPE|ESRCH|ESRMNT|ESTALE|ESTRPIPE|ETIME|ETIMEDOUT"
            + "|ETOOMANYREFS|ETXTBSY|EUCLEAN|EUNATCH|EUSERS|EWOULDBLOCK|EXDEV|EXFULL";

    /** What only a backend may say. */
    enum Rule {
        /** Linux's shared-memory file system. */
        DEV_SHM("/dev/shm\\b"),
        /** The proc file system ({@code /proc/self/fd}, {@code /proc/<pid>/stat}, …). */
        PROC_FS("/proc\\b"),
        /** A POSIX shell. */
        BIN_SH("/bin/sh\\b"),
        /** {@code PosixFilePermission(s)}, {@code PosixFileAttributes}, {@code PosixFileAttributeView}. */
        POSIX_FILE_ATTRIBUTES("\\bPosixFile\\w*"),
        /** The JDK's POSIX signal handlers. */
        SUN_MISC_SIGNAL("sun\\.misc\\.Signal\\w*"),
        /** A POSIX signal name. */
        SIGNAL_NAME("\\bSIG(?:" + SIGNALS + ")\\b"),
        /**
         * A signal number used as one, in the forms that can be told from other numbers: the
         * shell's exit status {@code 128 + N}; an exit code {@code {@code -N}} for N in 2..31
         * (Python's "killed by signal N"); a pair like {@code -15/-2}; a signal-sending call
         * with a literal ({@code signal(pid, 9)}, {@code kill(pid, 15)}, {@code raise(2)}); a
         * constant named after a signal given its number ({@code TERM = 15}).
         */
        SIGNAL_NUMBER("\\b128\\s*\\+"
                + "|\\{@code -(?:[2-9]|[12][0-9]|3[01])\\}"
                + "|(?<![\\w.])-(?:[2-9]|[12][0-9]|3[01])/-(?:[2-9]|[12][0-9]|3[01])\\b"
                + "|\\b(?:signal|kill|raise)\\s*\\((?:[^;()]*,)?\\s*(?:[1-9]|[12][0-9]|3[01])\\s*\\)"
                + "|\\b(?:SIG)?(?:KILL|TERM|HUP|QUIT|ABRT|SEGV|USR1|USR2|ALRM|CHLD)\\s*=\\s*\\d+"),
        /** An errno name. */
        ERRNO_NAME("\\b(?:" + ERRNOS + ")\\b");

        final Pattern pattern;

        Rule(String regex) {
            this.pattern = Pattern.compile(regex);
        }
    }

    /** A file (relative to {@code src/main/java/org/multiprocessing4j/}) and a rule it breaks. */
    record Debt(String file, Rule rule) implements Comparable<Debt> {
        @Override
        public int compareTo(Debt o) {
            int c = file.compareTo(o.file);
            return c != 0 ? c : rule.compareTo(o.rule);
        }

        @Override
        public String toString() {
            return "debt(\"" + file + "\", " + rule + ")";
        }
    }

    private static Debt debt(String file, Rule rule) {
        return new Debt(file, rule);
    }

    /**
     * Violations tolerated as debts: none. Never add one: name the OS in its backend instead.
     */
    static final Set<Debt> KNOWN_DEBTS = Set.of();

    @Test
    void osNamesAppearOnlyInTheirBackend() throws IOException {
        assertTrue(Files.isDirectory(MAIN), "run from the java module directory");
        Map<Debt, List<String>> found = new TreeMap<>();
        for (Path file : files(MAIN)) {
            String key = debtKey(MAIN.relativize(file));
            if (backendOf(MAIN.relativize(file)) != null) {
                continue;
            }
            String text = read(file);
            String outsideMapping = key.equals(OS_MAPPING_FILE) ? withoutOsMapping(text) : text;
            for (Rule rule : Rule.values()) {
                String checked = OS_MAPPING_RULES.contains(rule) ? outsideMapping : text;
                List<String> hits = hits(rule, checked);
                if (!hits.isEmpty()) {
                    found.put(debt(key, rule), hits);
                }
            }
        }
        List<String> problems = new ArrayList<>();
        found.forEach((d, hits) -> {
            if (!KNOWN_DEBTS.contains(d)) {
                problems.add("new: " + d + " at " + hits);
            }
        });
        for (Debt d : new TreeSet<>(KNOWN_DEBTS)) {
            if (!found.containsKey(d)) {
                problems.add("paid (delete it from KNOWN_DEBTS): " + d);
            }
        }
        assertEquals(List.of(), problems,
                "outside platform/<os>, the OS must not be named; see ArchitectureTest's comment");
    }

    @Test
    void theOsMappingSectionExists() {
        String text = read(MAIN.resolve(ROOT + OS_MAPPING_FILE));
        assertTrue(text.contains("<h2 id=\"" + OS_MAPPING + "\">Operating system mapping</h2>"),
                "the public package's OS mapping section, which public Javadoc links to");
        assertFalse(withoutOsMapping(text).equals(text), "the section has a body");
    }

    /**
     * Javadoc's doclint does not check the anchor of a {@code package##id} link (a misspelt one
     * builds without a warning and links nowhere), so this does: every anchor the main tree links
     * to in the public package's docs is a heading {@code id} there.
     */
    @Test
    void linksToThePublicPackageDocsNameAnIdThatExists() throws IOException {
        String info = read(MAIN.resolve(ROOT + OS_MAPPING_FILE));
        Pattern link = Pattern.compile("org\\.multiprocessing4j##([\\w-]+)");
        List<String> broken = new ArrayList<>();
        int links = 0;
        for (Path file : files(MAIN)) {
            Matcher m = link.matcher(read(file));
            while (m.find()) {
                links++;
                if (!info.contains("id=\"" + m.group(1) + "\"")) {
                    broken.add(MAIN.relativize(file) + ": " + m.group());
                }
            }
        }
        assertEquals(List.of(), broken);
        assertTrue(links > 0, "public Javadoc links to the OS mapping section");
    }

    @Test
    void theOsMappingExemptsOnlyItsOwnSection() {
        String text = String.join("\n",
                "/**",
                " * Sends SIGTERM.",
                " *",
                " * <h2 id=\"" + OS_MAPPING + "\">Operating system mapping</h2>",
                " * a terminate request is SIGTERM, exit code {@code -15}; /dev/shm; EOWNERDEAD",
                " *",
                " * <h2>Next</h2>",
                " * retries EINTR",
                " */",
                "package p;",
                "// /dev/shm");
        String rest = withoutOsMapping(text);
        assertEquals(List.of("line 2: * Sends SIGTERM."), hits(Rule.SIGNAL_NAME, rest));
        assertEquals(List.of(), hits(Rule.SIGNAL_NUMBER, rest));
        assertEquals(List.of("line 8: * retries EINTR"), hits(Rule.ERRNO_NAME, rest));
        assertEquals(List.of("line 11: // /dev/shm"), hits(Rule.DEV_SHM, rest));
        assertEquals(text.lines().count(), rest.lines().count(), "line numbers are kept");
    }

    /**
     * {@return {@code text} with the lines of the {@link #OS_MAPPING} section blanked: from its
     * heading to the line before the next heading or the end of the doc comment} Line numbers
     * stay as they were.
     */
    static String withoutOsMapping(String text) {
        String[] lines = text.split("\n", -1);
        boolean inside = false;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.contains("<h2 id=\"" + OS_MAPPING + "\">")) {
                inside = true;
            } else if (inside && (line.contains("<h2") || line.contains("*/"))) {
                inside = false;
            }
            if (inside) {
                lines[i] = "";
            }
        }
        return String.join("\n", lines);
    }

    @Test
    void theRulesRecogniseWhatTheyForbidAndNothingElse() {
        Map<Rule, List<String>> forbidden = Map.of(
                Rule.DEV_SHM, List.of("Path.of(\"/dev/shm\")", "// lives in /dev/shm/mp4j-1"),
                Rule.PROC_FS, List.of("\"/proc/self/fd\"", "read /proc/<pid>/stat", "\"/proc\""),
                Rule.BIN_SH, List.of("List.of(\"/bin/sh\", \"-c\")"),
                Rule.POSIX_FILE_ATTRIBUTES, List.of("PosixFilePermissions.fromString(\"rwx------\")",
                        "Set<PosixFilePermission> p", "PosixFileAttributeView.class"),
                Rule.SUN_MISC_SIGNAL, List.of("import sun.misc.Signal;", "sun.misc.SignalHandler h"),
                Rule.SIGNAL_NAME, List.of("Platform.SIGKILL", "sends SIGTERM.", "(SIGUSR1)"),
                Rule.SIGNAL_NUMBER, List.of("System.exit(128 + number)", "exit code {@code -9}",
                        "as -15/-2", "os.signal(pid, 9)", "kill(pid, 15)", "raise(2)",
                        "static final int TERM = 15;", "int KILL=9"),
                Rule.ERRNO_NAME, List.of("retries EINTR", "case EAGAIN ->", "(for example EMFILE)"));
        Map<Rule, List<String>> allowed = Map.of(
                Rule.DEV_SHM, List.of("/dev/shmem-like"),
                Rule.PROC_FS, List.of("org/multiprocessing4j/process", "/processes"),
                Rule.BIN_SH, List.of("/bin/shell"),
                Rule.POSIX_FILE_ATTRIBUTES, List.of("BasicFileAttributes", "PosixLike"),
                Rule.SUN_MISC_SIGNAL, List.of("sun.misc.Unsafe", "Signaled"),
                Rule.SIGNAL_NAME, List.of("SIGNAL_BYTES", "SIGNALS", "signal(pid, sig)", "SIGNATURE"),
                Rule.SIGNAL_NUMBER, List.of("exit code {@code -1}", "x - 2/y", "count = -2;",
                        "signal(pid, sig)", "exitCode() == 1", "levels 2-9/3-15 at most",
                        "static final byte INT = 0x03;", "TERMS = 2", "int TERM_TIMEOUT = 5"),
                Rule.ERRNO_NAME, List.of("EOFException", "EOF", "ERROR", "EINTRS", "ENTRY"));
        for (Rule rule : Rule.values()) {
            for (String s : forbidden.get(rule)) {
                assertFalse(hits(rule, s).isEmpty(), rule + " must find " + s);
            }
            for (String s : allowed.get(rule)) {
                assertEquals(List.of(), hits(rule, s), rule + " must not find " + s);
            }
        }
    }

    @Test
    void bindingsAreNamedOnlyInTheirBackend() throws IOException {
        Pattern bindings = Pattern.compile("org\\.multiprocessing4j\\.platform\\.(\\w+)\\.bindings\\b");
        List<String> offenders = new ArrayList<>();
        for (Path tree : List.of(MAIN, TEST)) {
            for (Path file : files(tree)) {
                String backend = backendOf(tree.relativize(file));
                Matcher m = bindings.matcher(read(file));
                while (m.find()) {
                    String owner = m.group(1);
                    boolean ok = owner.equals(backend)
                            || OTHER_BINDINGS_ALLOWED.getOrDefault(backend, Set.of()).contains(owner);
                    if (!ok) {
                        offenders.add(file + ": " + m.group());
                    }
                }
            }
        }
        assertEquals(List.of(), offenders);
    }

    /**
     * A backend package ({@code org.multiprocessing4j.platform.<os>}, bindings or not) is named
     * only in that backend, by a backend allowed to build on it ({@link #OTHER_BINDINGS_ALLOWED}),
     * and by the seam's selection ({@link #SELECTION}): so a backend's classes (the Windows
     * ones initialize only on Windows) are loaded only when the selection chooses them.
     */
    @Test
    void backendsAreNamedOnlyByThemselvesAndTheSelection() throws IOException {
        Pattern backend = Pattern.compile("org\\.multiprocessing4j\\.platform\\.("
                + String.join("|", BACKENDS) + ")\\b");
        List<String> offenders = new ArrayList<>();
        for (Path tree : List.of(MAIN, TEST)) {
            for (Path file : files(tree)) {
                Path relative = tree.relativize(file);
                if (tree == MAIN && SELECTION.contains(relative.toString().replace('\\', '/'))) {
                    continue;
                }
                String own = backendOf(relative);
                Matcher m = backend.matcher(read(file));
                while (m.find()) {
                    String named = m.group(1);
                    boolean allowed = own != null && OTHER_BINDINGS_ALLOWED.getOrDefault(own, Set.of()).contains(named);
                    if (!named.equals(own) && !allowed) {
                        offenders.add(file + ": " + m.group());
                    }
                }
            }
        }
        assertEquals(List.of(), offenders);
    }

    /** The files of the main tree that choose a backend, and so name every backend package. */
    static final Set<String> SELECTION = Set.of(ROOT + "platform/Platform.java", ROOT + "platform/package-info.java");

    @Test
    void thePublicApiNeverTouchesABackend() throws IOException {
        Pattern backend = Pattern.compile("org\\.multiprocessing4j\\.platform\\.(?:"
                + String.join("|", BACKENDS) + ")\\b");
        List<String> offenders;
        try (Stream<Path> files = Files.list(MAIN.resolve("org/multiprocessing4j"))) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> backend.matcher(read(p)).find())
                    .map(Path::toString).toList();
        }
        assertEquals(List.of(), offenders);
    }

    @Test
    void theModuleExportsOnlyThePublicApi() {
        Module m = Connection.class.getModule();
        if (m.isNamed()) {
            assertEquals(java.util.Set.of("org.multiprocessing4j"),
                    m.getDescriptor().exports().stream().map(e -> e.source())
                            .collect(java.util.stream.Collectors.toSet()));
        } else {
            String info = read(MAIN.resolve("module-info.java"));
            assertEquals(1, info.lines().filter(l -> l.strip().startsWith("exports")).count(), info);
            assertTrue(info.contains("exports org.multiprocessing4j;"), info);
        }
    }

    /** {@return "line N: text" for each line of {@code text} where {@code rule} finds something} */
    static List<String> hits(Rule rule, String text) {
        List<String> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (rule.pattern.matcher(lines[i]).find()) {
                out.add("line " + (i + 1) + ": " + lines[i].strip());
            }
        }
        return out;
    }

    /** {@return the backend whose package holds {@code relative} (a path in a source tree), or null} */
    static String backendOf(Path relative) {
        String p = relative.toString().replace('\\', '/');
        String prefix = ROOT + "platform/";
        if (!p.startsWith(prefix)) {
            return null;
        }
        String rest = p.substring(prefix.length());
        int slash = rest.indexOf('/');
        return slash > 0 && BACKENDS.contains(rest.substring(0, slash)) ? rest.substring(0, slash) : null;
    }

    private static String debtKey(Path relative) {
        String p = relative.toString().replace('\\', '/');
        return p.startsWith(ROOT) ? p.substring(ROOT.length()) : "../../" + p;
    }

    private static List<Path> files(Path tree) throws IOException {
        try (Stream<Path> files = Files.walk(tree)) {
            return files.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void thePublicPackageHoldsOnlyPublicTypes() throws Exception {
        Path classes = Path.of(Connection.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI()).resolve("org/multiprocessing4j");
        List<String> hidden;
        try (Stream<Path> files = Files.list(classes)) {
            hidden = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".class") && !n.contains("$"))
                    .filter(n -> !n.equals("package-info.class"))
                    .map(n -> "org.multiprocessing4j." + n.substring(0, n.length() - 6))
                    .filter(n -> !java.lang.reflect.Modifier.isPublic(load(n).getModifiers()))
                    .sorted().toList();
        }
        assertTrue(Files.isRegularFile(classes.resolve("Connection.class")), classes.toString());
        assertEquals(List.of(), hidden, "implementation classes belong in the internal packages");
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, ArchitectureTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
