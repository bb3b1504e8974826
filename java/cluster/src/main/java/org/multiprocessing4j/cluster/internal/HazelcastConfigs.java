package org.multiprocessing4j.cluster.internal;

import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.ExecutorConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Hazelcast configurations this library uses, built in code (no XML, nothing read from the
 * class path): explicit TCP/IP join, no multicast, no auto-detection, no phone-home.
 */
public final class HazelcastConfigs {
    /** Kept so that the level set by {@link #quietLogging()} is not garbage collected. */
    private static final Logger HAZELCAST_LOGGER = Logger.getLogger("com.hazelcast");

    private HazelcastConfigs() {
    }

    /**
     * Keeps Hazelcast's INFO chatter (banner, partition tables, migrations) out of the output:
     * sets the {@code com.hazelcast} {@code java.util.logging} logger to {@code WARNING} unless the
     * application gave it a level already.
     */
    public static void quietLogging() {
        synchronized (HAZELCAST_LOGGER) {
            if (HAZELCAST_LOGGER.getLevel() == null) {
                HAZELCAST_LOGGER.setLevel(Level.WARNING);
            }
        }
    }

    /**
     * {@return a member configuration}
     *
     * @param s the settings
     */
    public static Config member(MemberSettings s) {
        Config c = new Config();
        c.setClusterName(s.clusterName());
        c.setProperty("hazelcast.logging.type", "jdk");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.local.localAddress", s.host());
        if (s.local()) {
            // Members on loopback start together: join at once, and should two of them ever form
            // separate clusters while starting, merge within seconds rather than minutes.
            c.setProperty("hazelcast.wait.seconds.before.join", "0");
            c.setProperty("hazelcast.merge.first.run.delay.seconds", "2");
            c.setProperty("hazelcast.merge.next.run.delay.seconds", "2");
            c.setProperty("hazelcast.max.no.heartbeat.seconds", "15");
        }
        NetworkConfig n = c.getNetworkConfig();
        n.setPort(s.port()).setPortAutoIncrement(false);
        n.getInterfaces().setEnabled(true).addInterface(s.host());
        JoinConfig j = n.getJoin();
        j.getMulticastConfig().setEnabled(false);
        j.getAutoDetectionConfig().setEnabled(false);
        j.getTcpIpConfig().setEnabled(true).setMembers(s.members());
        c.addExecutorConfig(new ExecutorConfig(MemberSettings.EXECUTOR).setPoolSize(s.threads())
                .setStatisticsEnabled(false));
        return c;
    }

    /**
     * {@return a client configuration}
     *
     * @param clusterName the cluster's name
     * @param addresses {@code host:port} of members to connect to first
     * @param connectTimeout how long to try to reach the cluster before giving up
     */
    public static ClientConfig client(String clusterName, List<String> addresses,
                                      Duration connectTimeout) {
        ClientConfig c = new ClientConfig();
        c.setClusterName(clusterName);
        c.setProperty("hazelcast.logging.type", "jdk");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.getNetworkConfig().setAddresses(List.copyOf(addresses));
        c.getConnectionStrategyConfig().getConnectionRetryConfig()
                .setClusterConnectTimeoutMillis(Math.max(1, connectTimeout.toMillis()));
        return c;
    }
}
