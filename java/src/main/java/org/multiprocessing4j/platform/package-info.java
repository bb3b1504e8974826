/**
 * The operating-system seam: {@link org.multiprocessing4j.platform.Platform}, everything the
 * library asks of the OS (descriptors, pipes and sockets, descriptor passing, spawning and
 * reaping, anonymous and named shared memory, wait and wake on a shared word, process liveness
 * and the liveness marks that prove it across PID namespaces),
 * one backend per OS chosen once by {@link org.multiprocessing4j.platform.Platform#current()},
 * and the exceptions a backend throws.
 *
 * <p>Rules: backends are thin. They retry {@code EINTR}, complete partial writes and translate
 * errors in one place, and hold no policy (timeouts, retries, semantics). Descriptors are plain
 * {@code int}s here, created close-on-exec; closing each exactly once is the caller's business.
 * Used by the public package and the {@code internal} packages; only Linux has a backend today.
 */
package org.multiprocessing4j.platform;
