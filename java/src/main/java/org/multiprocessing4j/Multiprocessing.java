package org.multiprocessing4j;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A context: how children are started and how messages are encoded (Python's
 * {@code get_context()} / {@code set_start_method()}). Immutable and thread-safe; the
 * {@code with…} methods return modified copies.
 *
 * <h2>Start methods</h2>
 * <ul>
 * <li>{@code "spawn"} (the default): a fresh JVM with the same {@code java}, class path and module
 *     path, started with {@code posix_spawn}; it receives exactly the descriptors it needs.</li>
 * <li>{@code "fork"}: refused — a JVM cannot fork (the child keeps only the calling thread and
 *     stops at its first safepoint); use {@code "spawn"}.</li>
 * <li>{@code "forkserver"}: pre-started idle JVMs; not available in this version (it throws
 *     {@link UnsupportedOperationException} saying so).</li>
 * </ul>
 *
 * <h2>Child JVM options</h2>
 * Children run with {@code -XX:+UseSerialGC -XX:-UsePerfData} and the native-access flag, then
 * the options of {@link #withJvmOptions}, then those of the system property
 * {@code mp4j.childJvmOptions} (space separated), so later ones win.
 */
public final class Multiprocessing {
    /** The start methods that exist, in Python's spelling. */
    public static final List<String> START_METHODS = List.of("spawn", "forkserver", "fork");

    private static final Multiprocessing SPAWN = new Multiprocessing("spawn", List.of(), Codec.defaults());
    private static final AtomicReference<Multiprocessing> DEFAULT = new AtomicReference<>();

    private final String startMethod;
    private final List<String> jvmOptions;
    private final Codec codec;

    private Multiprocessing(String startMethod, List<String> jvmOptions, Codec codec) {
        this.startMethod = startMethod;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.codec = codec;
    }

    /** {@return the default context: the one set by {@link #setStartMethod}, else spawn} */
    public static Multiprocessing context() {
        Multiprocessing d = DEFAULT.get();
        return d != null ? d : SPAWN;
    }

    /**
     * {@return a context for {@code startMethod}}
     *
     * @param startMethod {@code "spawn"}, {@code "forkserver"} or {@code "fork"}
     * @throws IllegalArgumentException if the name is unknown
     * @throws UnsupportedOperationException for {@code "fork"} (with the reason and the
     *     alternative) and, in this version, {@code "forkserver"}
     */
    public static Multiprocessing context(String startMethod) {
        Objects.requireNonNull(startMethod, "startMethod");
        return switch (startMethod) {
            case "spawn" -> SPAWN;
            case "fork" -> throw new UnsupportedOperationException(
                    "start method 'fork' is not possible for a JVM: a forked JVM keeps only the"
                    + " calling thread and hangs at its first safepoint or GC; use 'spawn'");
            case "forkserver" -> throw new UnsupportedOperationException(
                    "start method 'forkserver' is not implemented in this version; use 'spawn'");
            default -> throw new IllegalArgumentException(
                    "unknown start method '" + startMethod + "'; known: " + START_METHODS);
        };
    }

    /**
     * Sets the default start method, once per process (Python's {@code set_start_method}).
     *
     * @param startMethod as for {@link #context(String)}
     * @throws IllegalStateException if it was already set
     * @throws IllegalArgumentException or UnsupportedOperationException as {@link #context(String)}
     */
    public static void setStartMethod(String startMethod) {
        Multiprocessing c = context(startMethod);
        if (!DEFAULT.compareAndSet(null, c)) {
            throw new IllegalStateException("the start method has already been set to '"
                    + DEFAULT.get().startMethod + "'");
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
        return new Multiprocessing(startMethod, all, codec);
    }

    /**
     * {@return a copy whose pipes use {@code codec}}
     *
     * @param codec the codec
     */
    public Multiprocessing withCodec(Codec codec) {
        return new Multiprocessing(startMethod, jvmOptions, Objects.requireNonNull(codec, "codec"));
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
