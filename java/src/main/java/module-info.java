/**
 * multiprocessing4j: Python's {@code multiprocessing} for Java — child JVMs, pipes and
 * connections, shared memory, process-shared synchronization, queues, pools and managers,
 * calling the operating system through the Foreign Function and Memory API.
 *
 * <p>Only {@code org.multiprocessing4j} is exported. The library calls restricted FFM methods:
 * on the module path run with {@code --enable-native-access=org.multiprocessing4j}, on the class
 * path with {@code --enable-native-access=ALL-UNNAMED}.
 */
module org.multiprocessing4j {
    requires jdk.unsupported; // sun.misc.Signal: a child reports SIGTERM/SIGINT as -15/-2
    exports org.multiprocessing4j;
}
