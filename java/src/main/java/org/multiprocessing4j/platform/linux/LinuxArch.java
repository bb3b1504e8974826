package org.multiprocessing4j.platform.linux;

import java.lang.foreign.MemorySegment;

/**
 * What differs between the Linux architectures: the values come from the per-architecture
 * bindings packages, which {@code scripts/jextract} generates from each target's own headers.
 */
enum LinuxArch {
    /** x86_64 / amd64. */
    X86_64(org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_futex(), new Syscalls(
            org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_read(), org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_write(), org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_recvfrom(), org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_sendto(),
            org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_prctl(), org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_getpid(), org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_getppid(),
            org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_close(), org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_shutdown())) {
        @Override
        long statLayoutSize() {
            return org.multiprocessing4j.platform.linux.bindings.x86_64.stat.sizeof();
        }

        @Override
        long statSize(MemorySegment s) {
            return org.multiprocessing4j.platform.linux.bindings.x86_64.stat.st_size(s);
        }

        @Override
        int statUid(MemorySegment s) {
            return org.multiprocessing4j.platform.linux.bindings.x86_64.stat.st_uid(s);
        }

        @Override
        int statMode(MemorySegment s) {
            return org.multiprocessing4j.platform.linux.bindings.x86_64.stat.st_mode(s);
        }

        @Override
        long statInode(MemorySegment s) {
            return org.multiprocessing4j.platform.linux.bindings.x86_64.stat.st_ino(s);
        }

        @Override
        long sysOpenat() {
            return 257; // not yet in LibcArch, see sysOpenat()
        }

        @Override
        long sysFcntl() {
            return 72;
        }
    },
    /** aarch64 / arm64. */
    AARCH64(org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_futex(), new Syscalls(
            org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_read(), org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_write(), org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_recvfrom(), org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_sendto(),
            org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_prctl(), org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_getpid(), org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_getppid(),
            org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_close(), org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_shutdown())) {
        @Override
        long statLayoutSize() {
            return org.multiprocessing4j.platform.linux.bindings.aarch64.stat.sizeof();
        }

        @Override
        long statSize(MemorySegment s) {
            return org.multiprocessing4j.platform.linux.bindings.aarch64.stat.st_size(s);
        }

        @Override
        int statUid(MemorySegment s) {
            return org.multiprocessing4j.platform.linux.bindings.aarch64.stat.st_uid(s);
        }

        @Override
        int statMode(MemorySegment s) {
            return org.multiprocessing4j.platform.linux.bindings.aarch64.stat.st_mode(s);
        }

        @Override
        long statInode(MemorySegment s) {
            return org.multiprocessing4j.platform.linux.bindings.aarch64.stat.st_ino(s);
        }

        @Override
        long sysOpenat() {
            return 56; // asm-generic numbering
        }

        @Override
        long sysFcntl() {
            return 25;
        }
    };

    private final long sysFutex;
    private final Syscalls syscalls;

    LinuxArch(long sysFutex, Syscalls syscalls) {
        this.sysFutex = sysFutex;
        this.syscalls = syscalls;
    }

    /**
     * The numbers of the system calls {@link LinuxPlatform} makes through {@code syscall(2)}
     * (they differ between architectures).
     */
    record Syscalls(long read, long write, long recvfrom, long sendto, long prctl, long getpid,
                    long getppid, long close, long shutdown) {
    }

    /** {@return this architecture's numbers of the system calls made through syscall(2)} */
    Syscalls syscalls() {
        return syscalls;
    }

    /** {@return the size of this architecture's {@code struct stat}} */
    abstract long statLayoutSize();

    /** {@return {@code st_size} of a {@code struct stat}} */
    abstract long statSize(MemorySegment stat);

    /** {@return {@code st_uid} of a {@code struct stat}} */
    abstract int statUid(MemorySegment stat);

    /** {@return {@code st_mode} of a {@code struct stat}} */
    abstract int statMode(MemorySegment stat);

    /** {@return {@code st_ino} of a {@code struct stat}} */
    abstract long statInode(MemorySegment stat);

    /**
     * {@return the number of the openat system call} The two numbers below are not yet in the
     * generated {@code LibcArch} (they were needed when jextract was not at hand): the values are
     * the kernel's system call ABI, which never changes. At the next {@code scripts/jextract}
     * run, add {@code SYS_openat} and {@code SYS_fcntl} to {@code native/linux/includes-arch.txt}
     * and return {@code LibcArch.SYS_openat()} / {@code SYS_fcntl()} instead.
     */
    abstract long sysOpenat();

    /** {@return the number of the fcntl system call} See {@link #sysOpenat()}. */
    abstract long sysFcntl();

    /** {@return the number of the futex system call} */
    long sysFutex() {
        return sysFutex;
    }
}
