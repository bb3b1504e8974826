package org.multiprocessing4j.cluster.internal;

import java.io.Serializable;
import java.util.List;

/**
 * How to start one member: what {@link MemberMain} needs, sent to a member JVM inside its task.
 *
 * @param clusterName the Hazelcast cluster name (members and clients of other names are refused)
 * @param host the address to bind and announce ({@code 127.0.0.1} for local members)
 * @param port the port to bind; 0 for any free one
 * @param members {@code host:port} of the other members to join (TCP/IP join, no multicast)
 * @param threads threads of the pool's executor on this member
 * @param expectedMembers report ready only once the cluster has this many members
 * @param local a member started by this library on this machine: quicker failure detection and
 *     split-brain merge, which only make sense on loopback
 */
public record MemberSettings(String clusterName, String host, int port, List<String> members,
                             int threads, int expectedMembers, boolean local)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The name of the executor service that runs pool tasks on every member. */
    public static final String EXECUTOR = "mp4j-pool";

    /** Validates and copies. */
    public MemberSettings {
        members = List.copyOf(members);
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        }
    }
}
