package org.multiprocessing4j.platform.posix;

import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps descriptors that are not yet close-on-exec out of spawned children. POSIX.1-2017 has
 * no {@code pipe2}, {@code accept4}, {@code SOCK_CLOEXEC} or {@code MSG_CMSG_CLOEXEC} (macOS
 * lacks them all), so this backend creates a descriptor and then sets {@code FD_CLOEXEC}; a
 * {@code posix_spawn} between the two would let the child inherit it. Creating takes the shared
 * side of one read-write lock, spawning the exclusive side (the JDK's own
 * {@code ProcessImpl} does the same). Only descriptors created by this backend are covered;
 * {@code PosixProcesses} closes any other non-close-on-exec descriptor in the child.
 */
final class DescriptorGate {
    private static final ReentrantReadWriteLock LOCK = new ReentrantReadWriteLock();

    private DescriptorGate() {
    }

    /** {@return the lock to hold while a descriptor is created and made close-on-exec} */
    static Lock creating() {
        return LOCK.readLock();
    }

    /** {@return the lock to hold while spawning} */
    static Lock spawning() {
        return LOCK.writeLock();
    }
}
