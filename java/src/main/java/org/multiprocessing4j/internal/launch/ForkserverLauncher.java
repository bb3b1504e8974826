package org.multiprocessing4j.internal.launch;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Pipe;
import org.multiprocessing4j.Task;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.internal.task.TaskStreams;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * The {@code forkserver} start method: a small pool of idle child JVMs, started ahead of time
 * with the command line a spawned child would get, that have loaded the library, made their
 * first FFM downcalls and warmed up the task codec (see {@link ChildMain}). {@link #launch}
 * hands the task to a warm one and refills the pool in the background at once. When none is warm
 * (none idle, or all still warming up) it spawns the child exactly as {@link SpawnLauncher} does,
 * with the spawned children's start archive: a start never waits for an idle child to become
 * warm, so it is never slower than {@code spawn}.
 *
 * <h2>How many idle children</h2>
 * A pool keeps as many idle children, warm or starting, as there were starts during the last
 * warm-up time (how long its children took from their start to {@code READY}, a moving
 * average): in a stream of starts, the children that take the next tasks are warming up while
 * the current ones run. At least {@link Spec#idleChildren()}, at most {@link
 * Spec#maxIdleChildren()} (the user's budget: each idle child holds a JVM's memory). Beyond
 * the minimum, children are started {@linkplain ChildMain#LIGHT light} (no warm-up rounds): in a
 * stream of starts the CPU is short, and a full warm-up costs several times the CPU of the spawn
 * it saves, slowing the spawns that run meanwhile. A pool does
 * not shrink on its own when starts stop: its idle children wait for later starts, and
 * {@link #shutdown} ends them.
 *
 * <p>Idle children started after a hand-off also load and link (not initialize) the classes
 * recent tasks came from, and build the lambdas of recent tasks ({@link TaskLambdas#prelink}),
 * so that the next task of the same kind finds its code verified and its lambda class spun.
 *
 * <p>A hand-off is one {@link Platform#sendWithHandles} ({@code sendmsg} on POSIX): the task's
 * handles, and the bootstrap frame after them. The idle child wakes once and finds everything it
 * needs; the parent writes nothing else to it.
 *
 * <p>An idle child is a direct child of this JVM, started exactly like a spawned one, so pid,
 * exit code, sentinel, signals and orphan handling are those of {@code spawn}. Only the task's
 * handles differ: they cannot be given at start, so they travel over the bootstrap socket
 * (POSIX: {@code SCM_RIGHTS}).
 *
 * <p>An idle child that dies before it is warm (a configuration whose JVMs cannot start) is
 * reaped and dropped at once, by the refill thread that started it; the pool is not refilled
 * for it until the next {@code start()} or {@code warmUp}.
 *
 * <p>An idle child that has died is never handed a task once it can be reaped. One that is
 * killed by someone else in the instant of its hand-off (its last threads still exiting) takes
 * the task with it: the started child then reports that signal as its exit code, as a spawned
 * child killed right after its start would.
 *
 * <h2>Pools</h2>
 * One pool per {@link ChildCommand#key()} (JVM, options, class path, preload classes): a child
 * always runs with the options of the context that started it. Idle children never outlive
 * this JVM: they have the parent-death signal and read end of stream on their bootstrap socket
 * when it dies, and a shutdown hook kills and reaps them when it exits.
 *
 * <p>Thread-safe.
 */
public final class ForkserverLauncher implements Launcher {
    public static final ForkserverLauncher INSTANCE = new ForkserverLauncher();

    private static final Platform OS = Platform.current();
    private static final ValueLayout.OfInt BIG_ENDIAN_INT =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** How long an idle child takes to become warm, until one has been seen: a guess. */
    private static final long WARM_GUESS_NANOS = 1_000_000_000L;
    /** Starts remembered per pool, for the rate of starts. */
    private static final int MAX_STARTS_REMEMBERED = 64;
    /** How many classes, and lambdas, of recent tasks idle children link ahead of time. */
    private static final int MAX_LEARNED = 16;

    private final Map<List<String>, IdlePool> pools = new ConcurrentHashMap<>();
    /** {@link #pools} by what {@link #pool} is called with: computing the key costs ~0.2 ms. */
    private final Map<List<Object>, IdlePool> byArguments = new ConcurrentHashMap<>();
    private final ExecutorService refills = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "mp4j-forkserver-refill");
        t.setDaemon(true);
        return t;
    });
    /** Idle children started by background refills, counted for tests. */
    private final java.util.concurrent.atomic.AtomicLong refillCount =
            new java.util.concurrent.atomic.AtomicLong();
    /** Starts served by a warm idle child, and by spawning because none was warm (for tests). */
    private final java.util.concurrent.atomic.AtomicLong handOffCount =
            new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong spawnCount =
            new java.util.concurrent.atomic.AtomicLong();
    private final Object hookLock = new Object();
    private boolean hookInstalled; // guarded by hookLock

    private ForkserverLauncher() {
    }

    @Override
    public Launched launch(Spec spec) throws IOException {
        byte[] frame = SpawnLauncher.bootstrapFrame(spec); // first: a bad task starts nothing
        IdlePool pool = pool(spec.jvmOptions(), spec.preload());
        pool.size(spec.idleChildren(), spec.maxIdleChildren());
        pool.learn(spec.taskClasses(), spec.task().lambdaShape());
        pool.started(System.nanoTime());
        try {
            // each failed hand-off drops that child: the loop ends when none is warm
            for (SpawnLauncher.Child child; (child = pool.takeWarm()) != null; ) {
                try {
                    handOff(child, spec, frame);
                    handOffCount.incrementAndGet();
                    return child;
                } catch (IOException | RuntimeException | Error e) {
                    child.killAndReap(); // died while idle, or cannot take the task: never strand it
                    if (!(e instanceof IOException)
                            || e instanceof java.nio.channels.ClosedChannelException) {
                        throw e; // the task's own handle was closed: no other child does better
                    }
                }
            }
            // none warm: spawn, as fast as spawn, rather than wait for a warming one
            SpawnLauncher.Child child = SpawnLauncher.launch(spec, frame,
                    ChildCommand.of(spec.jvmOptions(), pool.extraOptions, List.of(),
                            AotCache.enabled()));
            spawnCount.incrementAndGet();
            return child;
        } finally {
            pool.refill(); // after the hand-off or spawn, which it would slow down
        }
    }

    /**
     * Starts idle children for this configuration until {@code count} are idle and warm, waiting
     * at most {@code timeout}.
     *
     * @return whether {@code count} are ready
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean warmUp(List<String> jvmOptions, List<String> preload, int count, int max,
                          Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        IdlePool pool = pool(jvmOptions, preload);
        pool.size(count, max);
        pool.refill();
        // a start that finds no idle child warm spawns: build that child's archive meanwhile
        ChildCommand.ensureAotCache(jvmOptions, Duration.ofNanos(Math.max(0,
                deadline - System.nanoTime())));
        return pool.awaitReady(count, deadline);
    }

    /** Kills and reaps every idle child of every pool; pools refill again on the next use. */
    public void shutdown() {
        for (IdlePool pool : pools.values()) {
            pool.shutdown();
        }
    }

    /** {@return how many children are idle in all pools (for tests)} */
    public int idleCount() {
        int n = 0;
        for (IdlePool pool : pools.values()) {
            n += pool.idleCount();
        }
        return n;
    }

    /** {@return how many idle children background refills have started in all pools (for tests)} */
    public long refills() {
        return refillCount.get();
    }

    /** {@return how many idle children of all pools are warm (for tests)} */
    public int warmCount() {
        int n = 0;
        for (IdlePool pool : pools.values()) {
            n += pool.warmCount();
        }
        return n;
    }

    /** {@return how many starts were handed to a warm idle child (for tests)} */
    public long handOffs() {
        return handOffCount.get();
    }

    /** {@return how many starts found no idle child warm and spawned (for tests)} */
    public long spawns() {
        return spawnCount.get();
    }

    /**
     * {@return the most children any pool has held idle or starting at once since its last
     * {@link #shutdown} (for tests)}
     */
    public int peakIdle() {
        int peak = 0;
        for (IdlePool pool : pools.values()) {
            peak = Math.max(peak, pool.peak());
        }
        return peak;
    }

    /** {@return the pids of the idle children of all pools (for tests)} */
    public List<Integer> idlePids() {
        List<Integer> pids = new ArrayList<>();
        for (IdlePool pool : pools.values()) {
            pids.addAll(pool.pids());
        }
        return pids;
    }

    private IdlePool pool(List<String> jvmOptions, List<String> preload) {
        // everything ChildCommand reads besides the arguments (the class path is fixed), read
        // once: the pool starts every child with this value of the property
        String extra = ChildCommand.extraOptions();
        List<Object> shortcut = List.of(jvmOptions, preload, extra);
        IdlePool known = byArguments.get(shortcut);
        return known != null ? known : byArguments.computeIfAbsent(shortcut,
                k -> poolByKey(jvmOptions, extra, preload));
    }

    private IdlePool poolByKey(List<String> jvmOptions, String extra, List<String> preload) {
        List<String> mode = new ArrayList<>();
        mode.add(ChildMain.MODE_FORKSERVER);
        mode.addAll(preload);
        ChildCommand probe = ChildCommand.of(jvmOptions, extra, mode, false);
        installHook();
        return pools.computeIfAbsent(probe.key(), k -> new IdlePool(jvmOptions, extra, mode));
    }

    private void installHook() {
        synchronized (hookLock) {
            if (!hookInstalled) {
                hookInstalled = true;
                Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown,
                        "mp4j-forkserver-exit"));
                refills.execute(ForkserverLauncher::warmUpHandOff);
            }
        }
    }

    /**
     * Runs this side of a hand-off ahead of time, in the background, when the forkserver is
     * first used: the task codec and the bootstrap frame until the interpreter has profiled them,
     * and the first {@code sendmsg}, whose native linkage alone costs milliseconds.
     */
    private static void warmUpHandOff() {
        try (Pipe pipe = Pipe.open(true); Arena arena = Arena.ofConfined()) {
            Connection c = pipe.second();
            for (int i = 0; i < 200; i++) {
                SpawnLauncher.bootstrapFrame(new Spec("warm-up", new int[] {i}, false,
                        TaskStreams.encode(i % 2 == 0 ? warmUpTask(c) : warmUpTask(c, new int[] {i})),
                        List.of(), List.of(), 1, 1, List.of()));
            }
            Handle[] pair = OS.socketPair();
            try {
                OS.sendWithHandles(pair[0], arena.allocate(4), 4, new Handle[] {pair[1]});
            } finally {
                OS.close(pair[0]);
                OS.close(pair[1]); // discards the descriptor in flight
            }
        } catch (IOException | RuntimeException e) {
            // only a warm-up
        }
    }

    private static Task warmUpTask(Connection c) {
        return () -> c.sendBytes(new byte[] {1});
    }

    /** Captures an array: travels by Java serialization, the task stream's other form. */
    private static Task warmUpTask(Connection c, int[] value) {
        return () -> c.sendBytes(new byte[] {(byte) value[0]});
    }

    /**
     * Hands the task over in one {@code sendmsg}: a 4-byte count with the task's descriptors
     * attached, then the bootstrap frame of {@code spawn} as a {@link Connection} frame. One
     * write wakes the idle child once, and it finds the frame already there.
     */
    private static void handOff(SpawnLauncher.Child child, Spec spec, byte[] frame)
            throws IOException {
        List<Descriptor> passed = spec.task().descriptors();
        Descriptor[] held = new Descriptor[passed.size()];
        Descriptor channel = Access.connection().descriptor(child.channel);
        boolean channelHeld = false;
        try (Arena arena = Arena.ofConfined()) {
            Handle[] fds = new Handle[passed.size()];
            for (int i = 0; i < held.length; i++) {
                fds[i] = passed.get(i).acquire(); // throws if the user closed it meanwhile
                held[i] = passed.get(i);
            }
            MemorySegment message = arena.allocate(8L + frame.length);
            message.set(BIG_ENDIAN_INT, 0, fds.length);
            message.set(BIG_ENDIAN_INT, 4, frame.length); // Connection's frame header
            MemorySegment.copy(frame, 0, message, ValueLayout.JAVA_BYTE, 8, frame.length);
            Handle socket = channel.acquire();
            channelHeld = true;
            OS.sendWithHandles(socket, message, message.byteSize(), fds);
        } finally {
            if (channelHeld) {
                channel.release();
            }
            for (Descriptor d : held) {
                if (d != null) {
                    d.release();
                }
            }
        }
    }

    /** The idle children of one configuration. */
    private final class IdlePool {
        private final List<String> jvmOptions;
        /** {@code mp4j.childJvmOptions} when the pool was made: part of its key. */
        final String extraOptions;
        private final List<String> mode;
        // guarded by this
        private int minIdle = 1;
        private int maxIdle = 1;
        private final Deque<SpawnLauncher.Child> idle = new ArrayDeque<>();
        private int starting;
        /** {@link System#nanoTime()} of recent starts, oldest first. */
        private final Deque<Long> starts = new ArrayDeque<>();
        /** Moving average of how long a child took from its start to READY; 0: none seen. */
        private long warmNanos;
        private int peak;
        private final java.util.LinkedHashSet<String> learned = new java.util.LinkedHashSet<>();
        private final java.util.LinkedHashSet<String> lambdas = new java.util.LinkedHashSet<>();
        private long generation; // shutdown() increments it: refills started before are dropped

        IdlePool(List<String> jvmOptions, String extraOptions, List<String> mode) {
            this.jvmOptions = List.copyOf(jvmOptions);
            this.extraOptions = extraOptions;
            this.mode = List.copyOf(mode);
        }

        /**
         * Takes the sizes of the latest start's context: at least {@code min} idle children, at
         * most {@code max} (a configuration's pool is shared by contexts that differ only in
         * these; the latest start's word counts).
         */
        synchronized void size(int min, int max) {
            minIdle = Math.max(1, min);
            maxIdle = Math.max(minIdle, max);
        }

        /** Records a start at {@code now}, for the rate of starts. */
        synchronized void started(long now) {
            starts.addLast(now);
            while (starts.size() > MAX_STARTS_REMEMBERED) {
                starts.removeFirst();
            }
        }

        /**
         * {@return how many children to hold idle or starting} The starts seen during the last
         * warm-up time: in a steady stream, the children for the next that many starts must be
         * warming up now. Between {@link #minIdle} and {@link #maxIdle}. With this.
         */
        private int wanted() {
            long window = warmNanos > 0 ? warmNanos : WARM_GUESS_NANOS;
            long since = System.nanoTime() - window;
            int recent = 0;
            for (var it = starts.descendingIterator(); it.hasNext() && it.next() - since > 0; ) {
                recent++;
            }
            return Math.min(maxIdle, Math.max(minIdle, recent));
        }

        /** Notes that {@code c} reported READY now. With this. */
        private void becameWarm(SpawnLauncher.Child c) {
            long took = System.nanoTime() - c.startedNanos;
            warmNanos = warmNanos == 0 ? took : (3 * warmNanos + took) / 4;
        }

        synchronized int peak() {
            return peak;
        }

        /**
         * Remembers where tasks come from and the shape of their lambdas; idle children started
         * later link those classes and lambdas.
         */
        synchronized void learn(List<String> classes, String lambdaShape) {
            for (String c : classes) {
                remember(learned, c);
            }
            if (lambdaShape != null) {
                remember(lambdas, lambdaShape);
            }
        }

        private static void remember(java.util.LinkedHashSet<String> set, String value) {
            set.remove(value);
            set.add(value);
            while (set.size() > MAX_LEARNED) {
                set.remove(set.iterator().next());
            }
        }

        /**
         * Starts an idle child now. The command (AOT cache included) is computed per start; the
         * classes and lambdas it links ahead of time are not part of the pool's key.
         */
        SpawnLauncher.Child startIdle(boolean light) throws IOException {
            List<String> args = new ArrayList<>(mode);
            if (light) {
                args.add(ChildMain.LIGHT);
            }
            synchronized (this) {
                if (!learned.isEmpty()) {
                    args.add(ChildMain.LEARNED);
                    args.addAll(learned);
                }
                if (!lambdas.isEmpty()) {
                    args.add(ChildMain.LEARNED_LAMBDAS);
                    args.addAll(lambdas);
                }
            }
            return SpawnLauncher.start(ChildCommand.of(jvmOptions, extraOptions, args,
                    AotCache.enabled()).arguments(), List.of(), false);
        }

        /**
         * {@return a warm idle child that is still alive, or null if none} One still warming up
         * is never taken: its task would wait for the warm-up, longer than a spawn takes.
         */
        synchronized SpawnLauncher.Child takeWarm() {
            for (var it = idle.iterator(); it.hasNext(); ) {
                SpawnLauncher.Child c = it.next();
                if (!alive(c)) { // killed while idle: reaped now, never handed a task
                    it.remove();
                    c.close();
                } else if (isReady(c)) {
                    it.remove();
                    return c;
                }
            }
            return null;
        }

        /** Starts background refills, at once, up to {@link #wanted()}. */
        void refill() {
            long gen;
            int missing;
            int full; // how many of the missing refill the minimum: those warm up fully
            synchronized (this) {
                int wanted = wanted();
                missing = wanted - idle.size() - starting;
                if (missing <= 0) {
                    return;
                }
                // only JVMs beyond the minimum start light (a stream of starts: see the class comment)
                full = Math.max(0, Math.min(missing, minIdle - idle.size() - starting));
                starting += missing;
                peak = Math.max(peak, idle.size() + starting);
                gen = generation;
            }
            for (int i = 0; i < missing; i++) {
                boolean light = i >= full;
                refills.execute(() -> {
                    SpawnLauncher.Child c = null;
                    try {
                        c = startIdle(light);
                        refillCount.incrementAndGet();
                    } catch (IOException | RuntimeException e) {
                        // no idle child this time: the next start() spawns its child
                    }
                    SpawnLauncher.Child added = null;
                    synchronized (this) {
                        starting--;
                        if (c != null && gen == generation) {
                            idle.addLast(c);
                            added = c;
                            c = null;
                        }
                        notifyAll();
                    }
                    if (c != null) {
                        c.killAndReap(); // the pool was shut down meanwhile
                    }
                    if (added != null) {
                        watchStart(added);
                    }
                });
            }
        }

        /**
         * Waits, in the refill thread that started it, until an idle child is warm, has been
         * taken, or has died; reaps and drops it in the last case. A configuration whose JVMs
         * cannot start (a bad option, no memory) would otherwise leave each one a zombie in the
         * pool until the pool's next use. Not refilled then: the next start() tries again.
         */
        private void watchStart(SpawnLauncher.Child c) {
            Handle[] fds = new Handle[2];
            boolean[] ready = new boolean[2];
            boolean channelSpent = false; // readable without READY: end of stream, or garbage
            for (;;) {
                synchronized (this) {
                    if (!idle.contains(c) || isReady(c)) {
                        return; // taken (its new owner reaps it), or warm
                    }
                    if (!alive(c)) { // reaped now
                        idle.remove(c);
                        c.close();
                        notifyAll();
                        return;
                    }
                }
                Descriptor channel = Access.connection().descriptor(c.channel);
                Descriptor sentinel = c.sentinel();
                try {
                    fds[0] = channel.acquire();
                    try {
                        fds[1] = sentinel.acquire();
                        try {
                            // bounded: the child may be taken meanwhile, and its new owner's
                            // close waits for this call to return. A spent channel stays
                            // readable: then only the sentinel (the child's last threads
                            // exiting before it can be reaped), not a busy loop.
                            if (channelSpent) {
                                OS.awaitReadable(fds[1], 100_000_000L);
                            } else {
                                OS.awaitReadable(fds, ready, 100_000_000L);
                                channelSpent = ready[0]; // READY, else spent: see above
                            }
                        } finally {
                            sentinel.release();
                        }
                    } finally {
                        channel.release();
                    }
                } catch (IOException | RuntimeException e) {
                    return; // closed: taken and done with, or shut down
                }
            }
        }

        /**
         * Reads the child's READY record if it has arrived; false if not (yet) or it died. With
         * this.
         */
        private boolean isReady(SpawnLauncher.Child c) {
            try {
                if (c.ready) {
                    return true;
                }
                if (c.channel.poll()) {
                    byte[] record = c.channel.recvBytes(16);
                    c.ready = record.length == 1 && record[0] == ChildMain.READY;
                    if (c.ready) {
                        becameWarm(c);
                    }
                }
                return c.ready;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }

        private boolean alive(SpawnLauncher.Child c) {
            try {
                if (OS.waitForExit(c.pid(), false) == null) {
                    return true;
                }
            } catch (IOException e) {
                // not our child any more: treat as gone
            }
            return false;
        }

        synchronized boolean awaitReady(int count, long deadline) throws InterruptedException {
            for (;;) {
                int ready = 0;
                for (SpawnLauncher.Child c : List.copyOf(idle)) {
                    if (isReady(c)) {
                        ready++;
                    } else if (!alive(c)) {
                        idle.remove(c);
                        c.close();
                    }
                }
                if (ready >= count) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                if (idle.size() + starting < count) {
                    refillLater();
                }
                wait(Math.max(1, Math.min(left / 1_000_000, 10)));
            }
        }

        private void refillLater() {
            refills.execute(this::refill);
        }

        public synchronized int idleCount() {
            return idle.size();
        }

        synchronized int warmCount() {
            int n = 0;
            for (SpawnLauncher.Child c : idle) {
                if (isReady(c)) {
                    n++;
                }
            }
            return n;
        }

        synchronized List<Integer> pids() {
            List<Integer> pids = new ArrayList<>();
            for (SpawnLauncher.Child c : idle) {
                pids.add(c.pid());
            }
            return pids;
        }

        /** Kills and reaps the idle children, and those being started (waits up to 30 s for them). */
        public void shutdown() {
            List<SpawnLauncher.Child> victims;
            synchronized (this) {
                generation++;
                minIdle = 1;
                maxIdle = 1;
                starts.clear();
                peak = 0;
                victims = new ArrayList<>(idle);
                idle.clear();
            }
            for (SpawnLauncher.Child c : victims) {
                c.killAndReap();
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            synchronized (this) {
                while (starting > 0 && deadline - System.nanoTime() > 0) {
                    try {
                        wait(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }
}
