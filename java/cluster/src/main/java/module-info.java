/**
 * multiprocessing4j's pool, queue and dict API on a Hazelcast cluster.
 *
 * <p>Hazelcast ({@code com.hazelcast.core}) is an automatic module. On the module path, give the
 * JVM what Hazelcast asks for with this module's name as the target where it names
 * {@code ALL-UNNAMED} ({@code --add-opens java.base/java.lang=com.hazelcast.core} and the
 * others), plus {@code --add-modules jdk.net} (its TCP keep-alive options) and
 * {@code --sun-misc-unsafe-memory-access=allow}; members started by
 * {@link org.multiprocessing4j.cluster.Cluster} get what they need by themselves. Checked: a
 * member ({@link org.multiprocessing4j.cluster.ClusterMember}) runs on the module path; the
 * tests run on the class path, as the core's do.
 */
module org.multiprocessing4j.cluster {
    requires transitive org.multiprocessing4j;
    requires transitive com.hazelcast.core;
    requires java.logging;
    exports org.multiprocessing4j.cluster;
    opens org.multiprocessing4j.cluster.internal to com.hazelcast.core;
}
