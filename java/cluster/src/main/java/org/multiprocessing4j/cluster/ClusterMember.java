package org.multiprocessing4j.cluster;

import java.util.ArrayList;
import java.util.List;
import org.multiprocessing4j.cluster.internal.HazelcastConfigs;
import org.multiprocessing4j.cluster.internal.MemberSettings;

/**
 * Runs a cluster member in this JVM, for clusters that span machines: start one per machine with
 * this library and the application's jars on the class path, then reach them with
 * {@link Cluster.Builder#members(String...)} (or {@link ClusterPool.Builder#members}).
 *
 * <pre>
 * java --add-opens java.base/java.lang=ALL-UNNAMED ... -cp app.jar:multiprocessing4j.jar:multiprocessing4j-cluster.jar:hazelcast.jar \
 *     org.multiprocessing4j.cluster.ClusterMember --cluster-name jobs --host 10.0.0.5 --port 5701 \
 *     --member 10.0.0.6:5701 --member 10.0.0.7:5701 --threads 8
 * </pre>
 *
 * Options: {@code --cluster-name} (required), {@code --host} (the address to bind and announce,
 * default {@code 127.0.0.1}), {@code --port} (default 5701), {@code --member host:port} (the
 * other members, repeatable: TCP/IP join, no multicast), {@code --threads} (threads running pool
 * tasks, default the CPUs of this machine). The member runs until the JVM is stopped. See
 * {@link Cluster}'s "Trust": a member runs the tasks any peer that reaches its port sends.
 */
public final class ClusterMember {
    private ClusterMember() {
    }

    /**
     * Starts a member and keeps running it until the JVM exits.
     *
     * @param args the options above
     * @throws IllegalArgumentException if an option is unknown or malformed
     */
    public static void main(String[] args) {
        String name = null;
        String host = "127.0.0.1";
        int port = 5701;
        int threads = Runtime.getRuntime().availableProcessors();
        List<String> members = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--cluster-name" -> name = v;
                case "--host" -> host = v;
                case "--port" -> port = Integer.parseInt(v);
                case "--member" -> members.add(v);
                case "--threads" -> threads = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + a
                        + " (known: --cluster-name, --host, --port, --member, --threads)");
            }
        }
        if (name == null) {
            throw new IllegalArgumentException("--cluster-name is required");
        }
        HazelcastConfigs.quietLogging();
        var hz = com.hazelcast.core.Hazelcast.newHazelcastInstance(HazelcastConfigs.member(
                new MemberSettings(name, host, port, members, threads, 1, false)));
        var a = hz.getCluster().getLocalMember().getAddress();
        System.out.println("cluster member " + a.getHost() + ":" + a.getPort() + " of '" + name + "' is running");
    }
}
