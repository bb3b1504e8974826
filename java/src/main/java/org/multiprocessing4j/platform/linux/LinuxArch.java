package org.multiprocessing4j.platform.linux;

import org.multiprocessing4j.platform.posix.PosixTarget;

/**
 * What differs between the Linux architectures beyond what the posix bindings already cover
 * ({@link PosixTarget}: {@code struct stat} and friends): the numbers of the system calls this
 * backend makes through {@code syscall(2)}, from the per-architecture bindings packages, which
 * {@code scripts/jextract} generates from each target's own headers.
 */
enum LinuxArch {
    /** x86_64 / amd64. */
    X86_64(PosixTarget.X86_64),
    /** aarch64 / arm64. */
    AARCH64(PosixTarget.AARCH64);

    /**
     * Each architecture's numbers sit in a holder class of their own, so that only the running
     * architecture's bindings class is ever initialized (a starting child pays for one, not two).
     */
    private static final class X86_64Numbers {
        static final Syscalls SYSCALLS = new Syscalls(
                org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_read(),
                org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_write(),
                org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_recvfrom(),
                org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_sendto(),
                org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_prctl(),
                org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_getpid(),
                org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_getppid(),
                org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_close(),
                org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_shutdown(),
                org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_openat(),
                org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_fcntl(),
                org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_futex());
    }

    /** As {@link X86_64Numbers}, for aarch64. */
    private static final class Aarch64Numbers {
        static final Syscalls SYSCALLS = new Syscalls(
                org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_read(),
                org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_write(),
                org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_recvfrom(),
                org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_sendto(),
                org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_prctl(),
                org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_getpid(),
                org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_getppid(),
                org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_close(),
                org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_shutdown(),
                org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_openat(),
                org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_fcntl(),
                org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_futex());
    }

    private final PosixTarget target;

    LinuxArch(PosixTarget target) {
        this.target = target;
    }

    /**
     * The numbers of the system calls {@link LinuxPlatform} makes through {@code syscall(2)}
     * (they differ between architectures).
     */
    record Syscalls(long read, long write, long recvfrom, long sendto, long prctl, long getpid,
                    long getppid, long close, long shutdown, long openat, long fcntl, long futex) {
    }

    /** {@return this architecture's numbers of the system calls made through syscall(2)} */
    Syscalls syscalls() {
        return switch (this) {
            case X86_64 -> X86_64Numbers.SYSCALLS;
            case AARCH64 -> Aarch64Numbers.SYSCALLS;
        };
    }

    /** {@return the same architecture for the posix bindings ({@code struct stat} and friends)} */
    PosixTarget target() {
        return target;
    }
}
