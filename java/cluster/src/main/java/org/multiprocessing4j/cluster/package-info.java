/**
 * multiprocessing4j beyond one machine: {@link org.multiprocessing4j.ProcessPool}'s API
 * ({@link org.multiprocessing4j.cluster.ClusterPool}), a {@link java.util.concurrent.BlockingQueue}
 * ({@link org.multiprocessing4j.cluster.ClusterQueue}) and a dict
 * ({@link org.multiprocessing4j.cluster.ClusterDict}) on a Hazelcast cluster, reached from a
 * {@link org.multiprocessing4j.cluster.Cluster}. Members are Hazelcast 5 members embedded in JVMs
 * this library starts ({@link org.multiprocessing4j.cluster.Cluster.Builder#localMembers(int)},
 * as child processes of the core library) or that run
 * {@link org.multiprocessing4j.cluster.ClusterMember}; this program is a Hazelcast client.
 *
 * <p>Every value crosses the cluster as the bytes of a {@link org.multiprocessing4j.Codec}; the
 * pool's tasks are Hazelcast {@code DataSerializable} wrappers of those bytes
 * ({@code internal.ChunkTask}), so Hazelcast itself never Java-serializes application objects.
 * The package {@code org.multiprocessing4j.cluster.internal} (not exported) holds the wire
 * format, the dispatcher that spreads a pool's tasks over the members, the member bootstrap and
 * the Hazelcast configurations. Only the core library's public API is used.
 */
package org.multiprocessing4j.cluster;
