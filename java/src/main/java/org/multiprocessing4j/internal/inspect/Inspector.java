package org.multiprocessing4j.internal.inspect;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.multiprocessing4j.internal.inspect.InspectorArguments.Command;
import org.multiprocessing4j.internal.inspect.InspectorArguments.UsageException;
import org.multiprocessing4j.platform.Platform;

/**
 * The inspector's main class ({@code scripts/mp4j}): {@code ls}, {@code show NAME},
 * {@code clean [--dry-run] [--unmapped]}, each with {@code --json} (usage:
 * {@link InspectorArguments}).
 *
 * <ul>
 *   <li>{@code ls} lists this user's named blocks ({@code Platform.listNamedMemory}) with kind,
 *       size, creator pid, whether the creator is alive, whether some process maps or holds the
 *       block, and the kind's live state on one line ({@link RegionInspector}).
 *   <li>{@code show NAME} prints one block in full: a queue's participants, a lock's owner token.
 *   <li>{@code clean} removes every block whose header names a creator that is dead (no liveness
 *       mark of it on the block, and the backend's process table says it is not running) and
 *       that no process maps or holds; {@code --unmapped} also removes blocks that record no
 *       creator (plain {@code SharedMemory}, {@code ShareableList}, a corrupt or foreign block)
 *       that no process maps or holds. A queue's spill blocks are never removed here: a
 *       spilled record waits in one while nobody maps it (the backend's reaper sweeps them).
 *       Just before removing, the name is opened again and removed only if it still names the
 *       same file (a race with a process that maps it in between remains: it keeps its mapping,
 *       the name is gone). It prints what it removed (with {@code --dry-run}: would remove).
 * </ul>
 *
 * <p>Liveness and "in use" are as good as the backend's answers: processes of another PID
 * namespace or another user are not seen by the process table or the in-use scan (a liveness
 * mark, which the kinds whose owners matter hold — locks, barriers, queue participants — is seen
 * across namespaces). A backend that cannot enumerate named memory (posix) makes {@code ls} and
 * {@code clean} say so and exit with status 3; {@code show NAME} works on every backend.
 *
 * <p>Exit status: 0 done, 1 failed (for example {@code show} of a name that does not exist),
 * 2 bad usage, 3 this backend cannot list named memory.
 */
public final class Inspector {
    /** Exit status: done. */
    public static final int OK = 0;
    /** Exit status: failed. */
    public static final int FAILED = 1;
    /** Exit status: bad usage. */
    public static final int USAGE = 2;
    /** Exit status: this backend cannot list named memory. */
    public static final int CANNOT_LIST = 3;

    private Inspector() {
    }

    /**
     * Runs the inspector and exits with its status.
     *
     * @param args the command line (see {@link InspectorArguments})
     */
    public static void main(String[] args) {
        InspectorArguments a;
        try {
            a = InspectorArguments.parse(Arrays.asList(args));
        } catch (UsageException e) {
            System.err.println("mp4j: " + Text.shown(e.getMessage()));
            System.err.print(InspectorArguments.USAGE);
            System.exit(USAGE);
            return;
        }
        if (a.backend() != null) { // before anything chooses the backend
            System.setProperty(Platform.BACKEND_PROPERTY, a.backend());
        }
        System.exit(run(a, System.out, System.err));
    }

    /**
     * Runs a parsed command in this process (on this process's backend; {@code backend} is
     * ignored here).
     *
     * @param out where results go
     * @param err where failures go
     * @return the exit status
     */
    public static int run(InspectorArguments a, PrintStream out, PrintStream err) {
        try {
            return switch (a.command()) {
                case HELP -> {
                    out.print(InspectorArguments.USAGE);
                    yield OK;
                }
                case SHOW -> show(a, out);
                case LS, CLEAN -> listOrClean(a, out, err);
            };
        } catch (NoSuchFileException e) {
            err.println("mp4j: no named shared memory '" + Text.shown(a.name()) + "'");
            return FAILED;
        } catch (UsageException e) {
            err.println("mp4j: " + Text.shown(e.getMessage()));
            return USAGE;
        } catch (IOException | RuntimeException e) {
            err.println("mp4j: " + Text.shown(e.toString()));
            return FAILED;
        }
    }

