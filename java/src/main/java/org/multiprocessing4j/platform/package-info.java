/**
 * The operating-system seam: {@link org.multiprocessing4j.platform.Platform}, everything the
 * library asks of the OS (handles, pipes and sockets, handle transfer to a child at start and to
 * a running process, waiting on several handles at once, spawning, reaping, exit statuses, stop
 * requests and parent death, anonymous and named shared memory, wait and wake on a shared word,
 * process liveness and the liveness marks that prove it across PID namespaces), the seam's
 * value types ({@link org.multiprocessing4j.platform.MemoryNames} for names of named memory,
 * {@link org.multiprocessing4j.platform.ProcessMark} for a liveness mark,
 * {@link org.multiprocessing4j.platform.Reaper} for what removes a dead creator's names,
 * {@link org.multiprocessing4j.platform.PrivateFiles} for 0700/0600 files),
 * one backend per OS chosen once by {@link org.multiprocessing4j.platform.Platform#current()},
 * and the exceptions a backend throws.
 *
 * <p>Rules: backends are thin. They resume calls the OS interrupted, complete partial writes and
 * translate errors in one place, and hold no policy (timeouts, retries, semantics). OS resources are
 * opaque {@link org.multiprocessing4j.platform.Handle}s (a descriptor on POSIX, a {@code HANDLE}
 * on Windows), never inherited unless given to {@code spawn}; closing each exactly once is the
 * caller's business. What every backend must guarantee is the class comment of {@code Platform}.
 * Used by the public package and the {@code internal} packages. Three backends exist today,
 * {@code platform.linux}, the portable {@code platform.posix} and {@code platform.windows}
 * (compiled and probed, not yet run on Windows); their classes' comments name the OS calls,
 * signals and errors behind the seam's words.
 */
package org.multiprocessing4j.platform;
