package org.multiprocessing4j.platform;

/**
 * An OS handle of this process, opaque to everything but the backend that made it: a file
 * descriptor on POSIX systems, a {@code HANDLE} on Windows. {@link Platform} takes and returns
 * handles wherever the OS does; policy code passes them around, compares them and prints them,
 * and never computes with their {@link #value()} (a handle a child inherits, for example, is asked
 * of the backend with {@link Platform#inheritedHandle(int)}, not derived from a number).
 *
 * <p>A handle is a value: it neither owns nor closes what it names (ownership, closing exactly
 * once and never under a call in flight, is {@code internal.Descriptor}'s business), and two
 * handles with the same value are equal. It means something only in the process that holds it:
 * it is not serializable, and giving one to another process goes through the backend
 * ({@link Platform#spawn}, {@link Platform#sendWithHandles}). Created once per connection,
 * region or process, never per call, so hot paths allocate nothing. Immutable and thread-safe.
 */
public final class Handle {
    private final long value;

    private Handle(long value) {
        this.value = value;
    }

    /**
     * {@return the handle whose OS value is {@code value}} For backends, and for the public API's
     * few places that take or give a raw OS handle (as Python's {@code recv_handle} does).
     *
     * @param value a descriptor number on POSIX, a {@code HANDLE}'s value on Windows
     * @throws IllegalArgumentException if {@code value} is negative (never a valid handle)
     */
    public static Handle of(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("not a handle: " + value);
        }
        return new Handle(value);
    }

    /**
     * {@return the OS value (a descriptor number on POSIX)} For backends, and for the public API's
     * raw OS handles; never for arithmetic.
     */
    public long value() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Handle h && h.value == value;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(value);
    }

    @Override
    public String toString() {
        return "handle " + value;
    }
}