    private static Platform os() {
        return Platform.current();
    }

    private static int show(InspectorArguments a, PrintStream out) throws IOException {
        if (!os().memoryNames().isValid(a.name())) {
            throw new UsageException("'" + a.name() + "' is not a valid name here: "
                    + os().memoryNames().rule());
        }
        Set<Long> inUse = os().namedMemoryInUse().orElse(null);
        NamedObject o = RegionInspector.inspect(a.name(), inUse);
        if (a.json()) {
            Map<String, Object> m = header();
            m.put("object", o.toMap());
            out.println(Json.write(m));
        } else {
            printFull(o, out);
        }
        return OK;
    }

    private static Map<String, Object> header() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", os().backendId());
        return m;
    }

    private static int listOrClean(InspectorArguments a, PrintStream out, PrintStream err)
            throws IOException {
        // who maps what first, while this process maps nothing of what it will read
        Optional<Set<Long>> inUse = os().namedMemoryInUse();
        Optional<List<String>> names = os().listNamedMemory();
        if (names.isEmpty()) {
            String reason = "the " + os().backendId() + " backend cannot list named shared memory:"
                    + " the OS offers no call that enumerates it; 'show NAME' reads one by name";
            if (a.json()) {
                Map<String, Object> m = header();
                m.put("listed", false);
                m.put("reason", reason);
                out.println(Json.write(m));
            } else {
                out.println(reason);
            }
            return CANNOT_LIST;
        }
        List<NamedObject> objects = new ArrayList<>();
        List<Map<String, Object>> skipped = new ArrayList<>();
        for (String name : names.get()) {
            if (!name.startsWith(a.prefix())) {
                continue;
            }
            try {
                objects.add(RegionInspector.inspect(name, inUse.orElse(null)));
            } catch (NoSuchFileException gone) {
                // removed meanwhile
            } catch (IOException | RuntimeException e) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", name);
                m.put("problem", e.toString());
                skipped.add(m);
            }
        }
        return a.command() == Command.LS ? ls(a, objects, skipped, out)
                : clean(a, objects, inUse.isPresent(), out, err);
    }

    private static int ls(InspectorArguments a, List<NamedObject> objects,
            List<Map<String, Object>> skipped, PrintStream out) {
        if (a.json()) {
            Map<String, Object> m = header();
            m.put("listed", true);
            m.put("objects", objects.stream().map(NamedObject::toMap).toList());
            m.put("unreadable", skipped);
            out.println(Json.write(m));
            return OK;
        }
        out.printf("%-20s %-32s %10s %8s %-5s %-4s %s%n", "KIND", "NAME", "SIZE", "CREATOR",
                "ALIVE", "USED", "STATE");
        // names and states are shown escaped (Text): a name may hold a newline or an escape
        for (NamedObject o : objects) {
            out.printf("%-20s %-32s %10d %8s %-5s %-4s %s%n", o.kind(), Text.shown(o.name()), o.size(),
                    o.creator() == 0 ? "-" : Integer.toString(o.creatorPid()), o.aliveText(),
                    o.inUse() == null ? "?" : o.inUse() ? "yes" : "no", Text.shown(o.summary()));
        }
        for (Map<String, Object> s : skipped) {
            out.println(Text.shown("(cannot open " + s.get("name") + ": " + s.get("problem") + ")"));
        }
        return OK;
    }

    private static int clean(InspectorArguments a, List<NamedObject> objects, boolean inUseKnown,
            PrintStream out, PrintStream err) throws IOException {
        List<Map<String, Object>> removed = new ArrayList<>();
        List<Map<String, Object>> failed = new ArrayList<>();
        if (!inUseKnown) {
            err.println("mp4j: the " + os().backendId() + " backend cannot tell which processes map"
                    + " named shared memory; nothing removed");
            return CANNOT_LIST;
        }
        // who maps what again, now that the inspection is over: a block created or attached to
        // since the first look must not be judged by it
        Optional<Set<Long>> fresh = os().namedMemoryInUse();
        if (fresh.isEmpty()) {
            err.println("mp4j: cannot tell which processes map named shared memory; nothing removed");
            return CANNOT_LIST;
        }
        for (NamedObject o : objects) {
            String why = fresh.get().contains(o.inode()) ? null : orphan(o, a.unmapped());
            if (why == null) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", o.name());
            m.put("kind", o.kind());
            m.put("size", o.size());
            m.put("creatorPid", o.creator() == 0 ? null : o.creatorPid());
            m.put("why", why);
            if (!a.dryRun()) {
                try {
                    if (RegionInspector.inode(o.name()) != o.inode()) {
                        continue; // replaced meanwhile: not the block we judged
                    }
                    os().unlinkNamedMemory("/" + o.name());
                } catch (NoSuchFileException gone) {
                    continue;
                } catch (IOException | RuntimeException e) {
                    m.put("problem", e.toString());
                    failed.add(m);
                    continue;
                }
            }
            removed.add(m);
        }
        if (a.json()) {
            Map<String, Object> m = header();
            m.put("dryRun", a.dryRun());
            m.put("removed", removed);
            m.put("failed", failed);
            out.println(Json.write(m));
        } else {
            String verb = a.dryRun() ? "would remove" : "removed";
            for (Map<String, Object> r : removed) {
                out.println(Text.shown(verb + " " + r.get("kind") + " " + r.get("name") + " (" + r.get("why") + ")"));
            }
            for (Map<String, Object> f : failed) {
                out.println(Text.shown("could not remove " + f.get("kind") + " " + f.get("name") + ": " + f.get("problem")));
            }
            out.println(verb + " " + removed.size() + " of " + objects.size() + " named objects");
        }
        return failed.isEmpty() ? OK : FAILED;
    }

    /** {@return why {@code o} is an orphan that {@code clean} removes, or {@code null} if it is not} */
    static String orphan(NamedObject o, boolean unmapped) {
        if (!Boolean.FALSE.equals(o.inUse()) || o.kind().equals("queue spill")
                || o.name().startsWith("sem.")) { // glibc's named semaphores persist unused by design
            return null;
        }
        if (o.creator() != 0) {
            return Boolean.FALSE.equals(o.creatorAlive())
                    ? "creator " + o.creatorPid() + " is dead and no process maps or holds it" : null;
        }
        return unmapped ? "no creator recorded and no process maps or holds it" : null;
    }

    private static void printFull(NamedObject o, PrintStream out) {
        line(out, "name", o.name());
        line(out, "kind", o.kind());
        line(out, "size", o.size() + " bytes");
        line(out, "backend", o.backend().isEmpty() ? "-" : o.backend());
        line(out, "creator", o.creator() == 0 ? "none recorded"
                : "pid " + o.creatorPid() + " (token " + o.creator() + "), " + o.aliveText());
        line(out, "in use", o.inUse() == null ? "cannot tell on this backend"
                : o.inUse() ? "yes (some process maps or holds it)" : "no");
        if (o.problem() != null) {
            line(out, "problem", o.problem());
        }
        for (Map.Entry<String, Object> e : o.state().entrySet()) {
            if (e.getValue() instanceof List<?> list && !list.isEmpty() && list.getFirst() instanceof Map) {
                line(out, e.getKey(), list.size() + ":");
                for (Object item : list) {
                    out.println("    " + Text.shown(describe(item)));
                }
            } else {
                line(out, e.getKey(), describe(e.getValue()));
            }
        }
    }

    private static String describe(Object v) {
        if (v instanceof Map<?, ?> m && m.containsKey("pid")) {
            Object alive = m.get("alive");
            StringBuilder b = new StringBuilder();
            if (m.containsKey("index")) {
                b.append('#').append(m.get("index")).append(' ');
            }
            b.append("pid ").append(m.get("pid")).append(" (token ").append(m.get("token")).append("), ")
                    .append(alive == null ? "?" : (Boolean) alive ? "alive" : "dead");
            if (m.containsKey("takingOver")) {
                b.append(", being taken over");
            }
            if (m.containsKey("claiming")) {
                b.append(", registering");
            }
            return b.toString();
        }
        return String.valueOf(v);
    }

    private static void line(PrintStream out, String key, String value) {
        out.printf("%-18s %s%n", key, Text.shown(value));
    }
}
