package org.multiprocessing4j.internal.shm;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.platform.MemoryNames;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.Reaper;

/**
 * Removes the named shared-memory blocks that this JVM created and did not unlink, once this JVM
 * is gone — however it ended, a forced kill included — and never any other block.
 *
 * <p>The removing is done by the backend's {@link Reaper} (a helper process that outlives this
 * JVM, see {@link Platform#startReaper()}); this class decides when it runs and what it is told.
 * One per JVM, started on the first {@link #prepare()}; it registers a name after an
 * {@code O_EXCL} create and unregisters it after an unlink or {@code untrack()}, and a private
 * directory this JVM created (for example a {@link org.multiprocessing4j.Listener}'s socket
 * directory, see {@link #registerDirectory}) likewise. When this JVM ends, the reaper removes
 * every name still registered <em>whose file is still the registered one</em>: if someone else
 * unlinked our block and created a new one under the same name, it is left alone.
 *
 * <p>Why this is safe where Python's tracker is not (CPython issue 82300): only the creator
 * registers; attaching never does, so a process that merely attached can never cause a removal.
 *
 * <p>Lifetime: the reaper runs while this JVM has registered names or watched queues, and
 * {@link #LINGER_MILLIS} longer (so that create/unlink loops do not start one each time); then it
 * is closed. If it dies, the next event starts another and tells it everything again. A
 * forced kill of the whole process group (or cgroup) kills it too, and then nothing is
 * removed: the same limit as Python's tracker.
 *
 * <p>It also sweeps the spill segments of shared queues ({@code internal.queue.Spill}) that
 * nobody can take any more. A JVM that spills a record into a queue watches the queue
 * ({@link #watchQueue}); when the JVM ends, or closes a view of the queue
 * ({@link #unwatchQueue}), the reaper removes the queue's spill segments once no process maps or
 * holds the queue's memory and, for a named queue, its name is gone. Until then a record may
 * still be taken, so nothing is removed early.
 *
 * <p>Names are restricted by {@link #isTrackable(String)} (the backend's rules for new names,
 * {@link MemoryNames}), which keeps them one word on a line and free of shell metacharacters.
 *
 * <p>If the reaper cannot be started, a warning is logged once and blocks are created untracked.
 * Thread-safe.
 */
public final class ShmTracker {
    /** How long the tracker stays after the last registered name went. */
    public static final long LINGER_MILLIS = 250;

    private static final Platform OS = Platform.current();
    private static final System.Logger LOG = System.getLogger(ShmTracker.class.getName());

    private static final ShmTracker INSTANCE = new ShmTracker();

    private final Map<String, Long> live = new HashMap<>(); // name -> inode; guarded by this
    private final Map<Long, Queue> queues = new HashMap<>(); // by key; guarded by this
    private Reaper reaper; // null when none runs; guarded by this
    private boolean warned; // guarded by this
    private ScheduledFuture<?> stop; // guarded by this
    private final ScheduledThreadPoolExecutor timer;

