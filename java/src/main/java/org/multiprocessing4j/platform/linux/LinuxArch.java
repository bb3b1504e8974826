package org.multiprocessing4j.platform.linux;

/**
 * What differs between the Linux architectures: the values come from the per-architecture
 * bindings packages, which {@code scripts/jextract} generates from each target's own headers.
 */
enum LinuxArch {
    /** x86_64 / amd64. */
    X86_64(org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_futex()),
    /** aarch64 / arm64. */
    AARCH64(org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_futex());

    private final long sysFutex;

    LinuxArch(long sysFutex) {
        this.sysFutex = sysFutex;
    }

    /** {@return the number of the futex system call} */
    long sysFutex() {
        return sysFutex;
    }
}
