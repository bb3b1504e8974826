package org.multiprocessing4j.internal.shm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Removes the named shared-memory blocks that this JVM created and did not unlink, once this JVM
 * is gone — however it ended, {@code SIGKILL} included — and never any other block.
 *
 * <p>One per JVM, started on the first {@link #prepare()}: a {@code /bin/sh} process (not a JVM:
 * it starts in about a millisecond and weighs a few hundred kilobytes) that reads the read end of
 * a pipe as its descriptor 3, with {@code awk} when there is one (buffered reads, about a
 * microsecond per line) and with a slower pure-shell loop otherwise. This JVM holds the only write end and writes one line per event:
 * <pre>
 * REG &lt;name&gt; &lt;inode&gt;     after a successful O_EXCL create
 * UNREG &lt;name&gt;            after this JVM unlinked the name, or gave up tracking it
 * </pre>
 * A name that starts with {@code /} is instead the absolute path of a private directory this JVM
 * created (for example a {@link org.multiprocessing4j.Listener}'s socket directory, see
 * {@link #registerDirectory}): it is removed with what it holds.
 * When the write end closes — this JVM closed it, or the kernel did because the JVM died — the
 * script reads end of file and removes every name still registered <em>whose inode is still the
 * registered one</em>, then exits. The inode check is what keeps a recycled name safe: if someone
 * else unlinked our block and created a new one under the same name, the tracker leaves it alone.
 *
 * <p>Why this is safe where Python's tracker is not (CPython issue 82300): only the creator
 * registers; attaching never does, so a process that merely attached can never cause a removal.
 *
 * <p>Lifetime: the tracker runs while this JVM has registered names, and {@link #LINGER_MILLIS}
 * longer (so that create/unlink loops do not start a shell each time); then this JVM closes the
 * pipe and reaps it. It ignores SIGINT, SIGTERM, SIGHUP and SIGQUIT, so that a Ctrl-C sent to the
 * whole process group does not kill it before the JVM; its standard streams are /dev/null, so it
 * never holds a caller's output pipe open. A SIGKILL of the whole process group (or cgroup) kills
 * it too, and then nothing is removed: the same limit as Python's tracker.
 *
 * <p>It also sweeps the spill segments of shared queues ({@code mp4j-q-<key>…}, see
 * {@code internal.queue.Spill}) that nobody can take any more. A JVM that spills a record into a
 * queue watches the queue: {@code QUEUE <inode> <key> <name or ->}, with the inode of the queue's
 * memory and the {@link #queueKey 16 hex digits} its spill names start with. When the JVM ends,
 * or closes a view of the queue ({@code UNQUEUE}), the tracker starts a detached sweeper that
 * waits until no process maps or holds a file with that inode (it reads {@code /proc/<pid>/maps}
 * and {@code /proc/<pid>/fd}: once, then every 1, 2, 4, 4, … seconds) and, for a named queue,
 * until its name is gone (a named queue keeps its records while the name exists), then removes
 * the queue's spill segments. Until then a record may still be taken, so nothing is
 * removed early. One sweeper polls per queue on the machine ({@code /tmp/mp4j-sweep-<key>/pid}
 * names it while it runs), however many JVMs spilled into the queue and ended. A file elsewhere that happens to have the same inode number only delays the
 * sweep; without {@code grep} or {@code find} nothing is swept.
 *
 * <p>Names are restricted by {@link #isTrackable(String)} (the POSIX portable file name
 * characters), which keeps them one word on a line and free of shell metacharacters; the script
 * quotes them anyway and disables globbing.
 *
 * <p>If the shell cannot be started (a distroless image without {@code /bin/sh}), a warning is
 * logged once and blocks are created untracked. Thread-safe.
 */
public final class ShmTracker {
    /** How long the tracker stays after the last registered name went. */
    public static final long LINGER_MILLIS = 250;

    private static final Platform OS = Platform.current();
    private static final System.Logger LOG = System.getLogger(ShmTracker.class.getName());

    /** Where glibc's and musl's shm_open keep names on Linux. */
    private static final String SHM_DIR = "/dev/shm/";

    private static final String SCRIPT = """
            trap '' INT TERM HUP QUIT PIPE
            exec </dev/null >/dev/null 2>&1
            set -f
            cd /
            # Prints "name inode" for every name still registered when descriptor 3 ends, and
            # "+ inode key name" for a queue to sweep: at once for UNQUEUE, at the end for the others.
            registered() {
              if command -v awk >/dev/null; then
                awk '$1 == "REG" { live[$2] = $3; next }
                     $1 == "UNREG" { delete live[$2]; next }
                     $1 == "QUEUE" { queue[$3] = $2 " " $3 " " $4; next }
                     $1 == "UNQUEUE" { delete queue[$3]; print "+", $2, $3, $4; fflush(); next }
                     END { for (n in live) print n, live[n]; for (k in queue) print "+", queue[k] }' <&3
              else
                live=' '
                queues=' '
                while IFS=' ' read -r op a b c; do
                  case $op in
                    REG) live="$live$a:$b " ;;
                    UNREG) live=$(without "$live" "$a") ;;
                    QUEUE) queues="$queues$b:$a,$c " ;;
                    UNQUEUE)
                      queues=$(without "$queues" "$b")
                      printf '+ %s %s %s\\n' "$a" "$b" "$c" ;;
                  esac
                done <&3
                for e in $live; do printf '%s %s\\n' "${e%:*}" "${e##*:}"; done
                for e in $queues; do
                  r=${e#*:}
                  printf '+ %s %s %s\\n' "${r%%,*}" "${e%%:*}" "${r#*,}"
                done
              fi
            }
            # Prints list $1 ("key:value " entries) without the entry of key $2.
            without() {
              case $1 in
                *" $2:"*)
                  pre=${1%%" $2:"*}
                  post=${1#*" $2:"}
                  post=${post#* }
                  printf '%s' "$pre $post" ;;
                *) printf '%s' "$1" ;;
              esac
            }
            # Whether name $2 (- if none) exists and still names the file with inode $1.
            still_named() {
              [ "$2" != - ] && [ -e %DIR%"$2" ] &&
                [ "$(stat -c %i -- %DIR%"$2" 2>/dev/null || echo "$1")" = "$1" ]
            }
            # Waits until no process maps or holds a file with inode $1 (a queue's memory) and the
            # queue's name $3 (- if none) is gone, then removes its spill segments (mp4j-q-$2*).
            # One sweeper per queue on the machine: the directory /tmp/mp4j-sweep-$2 holds the pid
            # of the one that polls; a later one leaves unless that pid is gone.
            sweep() {
              command -v grep >/dev/null && command -v find >/dev/null || exit 0
              read -r me _ </proc/self/stat || exit 0
              d=/tmp/mp4j-sweep-$2
              if ! mkdir -m 700 "$d" 2>/dev/null; then
                read -r other <"$d/pid" 2>/dev/null && kill -0 "$other" 2>/dev/null && exit 0
              fi
              echo "$me" >"$d/pid" || exit 0
              set +f
              t=1
              while grep -qs -E "^[^ ]+ [^ ]+ [^ ]+ [^ ]+ $1 " /proc/[0-9]*/maps ||
                    find -L /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 -inum "$1" 2>/dev/null | grep -q . ||
                    still_named "$1" "$3"; do
                sleep $t
                [ $t -ge 4 ] || t=$((t * 2))
              done
              rm -f -- %DIR%mp4j-q-"$2"*
              rm -rf -- "$d"
            }
            registered | while read -r n i x y; do
              if [ "$n" = + ]; then
                sweep "$i" "$x" "$y" 3<&- &
                continue
              fi
              case $n in
                /*) p=$n ;;
                *) p=%DIR%$n ;;
              esac
              cur=$(stat -c %i -- "$p" 2>/dev/null || ls -di -- "$p" 2>/dev/null)
              cur=${cur%% *}
              if [ -n "$cur" ] && [ "$cur" = "$i" ]; then rm -rf -- "$p"; fi
            done
            """.replace("%DIR%", SHM_DIR);

    private static final ShmTracker INSTANCE = new ShmTracker();

    private final Map<String, Long> live = new HashMap<>(); // name -> inode; guarded by this
    private final Map<Long, String> queues = new HashMap<>(); // key -> "inode key name"; guarded by this
    private int pid = -1; // guarded by this
    private Handle writeEnd; // guarded by this
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
     * 1 to 255 characters from {@code A-Z a-z 0-9 . _ -}, and neither {@code "."} nor {@code ".."}}
     */
    public static boolean isTrackable(String name) {
        if (name.isEmpty() || name.length() > 255 || name.equals(".") || name.equals("..")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * Makes sure the tracker runs, before a create, so that the window in which a crash leaves a
     * block untracked is only the one {@code write} of {@link #register}. Never throws: if the
     * tracker cannot start, logs a warning (once) and later registrations are no-ops until it can.
     */
    public synchronized void prepare() {
        cancelStop();
        if (pid < 0) {
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
        send("REG " + name + " " + inode + "\n");
    }

    /**
     * Registers a private directory this JVM has just created (mode 0700), so that it is removed,
     * with whatever it holds, if this JVM ends before {@link #unregisterDirectory}: for a Unix
     * socket's directory, which would otherwise stay behind a JVM killed with SIGKILL. Like a name,
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
        send("REG " + path + " " + inode + "\n");
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
     * root, and every element {@link #isTrackable}}
     */
    public static boolean isTrackableDirectory(java.nio.file.Path dir) {
        if (!dir.isAbsolute() || dir.getNameCount() == 0) {
            return false;
        }
        for (java.nio.file.Path element : dir) {
            if (!isTrackable(element.toString())) {
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
        send("UNREG " + name + "\n");
        stopLaterIfIdle();
    }

    /**
     * Watches a shared queue (see the class comment): once this JVM ends, or calls {@link
     * #unwatchQueue}, the queue's spill segments are removed as soon as no process maps or holds
     * its memory and its name (if any) is gone. Call before creating a spill segment, so that the
     * tracker already runs. Never throws; watching a queue twice is harmless.
     *
     * @param inode the inode of the queue's memory, see {@link Platform#inode}
     * @param name the queue's name without its leading {@code /} ({@link #isTrackable} holds), or
     *     {@code null} if it is anonymous
     */
    public synchronized void watchQueue(long inode, String name) {
        if (name != null && !isTrackable(name)) {
            throw new IllegalArgumentException("untrackable shared memory name '" + name + "'");
        }
        long key = queueKey(inode, name != null);
        if (queues.containsKey(key)) {
            return;
        }
        String args = inode + " " + String.format("%016x", key) + " " + (name == null ? "-" : name);
        queues.put(key, args);
        cancelStop();
        send("QUEUE " + args + "\n");
    }

    /**
     * Sweeps a watched queue now (a view of it was closed here): the tracker starts a sweeper that
     * removes the queue's spill segments once no process maps or holds its memory and its name is
     * gone, and this JVM stops watching it. A queue not watched is ignored.
     *
     * @param inode as given to {@link #watchQueue}
     * @param named whether it was given a name
     */
    public synchronized void unwatchQueue(long inode, boolean named) {
        String args = queues.remove(queueKey(inode, named));
        if (args == null) {
            return;
        }
        send("UNQUEUE " + args + "\n");
        stopLaterIfIdle();
    }

    /**
     * {@return the key of a queue's spill segments, whose names start with {@code mp4j-q-} and
     * its 16 hex digits} The inode of the queue's memory, with the top bit set for a named queue:
     * anonymous memory and {@code /dev/shm} are different file systems, whose inode numbers may
     * coincide.
     */
    public static long queueKey(long inode, boolean named) {
        return named ? inode | Long.MIN_VALUE : inode;
    }

    /** {@return whether {@code name} is registered by this JVM} */
    public synchronized boolean isRegistered(String name) {
        return live.containsKey(name);
    }

    /** {@return the pid of the tracker process, or -1 when none runs (for tests)} */
    public synchronized int trackerPid() {
        return pid;
    }

    // ------------------------------------------------------------------ internals

    private void stopLaterIfIdle() {
        if (live.isEmpty() && queues.isEmpty() && pid >= 0 && stop == null) {
            stop = timer.schedule(this::stopIfIdle, LINGER_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void cancelStop() {
        if (stop != null) {
            stop.cancel(false);
            stop = null;
        }
    }

    /** Writes a line; if the tracker is gone, starts a new one and replays every live name. */
    private void send(String line) {
        if (pid < 0) {
            start(); // replays, which includes this line's effect
            return;
        }
        try {
            write(line);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "shared-memory tracker " + pid
                    + " is gone (" + e.getMessage() + "); starting another");
            abandon();
            start();
        }
    }

    private void start() {
        Handle[] p;
        try {
            p = OS.pipe();
        } catch (IOException e) {
            warnOnce(e);
            return;
        }
        try {
            pid = OS.spawn(new Platform.SpawnRequest("/bin/sh",
                    List.of("/bin/sh", "-c", SCRIPT, "mp4j-shm-tracker"),
                    List.of("PATH=/usr/bin:/bin", "LC_ALL=C"), new Handle[] {p[0]}));
            writeEnd = p[1];
        } catch (IOException | RuntimeException e) {
            closeQuietly(p[1]);
            warnOnce(e);
            return;
        } finally {
            closeQuietly(p[0]);
        }
        try {
            for (Map.Entry<String, Long> e : live.entrySet()) {
                write("REG " + e.getKey() + " " + e.getValue() + "\n");
            }
            for (String args : queues.values()) {
                write("QUEUE " + args + "\n");
            }
        } catch (IOException e) {
            abandon();
            warnOnce(e);
        }
    }

    private void write(String line) throws IOException {
        byte[] b = line.getBytes(StandardCharsets.US_ASCII);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(b.length);
            MemorySegment.copy(b, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, b.length);
            OS.writeFully(writeEnd, buf, b.length);
        }
    }

    /** Closes our end of a tracker that failed and reaps it (it exits at end of file). */
    private void abandon() {
        int oldPid = pid;
        closeQuietly(writeEnd);
        writeEnd = null;
        pid = -1;
        reap(oldPid);
    }

    private void stopIfIdle() {
        int oldPid;
        synchronized (this) {
            if (!live.isEmpty() || !queues.isEmpty() || pid < 0 || stop == null) {
                return;
            }
            stop = null;
            oldPid = pid;
            closeQuietly(writeEnd);
            writeEnd = null;
            pid = -1;
        }
        reap(oldPid); // it has nothing to remove: exits as soon as it reads end of file
    }

    private static void reap(int pid) {
        if (pid < 0) {
            return;
        }
        try {
            OS.waitForExit(pid, true);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not reap shared-memory tracker " + pid, e);
        }
    }

    private void warnOnce(Exception e) {
        if (!warned) {
            warned = true;
            LOG.log(System.Logger.Level.WARNING, "cannot start the shared-memory tracker (/bin/sh):"
                    + " named blocks this JVM creates will not be removed if it dies: " + e);
        }
    }

    private static void closeQuietly(Handle fd) {
        if (fd != null) {
            try {
                OS.close(fd);
            } catch (IOException ignored) {
                // nothing more to do with a descriptor we are giving up
            }
        }
    }
}
