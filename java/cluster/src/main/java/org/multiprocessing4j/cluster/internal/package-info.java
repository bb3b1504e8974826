/**
 * The machinery of the cluster module, not API: the task wire format ({@code Wire}), the task
 * Hazelcast carries ({@code ChunkTask}), the dispatcher that spreads a pool's tasks over the
 * members ({@code Dispatcher}, {@code Chunk}), local member JVMs ({@code LocalMembers},
 * {@code MemberMain}, {@code MemberSettings}) and the Hazelcast configurations
 * ({@code HazelcastConfigs}). Opened to Hazelcast, which instantiates {@code ChunkTask} by
 * reflection on the members.
 */
package org.multiprocessing4j.cluster.internal;
