/**
 * multiprocessing4j's pool, queue and dict API on a Hazelcast cluster.
 *
 * <p>Hazelcast ({@code com.hazelcast.core}) is an automatic module. On the module path, give the
 * JVM what Hazelcast asks for with this module's name as the target where it names
 * {@code ALL-UNNAMED} ({@code --add-opens java.base/java.lang=com.hazelcast.core} and the
 * others); members started by {@link org.multiprocessing4j.cluster.Cluster} get them by
 * themselves.
 */
module org.multiprocessing4j.cluster {
    requires transitive org.multiprocessing4j;
    requires transitive com.hazelcast.core;
    requires java.logging;
    exports org.multiprocessing4j.cluster;
    opens org.multiprocessing4j.cluster.internal to com.hazelcast.core;
}
