package org.multiprocessing4j.platform.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.Reaper;
import org.multiprocessing4j.platform.posix.PipeReaper;

/**
 * The Linux {@link Reaper}: a {@code /bin/sh} process (not a JVM: it starts in about a millisecond
 * and weighs a few hundred kilobytes) that reads the read end of a pipe, which it inherits as the
 * descriptor the starting backend names (its first argument) and moves to its standard input, with
 * {@code awk} when there is one (buffered reads, about a microsecond per line) and with a slower
 * pure-shell loop otherwise. This process holds the only write end and writes one line per event:
 * <pre>
 * REG &lt;name&gt; &lt;inode&gt;                  after a successful O_EXCL create
 * REG &lt;/absolute/dir&gt; &lt;inode&gt;          a private directory: removed with what it holds
 * UNREG &lt;name or dir&gt;                  after this process removed it, or gave up tracking it
 * QUEUE &lt;inode&gt; &lt;key&gt; &lt;name or -&gt; &lt;prefix&gt;   watch a queue's spill blocks
 * UNQUEUE &lt;inode&gt; &lt;key&gt; &lt;name or -&gt; &lt;prefix&gt; sweep them now, stop watching
 * </pre>
 * When the write end closes — {@link #close()}, or the kernel did because this process died —
 * the script reads end of file and removes every name still registered <em>whose inode is still
 * the registered one</em> ({@code stat -c %i}, else {@code ls -di}), then exits. Names live in
 * {@code /dev/shm}, where glibc's and musl's {@code shm_open} keep them.
 *
 * <p>Queues: for a queue swept (at {@code UNQUEUE}, or at the end for those still watched) the
 * script starts a detached sweeper that waits until no process maps or holds a file with that
 * inode (it reads {@code /proc/<pid>/maps} and {@code /proc/<pid>/fd}: once, then every 1, 2, 4,
 * 4, … seconds) and, for a named queue, until its name is gone (a named queue keeps its records
 * while the name exists), then removes the blocks whose names start with the prefix. One sweeper
 * polls per queue on the machine ({@code /tmp/mp4j-sweep-<16 hex digits of key>/pid} names it
 * while it runs). A file elsewhere that happens to have the same inode number only delays the
 * sweep; without {@code grep} or {@code find} nothing is swept.
 *
 * <p>The script ignores SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE; its standard output and
 * error are {@code /dev/null}, so it never holds a caller's output pipe open. Names and paths are restricted
 * to portable characters by the caller ({@link Reaper}); the script quotes them anyway and
 * disables globbing. Not thread-safe (the caller serializes).
 */
public final class LinuxReaper extends PipeReaper {
    /** Where glibc's and musl's shm_open keep names on Linux. */
    private static final String SHM_DIR = "/dev/shm/";

    private static final String SCRIPT = """
            trap '' INT TERM HUP QUIT PIPE
            case $1 in ''|*[!0-9]*) exit 2 ;; esac
            # The pipe, inherited as descriptor $1, becomes standard input; $1 itself is closed.
            exec <&"$1" >/dev/null 2>&1
            [ "$1" -eq 0 ] || eval "exec $1<&-"
            set -f
            cd /
            # Prints "name inode" for every name still registered when the pipe ends, and
            # "+ inode key name prefix" for a queue to sweep: at once for UNQUEUE, at the end for
            # the others.
            registered() {
              if command -v awk >/dev/null; then
                awk '$1 == "REG" { live[$2] = $3; next }
                     $1 == "UNREG" { delete live[$2]; next }
                     $1 == "QUEUE" { queue[$3] = $2 " " $3 " " $4 " " $5; next }
                     $1 == "UNQUEUE" { delete queue[$3]; print "+", $2, $3, $4, $5; fflush(); next }
                     END { for (n in live) print n, live[n]; for (k in queue) print "+", queue[k] }'
              else
                live=' '
                queues=' '
                while IFS=' ' read -r op a b c d; do
                  case $op in
                    REG) live="$live$a:$b " ;;
                    UNREG) live=$(without "$live" "$a") ;;
                    QUEUE) queues="$queues$b:$a,$c,$d " ;;
                    UNQUEUE)
                      queues=$(without "$queues" "$b")
                      printf '+ %s %s %s %s\\n' "$a" "$b" "$c" "$d" ;;
                  esac
                done
                for e in $live; do printf '%s %s\\n' "${e%:*}" "${e##*:}"; done
                for e in $queues; do
                  r=${e#*:}
                  s=${r#*,}
                  printf '+ %s %s %s %s\\n' "${r%%,*}" "${e%%:*}" "${s%%,*}" "${s#*,}"
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
            # queue's name $3 (- if none) is gone, then removes its spill segments (names $4*).
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
              rm -f -- %DIR%"$4"*
              rm -rf -- "$d"
            }
            registered | while read -r n i x y z; do
              if [ "$n" = + ]; then
                sweep "$i" "$x" "$y" "$z" </dev/null &
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

    private final Map<Long, String> queues = new HashMap<>(); // key -> "inode key name prefix"

    private LinuxReaper(Platform os, int pid, Handle writeEnd) {
        super(os, pid, writeEnd, StandardCharsets.US_ASCII);
    }

    /**
     * Starts the script; see {@link Platform#startReaper()}. Needs only the seam's pipe, spawn,
     * write, close and reap, so that another backend running on Linux may use it too: that
     * backend says where its spawn puts the child's first inherited handle.
     *
     * @param os the backend that starts and talks to it
     * @param inheritedDescriptor the descriptor that {@code os}'s spawn gives a child for its
     *     {@linkplain Platform#inheritedHandle inherited handle} 0
     * @return the running reaper
     * @throws IOException if the shell cannot be started
     * @throws IllegalArgumentException if {@code inheritedDescriptor} is negative
     */
    public static LinuxReaper start(Platform os, int inheritedDescriptor) throws IOException {
        if (inheritedDescriptor < 0) {
            throw new IllegalArgumentException("no descriptor " + inheritedDescriptor);
        }
        return start(os, readEnd -> new Platform.SpawnRequest("/bin/sh",
                List.of("/bin/sh", "-c", SCRIPT, "mp4j-shm-tracker",
                        Integer.toString(inheritedDescriptor)),
                List.of("PATH=/usr/bin:/bin", "LC_ALL=C"), new Handle[] {readEnd}),
                (pid, writeEnd) -> new LinuxReaper(os, pid, writeEnd));
    }

    @Override
    public void watchQueue(long fileId, long key, String queueName, String spillPrefix)
            throws IOException {
        String args = fileId + " " + String.format("%016x", key) + " "
                + (queueName == null ? "-" : queueName) + " " + spillPrefix;
        write("QUEUE " + args + "\n");
        queues.put(key, args);
    }

    @Override
    public void sweepQueue(long key) throws IOException {
        String args = queues.remove(key);
        if (args != null) {
            write("UNQUEUE " + args + "\n");
        }
    }
}
