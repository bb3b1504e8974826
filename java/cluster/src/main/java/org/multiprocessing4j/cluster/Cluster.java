package org.multiprocessing4j.cluster;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.cluster.internal.HazelcastConfigs;
import org.multiprocessing4j.cluster.internal.LocalMembers;

/**
 * A connection to a Hazelcast cluster — and, when this program started them, the cluster's
 * members — from which pools, queues and dicts are reached (the cluster's counterpart of
 * {@link org.multiprocessing4j.Multiprocessing}).
 *
 * <pre>{@code
 * try (Cluster cluster = Cluster.builder().localMembers(3).start()) {   // 3 member JVMs here
 *     ClusterPool pool = cluster.pool();
 *     List<Integer> squares = pool.map(x -> x * x, List.of(1, 2, 3));     // [1, 4, 9]
 *     BlockingQueue<String> q = cluster.queue("jobs");
 *     Map<String, Integer> d = cluster.dict("scores");
 * }   // stops the pool, then the members this program started
 * }</pre>
 *
 * <h2>Members</h2>
 * {@link Builder#localMembers(int)} starts members as child JVMs of this one
 * ({@link org.multiprocessing4j.ChildProcess}, daemonic: they die with this JVM even when it is
 * SIGKILLed) on loopback, on free ports, with a fresh cluster name, joined to each other by TCP/IP
 * (no multicast). {@link Builder#members(String...)} joins an existing cluster instead — members
 * started by {@link ClusterMember} on other machines, or any Hazelcast 5 cluster whose members
 * have this library and the tasks' classes on their class path. This program itself is never a
 * member: it is a Hazelcast client, so it holds no data and runs no task.
 *
 * <h2>Trust</h2>
 * Hazelcast's community edition does not authenticate: anyone who can reach a member's port and
 * knows the cluster name can submit tasks, which members decode with {@link Codec#defaults()}
 * (Java serialization behind its filter) and run. Keep members on loopback or a network only
 * trusted programs reach. Queues and dicts decode what any such peer put there, so their default
 * codec is {@link Codec#forUntrustedPeers()}.
 *
 * <h2>Life cycle and threads</h2>
 * All methods are thread-safe. {@link #close()} shuts the pools made by {@link #pool()} down
 * (waiting for their tasks), disconnects, and stops the members this program started; it is
 * idempotent. After it, every method that reaches the cluster throws
 * {@link IllegalStateException}.
 */
public final class Cluster implements AutoCloseable {
    private final HazelcastInstance client;
    private final LocalMembers local; // null when joined
    private final String clusterName;
    private final int threadsPerMember;
    private final List<ClusterPool> pools = new ArrayList<>(); // guarded by this
    private boolean closed; // guarded by this

    private Cluster(HazelcastInstance client, LocalMembers local, String clusterName,
                    int threadsPerMember) {
        this.client = client;
        this.local = local;
        this.clusterName = clusterName;
        this.threadsPerMember = threadsPerMember;
    }

    /** {@return a builder} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A member this program started.
     *
     * @param address its {@code host:port}
     * @param pid its process id
     */
    public record LocalMember(String address, long pid) {
    }

    /** {@return the cluster's name} */
    public String name() {
        return clusterName;
    }

    /** {@return the addresses ({@code host:port}) of the members in the cluster now} */
    public List<String> members() {
        ensureOpen();
        List<String> out = new ArrayList<>();
        for (var m : client.getCluster().getMembers()) {
            out.add(m.getAddress().getHost() + ":" + m.getAddress().getPort());
        }
        return out;
    }

    /**
     * {@return the members this program started, in start order, dead ones included} Empty for
     * a cluster joined with {@link Builder#members(String...)}.
     */
    public List<LocalMember> localMembers() {
        if (local == null) {
            return List.of();
        }
        List<LocalMember> out = new ArrayList<>();
        for (var m : local.members()) {
            out.add(new LocalMember(m.address(), m.process().pid()));
        }
        return out;
    }

    /**
     * {@return the number of executor threads each member runs pool tasks on, as set by
     * {@link Builder#threadsPerMember(int)} (for a joined cluster: what its members were told)}
     */
    public int threadsPerMember() {
        return threadsPerMember;
    }

    /**
     * Returns a new pool on this cluster with the default codec ({@link Codec#defaults()}). The
     * pool stays usable until it or this cluster is closed; closing the pool leaves the cluster
     * running.
     *
     * @return the pool
     * @throws IllegalStateException if this cluster is closed
     */
    public ClusterPool pool() {
        return ClusterPool.on(this, Codec.defaults());
    }

