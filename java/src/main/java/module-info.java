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
    // the backends (platform/<os>) report a child's stop request through the JDK's handlers
    requires jdk.unsupported;
    // the library's Flight Recorder events (internal.jfr)
    requires jdk.jfr;
    exports org.multiprocessing4j;
}
