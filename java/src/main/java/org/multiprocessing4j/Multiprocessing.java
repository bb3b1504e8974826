package org.multiprocessing4j;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.multiprocessing4j.internal.launch.ChildCommand;
import org.multiprocessing4j.internal.launch.ForkserverLauncher;

/**
 * A context: how children are started and how messages are encoded (Python's
 * {@code get_context()} / {@code set_start_method()}). Immutable and thread-safe; the
 * {@code with…} methods return modified copies.
 *
 * <h2>Start methods</h2>
 * <ul>
 * <li>{@code "spawn"} (the default): a fresh JVM with the same {@code java}, class path and module
 *     path, started with {@code posix_spawn}; it receives exactly the descriptors it needs. When
 *     the class path holds only jars, children start from an ahead-of-time class-data archive of
 *     their bootstrap (the "AOT cache": a CDS archive) that is created in the background on
 *     first use (see {@link #warmUp}); {@code -Dmp4j.aotCache=false} turns it off,
 *     {@code -Dmp4j.aotCacheDir=…} moves it (default {@code ~/.cache/multiprocessing4j}; a
 *     directory another user owns, or that group or others may write, is not used).</li>
 * <li>{@code "forkserver"}: Java's equivalent of Python's forkserver — a small pool of idle JVMs,
 *     started ahead of time with this context's options, that have already loaded the library
 *     (and the {@linkplain #withPreload preload classes}) and made their first native calls.
 *     {@link ChildProcess#start()} hands the task to one in a single message, the child runs it
 *     a millisecond or two after {@code start()} was called, and the pool refills in the
 *     background at once. When no idle JVM is warm yet, {@code start()} does not wait for one:
 *     it spawns the child exactly as {@code spawn} would, so a start never takes longer than
 *     spawning. The number of idle JVMs follows the rate of starts: as many as were started
 *     during the time an idle JVM takes to become warm, at least {@link #idleChildren()} and at
 *     most {@link #maxIdleChildren()} (starting ones included). Idle JVMs started
 *     after a hand-off also link the classes and lambdas recent tasks came from (without
 *     initializing those classes), so a task like a recent one starts fastest. The
 *     child is a direct child of this JVM: name, pid, exit codes, daemons, signals, sentinels and
 *     the death of orphans are exactly those of {@code spawn}. Idle JVMs cost memory (about what
 *     an idle child costs), die with this JVM, and are killed by a shutdown hook when it exits.</li>
 * <li>{@code "fork"}: refused — a JVM cannot fork (the child keeps only the calling thread and
 *     stops at its first safepoint); use {@code "forkserver"} for fast starts.</li>
 * </ul>
 *
 * <h2>Child JVM options</h2>
 * Children run with {@code -XX:+UseSerialGC -XX:-UsePerfData -XX:UserThreadWaitAttemptsAtExit=0}
 * (the last: a child whose threads are blocked reading a connection exits at once, instead of
 * HotSpot waiting 300 ms for them) and the native-access flag, then
 * the options of {@link #withJvmOptions}, then those of the system property
 * {@code mp4j.childJvmOptions} (space separated), so later ones win. A forkserver child always
 * has the options of the context that starts it: idle JVMs are pooled per configuration.
 */
public final class Multiprocessing {
    /** The start methods that exist, in Python's spelling. */
    public static final List<String> START_METHODS = List.of("spawn", "forkserver", "fork");

    private static final Multiprocessing SPAWN = new Multiprocessing("spawn", List.of(),
            Codec.defaults(), List.of(), 1, 0);
    private static final Multiprocessing FORKSERVER = new Multiprocessing("forkserver", List.of(),
            Codec.defaults(), List.of(), 1, 0);
    private static final AtomicReference<Multiprocessing> DEFAULT = new AtomicReference<>();

    private final String startMethod;
    private final List<String> jvmOptions;
    private final Codec codec;
    private final List<String> preload;
    private final int idleChildren;
    /** {@link #withMaxIdleChildren}, or 0 for the default ({@link #maxIdleChildren()}). */
    private final int maxIdleChildren;