    /**
     * {@return the cluster queue named {@code name}, unbounded, with
     * {@link Codec#forUntrustedPeers()}} Every program on the cluster that asks for the same name
     * gets the same queue.
     *
     * @param <E> the element type
     * @param name the queue's name
     * @throws IllegalStateException if this cluster is closed
     */
    public <E> ClusterQueue<E> queue(String name) {
        return queue(name, 0, Codec.forUntrustedPeers());
    }

    /**
     * Returns the cluster queue named {@code name} with at most {@code capacity} elements
     * ({@code 0}: unbounded). The capacity is set when the cluster first hears of the name;
     * asking again for the same name with another capacity fails.
     *
     * @param <E> the element type
     * @param name the queue's name
     * @param capacity the most elements it holds, or 0 for no limit
     * @param codec encodes the elements (every user of the queue needs an equivalent one)
     * @return the queue
     * @throws IllegalArgumentException if {@code capacity < 0} or {@code name} is empty
     * @throws com.hazelcast.config.InvalidConfigurationException if the cluster knows the name
     *     with another capacity
     * @throws IllegalStateException if this cluster is closed
     */
    public <E> ClusterQueue<E> queue(String name, int capacity, Codec codec) {
        ensureOpen();
        return ClusterQueue.open(client, name, capacity, codec);
    }

    /**
     * {@return the cluster dict named {@code name}, with {@link Codec#forUntrustedPeers()}}
     *
     * @param <K> the key type
     * @param <V> the value type
     * @param name the dict's name
     * @throws IllegalStateException if this cluster is closed
     */
    public <K, V> ClusterDict<K, V> dict(String name) {
        return dict(name, Codec.forUntrustedPeers());
    }

    /**
     * {@return the cluster dict named {@code name}, encoding keys and values with {@code codec}}
     *
     * @param <K> the key type
     * @param <V> the value type
     * @param name the dict's name
     * @param codec encodes keys and values (every user of the dict needs an equivalent one)
     * @throws IllegalArgumentException if {@code name} is empty
     * @throws IllegalStateException if this cluster is closed
     */
    public <K, V> ClusterDict<K, V> dict(String name, Codec codec) {
        ensureOpen();
        return ClusterDict.open(client, name, codec);
    }

