package org.multiprocessing4j.cluster.internal;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.io.EOFException;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.Connection;

/**
 * The life of a member JVM started by {@link LocalMembers}: start Hazelcast, wait until the
 * cluster has every expected member, report {@code host:port} to the parent, then serve until
 * the parent says {@code "stop"} or goes away (end of stream), and terminate.
 */
public final class MemberMain {
    /** How long a starting member waits for the others to join before it gives up. */
    static final long JOIN_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(120);

    private MemberMain() {
    }

    /**
     * Runs a member until told to stop. Blocks.
     *
     * @param s the settings
     * @param parent the connection to the process that started this member
     * @throws Exception if Hazelcast cannot start or the cluster does not form in time
     */
    public static void serve(MemberSettings s, Connection parent) throws Exception {
        HazelcastConfigs.quietLogging();
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(HazelcastConfigs.member(s));
        try {
            long deadline = System.nanoTime() + JOIN_TIMEOUT_NANOS;
            while (hz.getCluster().getMembers().size() < s.expectedMembers()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException("the cluster has " + hz.getCluster().getMembers().size()
                            + " members after 120 s, " + s.expectedMembers() + " expected");
                }
                Thread.sleep(20);
            }
            var a = hz.getCluster().getLocalMember().getAddress();
            parent.send(a.getHost() + ":" + a.getPort());
            try {
                parent.recv(); // "stop"
            } catch (EOFException parentGone) {
                // the parent closed its end or died: stop as well
            }
        } finally {
            hz.getLifecycleService().terminate();
        }
    }
}