    private Multiprocessing(String startMethod, List<String> jvmOptions, Codec codec,
                            List<String> preload, int idleChildren, int maxIdleChildren) {
        this.startMethod = startMethod;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.codec = codec;
        this.preload = List.copyOf(preload);
        this.idleChildren = idleChildren;
        this.maxIdleChildren = maxIdleChildren;
    }

    /** {@return the default context: the one set by {@link #setStartMethod}, else spawn} */
    public static Multiprocessing context() {
        Multiprocessing d = DEFAULT.get();
        return d != null ? d : SPAWN;
    }

    /**
     * {@return a context for {@code startMethod}} Does not start anything: a forkserver context
     * starts its idle JVMs on first use (or {@link #warmUp}).
     *
     * @param startMethod {@code "spawn"} or {@code "forkserver"} ({@code "fork"} is refused)
     * @throws IllegalArgumentException if the name is unknown
     * @throws UnsupportedOperationException for {@code "fork"}, with the reason and the
     *     alternatives
     */
    public static Multiprocessing context(String startMethod) {
        Objects.requireNonNull(startMethod, "startMethod");
        return switch (startMethod) {
            case "spawn" -> SPAWN;
            case "forkserver" -> FORKSERVER;
            case "fork" -> throw new UnsupportedOperationException(
                    "start method 'fork' is not possible for a JVM: a forked JVM keeps only the"
                    + " calling thread and hangs at its first safepoint or GC; use 'spawn', or"
                    + " 'forkserver' for fast starts");
            default -> throw new IllegalArgumentException(
                    "unknown start method '" + startMethod + "'; known: " + START_METHODS);
        };
    }

    /**
     * Sets the default start method, once per process (Python's {@code set_start_method}).
     * Thread-safe: of concurrent callers exactly one succeeds.
     *
     * @param startMethod as for {@link #context(String)}
     * @throws IllegalStateException if it was already set
     * @throws IllegalArgumentException or UnsupportedOperationException as {@link #context(String)}
     */
    public static void setStartMethod(String startMethod) {
        setStartMethod(startMethod, false);
    }

    /**
     * Sets the default start method (Python's {@code set_start_method(method, force)}).
     *
     * @param startMethod as for {@link #context(String)}, or {@code null} with {@code force} to
     *     return to the initial default ({@code spawn})
     * @param force replace a start method set earlier instead of failing
     * @throws IllegalStateException if it was already set and {@code force} is false
     * @throws IllegalArgumentException or UnsupportedOperationException as {@link #context(String)}
     */
    public static void setStartMethod(String startMethod, boolean force) {
        if (startMethod == null && force) {
            DEFAULT.set(null);
            return;
        }
        Multiprocessing c = context(startMethod);
        if (force) {
            DEFAULT.set(c);
        } else if (!DEFAULT.compareAndSet(null, c)) {
            throw new IllegalStateException("the start method has already been set to '"
                    + DEFAULT.get().startMethod + "'; use setStartMethod(method, true) to replace it");
        }
    }

    /** {@return this context's start method} */
    public String startMethod() {
        return startMethod;
    }

    /** {@return the extra JVM options of children started from this context} */
    public List<String> jvmOptions() {
        return jvmOptions;
    }

    /** {@return the classes idle forkserver JVMs load ahead of time ({@link #withPreload})} */
    public List<String> preload() {
        return preload;
    }

    /** {@return how many idle JVMs the forkserver keeps ready for this context, at least} */
    public int idleChildren() {
        return idleChildren;
    }

    /**
     * {@return the most idle JVMs (warm or starting) the forkserver keeps for this context when
     * starts come faster than an idle JVM becomes warm} The value of {@link #withMaxIdleChildren},
     * by default the number of processors, at most 4; never less than {@link #idleChildren()}.
     * Each idle JVM holds its memory (tens of MiB) while it waits.
     */
    public int maxIdleChildren() {
        int max = maxIdleChildren > 0 ? maxIdleChildren
                : Math.min(4, Runtime.getRuntime().availableProcessors());
        return Math.max(idleChildren, max);
    }

    /** {@return the codec of pipes opened from this context} */
    public Codec codec() {
        return codec;
    }

