package org.multiprocessing4j.cluster.internal;

import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Multiprocessing;
import org.multiprocessing4j.Pipe;
import org.multiprocessing4j.Task;

/**
 * Members started as child JVMs of this one ({@link ChildProcess}, daemonic: they die with this
 * JVM, even when it is SIGKILLed), on loopback, joined by TCP/IP to each other. Ports are probed
 * free just before the members start, all at once, each member given the full list. Thread-safe;
 * {@link #close()} is idempotent.
 */
public final class LocalMembers implements AutoCloseable {
    /**
     * Options Hazelcast asks for on JDK 9+ (it logs this list when they are missing), and the
     * JDK 24+ permission for its use of {@code sun.misc.Unsafe} (else the JVM warns).
     */
    static final List<String> ACCESS_OPTIONS = accessOptions();

    private static final Duration STOP_GRACE = Duration.ofSeconds(10);

    /** One member JVM: its address, process and the connection it reports on. */
    public record Member(String address, ChildProcess process, Connection connection) {
    }

    private final List<Member> members;
    private boolean closed; // guarded by this

    private LocalMembers(List<Member> members) {
        this.members = List.copyOf(members);
    }

    /** {@return the members, in start order} */
    public List<Member> members() {
        return members;
    }

    /**
     * Starts {@code n} members and waits until they form one cluster.
     *
     * @param n how many
     * @param clusterName the cluster name
     * @param threads executor threads per member
     * @param jvmOptions more options for the member JVMs
     * @param timeout how long to wait for every member to report ready
     * @return the running members
     * @throws IOException if a member cannot start (its failure as the cause); those started are
     *     stopped
     * @throws InterruptedException if interrupted while waiting; those started are stopped
     */
    public static LocalMembers start(int n, String clusterName, int threads, List<String> jvmOptions,
                                     Duration timeout) throws IOException, InterruptedException {
        List<Integer> ports = freePorts(n);
        List<String> addresses = new ArrayList<>();
        for (int p : ports) {
            addresses.add("127.0.0.1:" + p);
        }
        List<String> options = new ArrayList<>(ACCESS_OPTIONS);
        options.addAll(jvmOptions);
        Multiprocessing ctx = Multiprocessing.context("spawn").withJvmOptions(options.toArray(String[]::new));
        List<ChildProcess> processes = new ArrayList<>();
        List<Pipe> pipes = new ArrayList<>();
        List<Member> started = new ArrayList<>();
        boolean ok = false;
        try {
            for (int i = 0; i < n; i++) {
                MemberSettings s = new MemberSettings(clusterName, "127.0.0.1", ports.get(i),
                        addresses, threads, n, true);
                Pipe pipe = Pipe.open();
                pipes.add(pipe);
                Connection child = pipe.second();
                Task task = () -> MemberMain.serve(s, child);
                ChildProcess p = ctx.process(task).setDaemon(true).setName("ClusterMember-" + (i + 1));
                processes.add(p);
                p.start();
                child.close();
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            for (int i = 0; i < n; i++) {
                Connection c = pipes.get(i).first();
                long left = deadline - System.nanoTime();
                if (left <= 0 || !c.poll(Duration.ofNanos(left))) {
                    throw new IOException("cluster member " + (i + 1) + " of " + n
                            + " did not report ready within " + timeout);
                }
                Object address;
                try {
                    address = c.recv();
                } catch (IOException e) {
                    ChildProcess p = processes.get(i);
                    p.join(Duration.ofSeconds(5));
                    throw new IOException("cluster member " + (i + 1) + " of " + n + " failed to start"
                            + p.exitCode().stream().mapToObj(x -> " (exit code " + x + ")").findFirst().orElse(""),
                            p.failure().isPresent() ? p.failure().get() : e);
                }
                started.add(new Member((String) address, processes.get(i), c));
            }
            ok = true;
            return new LocalMembers(started);
        } catch (InterruptedIOException e) {
            throw new InterruptedException("interrupted while starting cluster members");
        } finally {
            if (!ok) {
                for (ChildProcess p : processes) {
                    stop(p, null);
                }
                for (Pipe p : pipes) {
                    p.close();
                }
            }
        }
    }

    /**
     * Stops every member: tells it to stop, waits up to 10 s, then kills it; reaps it and closes
     * its handles. Idempotent. If interrupted, kills at once and keeps the interrupt status.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (Member m : members) {
            try {
                m.connection().send("stop");
            } catch (IOException | RuntimeException alreadyGone) {
                // it died or is dying: stop() below reaps it
            }
        }
        for (Member m : members) {
            stop(m.process(), m.connection());
        }
    }

    /** Kills the member with SIGKILL, as a crash would (for tests of member death). */
    static void kill(Member m) throws IOException {
        m.process().kill();
    }

    private static void stop(ChildProcess p, Connection c) {
        boolean interrupted = Thread.interrupted();
        try {
            if (p.pid() > 0) {
                boolean ended = false;
                if (!interrupted) {
                    try {
                        ended = p.join(STOP_GRACE);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (!ended) {
                    p.kill();
                    while (true) {
                        try {
                            p.join();
                            break;
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // nothing more can be done for this member; the others are still stopped
        } finally {
            if (c != null) {
                c.close();
            }
            try {
                p.close();
            } catch (RuntimeException stillRunning) {
                // close() refuses a running child: only if kill failed above
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static List<Integer> freePorts(int n) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(s);
                ports.add(s.getLocalPort());
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    private static List<String> accessOptions() {
        Module m = HazelcastInstance.class.getModule();
        String target = m.isNamed() ? m.getName() : "ALL-UNNAMED";
        return List.of("--sun-misc-unsafe-memory-access=allow", "--add-modules", "java.se",
                "--add-exports", "java.base/jdk.internal.ref=" + target,
                "--add-opens", "java.base/java.lang=" + target,
                "--add-opens", "java.base/sun.nio.ch=" + target,
                "--add-opens", "java.management/sun.management=" + target,
                "--add-opens", "jdk.management/com.sun.management.internal=" + target);
    }
}
