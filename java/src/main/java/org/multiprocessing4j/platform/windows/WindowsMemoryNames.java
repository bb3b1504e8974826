package org.multiprocessing4j.platform.windows;

import org.multiprocessing4j.platform.MemoryNames;

/**
 * Names and sizes of named memory on Windows, the pure part of {@link WindowsMemory}: no native
 * call, thread-safe (immutable).
 *
 * <p>A seam name {@code /name} is the kernel object {@code Local\name} (the session's namespace;
 * {@code Global\} would need a privilege). Kernel object names may hold up to {@code MAX_PATH}
 * (260) characters with the namespace, so {@link #RULES} allows 250; generated names have 27
 * characters, as on Linux. Named memory, semaphores, events and pipes share the one namespace per
 * session, so this backend's own objects carry prefixes of their own ({@code mp4j-w-} for wait
 * channels).
 *
 * <p>Sizes: a mapping's size is fixed when it is created, and what an opener learns
 * ({@code VirtualQuery} of a view, as CPython's {@code shared_memory} does) is that size rounded
 * up to the page size ({@link #roundedSize}).
 */
final class WindowsMemoryNames {
    /** The session-local namespace of named kernel objects. */
    static final String NAMESPACE = "Local\\";

    /** The rules for names of named memory on Windows. */
    static final MemoryNames RULES = new MemoryNames(250, 27, "");

    private WindowsMemoryNames() {
    }

    /**
     * {@return the kernel object name for a seam name ({@code /name} → {@code Local\name})}
     *
     * @throws IllegalArgumentException if the bare name is empty or holds a {@code \}
     */
    static String objectName(String name) {
        String bare = name.startsWith("/") ? name.substring(1) : name;
        if (bare.isEmpty() || bare.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("a Windows object name may not be empty or contain '\\': " + name);
        }
        return NAMESPACE + bare;
    }

    /**
     * {@return the name of the event through which process {@code pid}, created at
     * {@code creationMillis} ({@code GetProcessTimes}, milliseconds since 1601), takes interrupt
     * requests: {@code Local\mp4j-int-<pid>-<creation>}} The creation time keeps a request from
     * reaching a later process with the same pid.
     */
    static String interruptEventName(int pid, long creationMillis) {
        return NAMESPACE + "mp4j-int-" + Integer.toUnsignedString(pid) + "-" + creationMillis;
    }

    /**
     * {@return {@code size} rounded up to a multiple of {@code pageSize}: the size Windows reports
     * for a mapping created with {@code size}}
     *
     * @throws IllegalArgumentException if {@code size < 1} or {@code pageSize} is not a power of two
     */
    static long roundedSize(long size, long pageSize) {
        if (size < 1 || pageSize < 1 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("size " + size + ", page size " + pageSize);
        }
        return Math.addExact(size, pageSize - 1) & -pageSize;
    }
}
