package org.multiprocessing4j;

/**
 * Thrown by every acquisition of a {@link SharedLock} or {@link SharedReentrantLock} once the lock
 * is <em>not recoverable</em> (as a POSIX robust mutex, see the
 * {@linkplain org.multiprocessing4j##os-mapping OS mapping}): a process died holding it, another
 * thread took it over — and saw {@link SharedLock#isConsistent()} return {@code false} — and then
 * released it without calling {@link SharedLock#markConsistent()}. The data the lock protects may
 * be half-updated, so the lock refuses to hand it out again. The lock stays in this state for
 * good; create a new lock (and new data) to continue.
 */
public class LockNotRecoverableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception with a message.
     *
     * @param message what happened, and to which lock
     */
    public LockNotRecoverableException(String message) {
        super(message);
    }
}