    private ShmTracker() {
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "mp4j-shm-tracker");
            t.setDaemon(true);
            return t;
        });
        timer.setKeepAliveTime(1, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        timer.setRemoveOnCancelPolicy(true);
    }

    /** {@return the tracker of this JVM} */
    public static ShmTracker get() {
        return INSTANCE;
    }

    /**
     * {@return whether {@code name} (without its leading {@code /}) may be created and tracked:
     * the backend's {@linkplain MemoryNames#isValid rules for new names}}
     */
    public static boolean isTrackable(String name) {
        return OS.memoryNames().isValid(name);
    }

    /**
     * Makes sure the tracker runs, before a create, so that the window in which a crash leaves a
     * block untracked is only the one {@code write} of {@link #register}. Never throws: if the
     * tracker cannot start, logs a warning (once) and later registrations are no-ops until it can.
     */
    public synchronized void prepare() {
        cancelStop();
        if (reaper == null) {
            start();
        }
        stopLaterIfIdle(); // the create may fail: do not keep an idle tracker forever
    }

    /**
     * Registers a name this JVM has just created (with {@code O_EXCL}) so that it is removed if
     * this JVM ends before unregistering it.
     *
     * @param name the name without its leading {@code /}; {@link #isTrackable} must hold
     * @param inode the inode of the created file, see {@link Platform#inode}
     */
    public synchronized void register(String name, long inode) {
        if (!isTrackable(name)) {
            throw new IllegalArgumentException("untrackable shared memory name '" + name + "'");
        }
        cancelStop();
        live.put(name, inode);
        send(r -> r.register(name, inode));
    }

    /**
     * Registers a private directory this JVM has just created (mode 0700), so that it is removed,
     * with whatever it holds, if this JVM ends before {@link #unregisterDirectory}: for a Unix
     * socket's directory, which would otherwise stay behind a JVM killed outright. Like a name,
     * it is removed only while its inode is still the registered one. Starts the tracker if needed;
     * never throws for a tracker that cannot start (logs a warning once).
     *
     * @param dir the directory: an absolute path whose every element {@link #isTrackable}
     * @param inode the directory's inode number
     * @throws IllegalArgumentException if the path is not absolute or not trackable
     */
    public synchronized void registerDirectory(java.nio.file.Path dir, long inode) {
        String path = dir.toString();
        if (!isTrackableDirectory(dir)) {
            throw new IllegalArgumentException("untrackable directory '" + path + "'");
        }
        cancelStop();
        live.put(path, inode);
        send(r -> r.registerDirectory(dir, inode));
    }

    /**
     * Forgets a directory registered with {@link #registerDirectory}: this JVM removed it itself.
     * Ignored if not registered.
     *
     * @param dir the directory as registered
     */
    public void unregisterDirectory(java.nio.file.Path dir) {
        unregister(dir.toString());
    }

    /**
     * {@return whether {@code dir} may be given to {@link #registerDirectory}: absolute, not the
     * root, and every element 1 to 255 {@linkplain MemoryNames#isPortable portable characters},
     * not {@code "."} or {@code ".."}}
     */
    public static boolean isTrackableDirectory(java.nio.file.Path dir) {
        if (!dir.isAbsolute() || dir.getNameCount() == 0) {
            return false;
        }
        for (java.nio.file.Path element : dir) {
            String e = element.toString();
            if (e.isEmpty() || e.length() > 255 || e.equals(".") || e.equals("..")
                    || !e.chars().allMatch(c -> MemoryNames.isPortable((char) c))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Forgets a name: it was unlinked, or its creator chose to let it outlive this JVM. A name
     * that is not registered here is ignored (it was created elsewhere, or only attached).
     *
     * @param name the name without its leading {@code /}
     */
    public synchronized void unregister(String name) {
        if (live.remove(name) == null) {
            return;
        }
        send(r -> r.unregister(name));
        stopLaterIfIdle();
    }

    /**
     * Watches a shared queue (see the class comment): once this JVM ends, or calls {@link
     * #unwatchQueue}, the queue's spill segments are removed as soon as no process maps or holds
     * its memory and its name (if any) is gone. Call before creating a spill segment, so that the
     * reaper already runs. Never throws for a reaper that cannot start; watching a queue twice is
     * harmless.
     *
     * @param inode the inode of the queue's memory, see {@link Platform#inode}
     * @param name the queue's name without its leading {@code /} ({@link #isTrackable} holds), or
     *     {@code null} if it is anonymous
     * @param spillPrefix what the names of the queue's spill segments start with (portable
     *     characters)
     * @throws IllegalArgumentException if the name or prefix is not trackable
     */
    public synchronized void watchQueue(long inode, String name, String spillPrefix) {
        if (name != null && !isTrackable(name)) {
            throw new IllegalArgumentException("untrackable shared memory name '" + name + "'");
        }
        if (spillPrefix.isEmpty() || !spillPrefix.chars().allMatch(c -> MemoryNames.isPortable((char) c))) {
            throw new IllegalArgumentException("untrackable spill prefix '" + spillPrefix + "'");
        }
        long key = queueKey(inode, name != null);
        if (queues.containsKey(key)) {
            return;
        }
        Queue q = new Queue(inode, key, name, spillPrefix);
        queues.put(key, q);
        cancelStop();
        send(r -> r.watchQueue(q.inode, q.key, q.name, q.spillPrefix));
    }

    /**
     * Sweeps a watched queue now (a view of it was closed here): the reaper removes the queue's
     * spill segments once no process maps or holds its memory and its name is gone, and this JVM
     * stops watching it. A queue not watched is ignored.
     *
     * @param inode as given to {@link #watchQueue}
     * @param named whether it was given a name
     */
    public synchronized void unwatchQueue(long inode, boolean named) {
        long key = queueKey(inode, named);
        if (queues.remove(key) == null) {
            return;
        }
        send(r -> r.sweepQueue(key));
        stopLaterIfIdle();
    }

    private record Queue(long inode, long key, String name, String spillPrefix) {
    }

    /**
     * {@return the key of a queue's spill segments, whose names start with {@code mp4j-q-} and
     * its 16 hex digits} The inode of the queue's memory, with the top bit set for a named queue:
     * anonymous and named memory are different file systems, whose inode numbers may
     * coincide.
     */
    public static long queueKey(long inode, boolean named) {
        return named ? inode | Long.MIN_VALUE : inode;
    }

    /** {@return whether {@code name} is registered by this JVM} */
    public synchronized boolean isRegistered(String name) {
        return live.containsKey(name);
    }

    /** {@return the pid of the reaper process, or -1 when none runs (for tests)} */
    public synchronized int trackerPid() {
        return reaper == null ? -1 : reaper.pid();
    }

    // ------------------------------------------------------------------ internals

    private void stopLaterIfIdle() {
        if (live.isEmpty() && queues.isEmpty() && reaper != null && stop == null) {
            stop = timer.schedule(this::stopIfIdle, LINGER_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void cancelStop() {
        if (stop != null) {
            stop.cancel(false);
            stop = null;
        }
    }

    /** One message to the reaper. */
    @FunctionalInterface
    private interface Message {
        void sendTo(Reaper reaper) throws IOException;
    }

    /** Sends a message; if the reaper is gone, starts a new one and replays everything. */
    private void send(Message message) {
        if (reaper == null) {
            start(); // replays, which includes this message's effect
            return;
        }
        try {
            message.sendTo(reaper);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "shared-memory tracker " + reaper.pid()
                    + " is gone (" + e.getMessage() + "); starting another");
            abandon();
            start();
        }
    }

    private void start() {
        try {
            reaper = OS.startReaper();
        } catch (IOException | RuntimeException e) {
            warnOnce(e);
            return;
        }
        try {
            for (Map.Entry<String, Long> e : live.entrySet()) {
                if (e.getKey().startsWith("/")) {
                    reaper.registerDirectory(java.nio.file.Path.of(e.getKey()), e.getValue());
                } else {
                    reaper.register(e.getKey(), e.getValue());
                }
            }
            for (Queue q : queues.values()) {
                reaper.watchQueue(q.inode, q.key, q.name, q.spillPrefix);
            }
        } catch (IOException e) {
            abandon();
            warnOnce(e);
        }
    }

    /** Closes a reaper that failed (it removes what it knew and exits) and reaps it. */
    private void abandon() {
        Reaper old = reaper;
        reaper = null;
        old.close();
    }

    private void stopIfIdle() {
        Reaper old;
        synchronized (this) {
            if (!live.isEmpty() || !queues.isEmpty() || reaper == null || stop == null) {
                return;
            }
            stop = null;
            old = reaper;
            reaper = null;
        }
        old.close(); // it has nothing to remove: exits as soon as it reads end of file
    }

    private void warnOnce(Exception e) {
        if (!warned) {
            warned = true;
            LOG.log(System.Logger.Level.WARNING, "cannot start the shared-memory tracker:"
                    + " named blocks this JVM creates will not be removed if it dies: " + e);
        }
    }
}