    /**
     * {@return a copy whose children also get {@code options} (for example {@code "-Xmx64m"})}
     *
     * @param options JVM options, added after the current ones
     */
    public Multiprocessing withJvmOptions(String... options) {
        List<String> all = new ArrayList<>(jvmOptions);
        for (String o : options) {
            all.add(Objects.requireNonNull(o, "option"));
        }
        return new Multiprocessing(startMethod, all, codec, preload, idleChildren, maxIdleChildren);
    }

    /**
     * {@return a copy whose pipes use {@code codec}}
     *
     * @param codec the codec
     */
    public Multiprocessing withCodec(Codec codec) {
        return new Multiprocessing(startMethod, jvmOptions, Objects.requireNonNull(codec, "codec"),
                preload, idleChildren, maxIdleChildren);
    }

    /**
     * {@return a copy whose idle forkserver JVMs load and initialize {@code classNames} before
     * they wait for a task} (Python's {@code set_forkserver_preload}). A class that cannot be
     * loaded is skipped, as Python skips a module that fails to import. Without effect on
     * {@code spawn} children.
     *
     * @param classNames binary class names, for example {@code "com.example.Worker"}
     */
    public Multiprocessing withPreload(String... classNames) {
        List<String> all = new ArrayList<>();
        for (String c : classNames) {
            all.add(Objects.requireNonNull(c, "class name"));
        }
        return new Multiprocessing(startMethod, jvmOptions, codec, all, idleChildren,
                maxIdleChildren);
    }

    /**
     * {@return a copy whose forkserver keeps {@code count} idle JVMs ready} (default 1). Raise
     * it when several children are started in a burst; each idle JVM holds its memory while
     * it waits.
     *
     * @param count at least 1
     * @throws IllegalArgumentException if {@code count < 1}
     */
    public Multiprocessing withIdleChildren(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("idle children must be at least 1, got " + count);
        }
        return new Multiprocessing(startMethod, jvmOptions, codec, preload, count, maxIdleChildren);
    }

    /**
     * {@return a copy whose forkserver keeps at most {@code count} idle JVMs, warm or starting,
     * however fast children are started} (the memory budget of the idle set; see
     * {@link #maxIdleChildren()} for the default). A start that finds none warm spawns its child
     * as {@code spawn} does, so a small budget costs start time, never correctness. A value
     * below {@link #idleChildren()} counts as that.
     *
     * @param count at least 1
     * @throws IllegalArgumentException if {@code count < 1}
     */
    public Multiprocessing withMaxIdleChildren(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("max idle children must be at least 1, got " + count);
        }
        return new Multiprocessing(startMethod, jvmOptions, codec, preload, idleChildren, count);
    }

    /**
     * Pays the start-up cost now rather than in the first {@link ChildProcess#start()}: for
     * {@code forkserver}, starts this context's idle JVMs and waits until they are warm (and
     * builds, as for {@code spawn}, the AOT cache of the children a start spawns when it finds
     * no idle JVM warm); for
     * {@code spawn}, builds the AOT cache of this context's children if it can be used and does
     * not exist yet. Blocks at most {@code timeout}; the work goes on in the background if it
     * takes longer. Safe to call from several threads and repeatedly.
     *
     * @param timeout how long to wait
     * @return {@code true} if everything is ready: {@link #idleChildren()} warm idle JVMs, or an
     *     AOT cache; {@code false} on timeout, or for {@code spawn} when no AOT cache can be used
     *     (class directories on the class path, {@code -Dmp4j.aotCache=false}) or its build failed
     * @throws InterruptedException if interrupted while waiting (nothing is stopped)
     */
    public boolean warmUp(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        if (startMethod.equals("forkserver")) {
            return ForkserverLauncher.INSTANCE.warmUp(jvmOptions, preload, idleChildren,
                    maxIdleChildren(), timeout);
        }
        return ChildCommand.ensureAotCache(jvmOptions, timeout);
    }

    /**
     * {@return a new, unstarted child process that runs {@code task} in this context}
     *
     * @param task what the child runs
     */
    public ChildProcess process(Task task) {
        return new ChildProcess(this, task);
    }

    /**
     * {@return a new pipe whose ends use this context's codec}
     *
     * @param duplex two-way ({@code true}) or one-way
     * @throws IOException if the OS refuses
     */
    public Pipe pipe(boolean duplex) throws IOException {
        return Pipe.open(duplex, codec);
    }
}