    /**
     * Shuts down every pool made on this cluster (waiting for their tasks), disconnects, then
     * stops the members this program started: each is told to stop and killed if it has not
     * exited within 10 seconds. Idempotent. If interrupted, the members are killed at once and
     * the interrupt status is kept.
     */
    @Override
    public void close() {
        List<ClusterPool> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = List.copyOf(pools);
        }
        try {
            for (ClusterPool p : open) {
                p.close();
            }
        } finally {
            try {
                client.shutdown();
            } finally {
                if (local != null) {
                    local.close();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "Cluster[" + clusterName + (local != null ? ", " + local.members().size() + " local members" : "")
                + (isClosed() ? ", closed" : "") + "]";
    }

    // ------------------------------------------------------------------ for the pool

    HazelcastInstance client() {
        ensureOpen();
        return client;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    synchronized void register(ClusterPool pool) {
        if (closed) {
            throw new IllegalStateException("the cluster is closed");
        }
        pools.add(pool);
    }

    synchronized void unregister(ClusterPool pool) {
        pools.remove(pool);
    }

    /** The pid of the local member at {@code address}, if this program started it. */
    Optional<LocalMember> localMember(String address) {
        for (LocalMember m : localMembers()) {
            if (m.address().equals(address)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** For tests: SIGKILLs the local member at {@code index}, as a crash would. */
    void killLocalMember(int index) throws IOException {
        local.members().get(index).process().kill();
    }

    private synchronized void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the cluster is closed");
        }
    }

    // ------------------------------------------------------------------ builder

    /**
     * How to reach or start a cluster: either {@link #localMembers(int)} or
     * {@link #members(String...)}. Not thread-safe; {@link #start()} may be called more than
     * once (each call starts or joins anew).
     */
    public static final class Builder {
        private int localMembers;
        private final List<String> addresses = new ArrayList<>();
        private String clusterName;
        private int threadsPerMember;
        private final List<String> memberJvmOptions = new ArrayList<>();
        private Duration timeout = Duration.ofSeconds(120);

        private Builder() {
        }

        /**
         * Starts {@code count} members as child JVMs of this one, on loopback.
         *
         * @param count at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code count < 1}
         */
        public Builder localMembers(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("localMembers must be >= 1, got " + count);
            }
            this.localMembers = count;
            return this;
        }

        /**
         * Joins an existing cluster through these members (at least one must be reachable; the
         * others are found from it).
         *
         * @param hostPorts {@code host:port} of members, for example {@code "10.0.0.5:5701"}
         * @return this builder
         * @throws IllegalArgumentException if an address is not {@code host:port}
         */
        public Builder members(String... hostPorts) {
            for (String a : hostPorts) {
                Objects.requireNonNull(a, "address");
                int colon = a.lastIndexOf(':');
                if (colon <= 0 || colon == a.length() - 1 || !a.substring(colon + 1).chars().allMatch(Character::isDigit)) {
                    throw new IllegalArgumentException("not host:port: '" + a + "'");
                }
                addresses.add(a);
            }
            return this;
        }

        /**
         * Sets the cluster name: required to join an existing cluster (Hazelcast refuses
         * clients of another name); local members get a fresh random one by default.
         *
         * @param name the name
         * @return this builder
         * @throws IllegalArgumentException if empty
         */
        public Builder clusterName(String name) {
            if (Objects.requireNonNull(name, "name").isEmpty()) {
                throw new IllegalArgumentException("empty cluster name");
            }
            this.clusterName = name;
            return this;
        }

        /**
         * Sets how many threads each member runs pool tasks on. Local members are started
         * with it (default: this machine's CPUs divided among the local members, at least 1);
         * for a joined cluster it only tells the pools how much work to send each member at once
         * (default: 16, Hazelcast's default executor size; {@link ClusterMember} sets it with
         * {@code --threads}).
         *
         * @param threads at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code threads < 1}
         */
        public Builder threadsPerMember(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threadsPerMember must be >= 1, got " + threads);
            }
            this.threadsPerMember = threads;
            return this;
        }

        /**
         * Adds JVM options for local members (for example {@code "-Xmx512m"}), after the
         * {@code --add-opens} options Hazelcast asks for, which are always given.
         *
         * @param options the options
         * @return this builder
         */
        public Builder memberJvmOptions(String... options) {
            for (String o : options) {
                memberJvmOptions.add(Objects.requireNonNull(o, "option"));
            }
            return this;
        }

        /**
         * Sets how long {@link #start()} waits for local members to form the cluster, or for
         * the cluster to be reached (default 120 s).
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder timeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * Starts the local members (blocking until they form one cluster) or reaches the
         * existing cluster, and connects this program as a client.
         *
         * @return the cluster
         * @throws IllegalStateException if neither or both of {@link #localMembers(int)} and
         *     {@link #members(String...)} were given, or a joined cluster has no name
         * @throws IOException if a member cannot start, or the cluster cannot be reached within
         *     the timeout (members started are stopped)
         * @throws InterruptedException if interrupted while waiting (members started are stopped)
         */
        public Cluster start() throws IOException, InterruptedException {
            if ((localMembers == 0) == addresses.isEmpty()) {
                throw new IllegalStateException("give either localMembers(n) or members(addresses...)");
            }
            HazelcastConfigs.quietLogging();
            if (localMembers > 0) {
                String name = clusterName != null ? clusterName : "mp4j-" + UUID.randomUUID();
                int threads = threadsPerMember > 0 ? threadsPerMember
                        : Math.max(1, Runtime.getRuntime().availableProcessors() / localMembers);
                LocalMembers local = LocalMembers.start(localMembers, name, threads, memberJvmOptions, timeout);
                try {
                    List<String> addrs = new ArrayList<>();
                    for (var m : local.members()) {
                        addrs.add(m.address());
                    }
                    HazelcastInstance client = connect(name, addrs, localMembers);
                    return new Cluster(client, local, name, threads);
                } catch (IOException | InterruptedException | RuntimeException e) {
                    local.close();
                    throw e;
                }
            }
            if (clusterName == null) {
                throw new IllegalStateException("joining an existing cluster needs its clusterName(...)");
            }
            return new Cluster(connect(clusterName, addresses, 1), null, clusterName,
                    threadsPerMember > 0 ? threadsPerMember : 16);
        }

        private HazelcastInstance connect(String name, List<String> addrs, int expected)
                throws IOException, InterruptedException {
            HazelcastInstance client;
            try {
                client = HazelcastClient.newHazelcastClient(HazelcastConfigs.client(name, addrs, timeout));
            } catch (RuntimeException e) { // IllegalStateException: unable to connect
                throw new IOException("cannot reach cluster '" + name + "' at " + addrs + " within "
                        + timeout + ": " + e.getMessage(), e);
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (client.getCluster().getMembers().size() < expected) {
                if (System.nanoTime() - deadline > 0) {
                    int seen = client.getCluster().getMembers().size();
                    client.shutdown();
                    throw new IOException("the cluster has " + seen + " members, " + expected
                            + " expected, after " + timeout);
                }
                Thread.sleep(10);
            }
            return client;
        }
    }
}
