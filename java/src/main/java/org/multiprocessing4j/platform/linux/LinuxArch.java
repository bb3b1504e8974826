package org.multiprocessing4j.platform.linux;

import java.lang.foreign.MemorySegment;

/**
 * What differs between the Linux architectures: the values come from the per-architecture
 * bindings packages, which {@code scripts/jextract} generates from each target's own headers.
 */
enum LinuxArch {
    /** x86_64 / amd64. */
    X86_64(org.multiprocessing4j.platform.linux.bindings.x86_64.LibcArch.SYS_futex()) {
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
    },
    /** aarch64 / arm64. */
    AARCH64(org.multiprocessing4j.platform.linux.bindings.aarch64.LibcArch.SYS_futex()) {
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
    };

    private final long sysFutex;

    LinuxArch(long sysFutex) {
        this.sysFutex = sysFutex;
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

    /** {@return the number of the futex system call} */
    long sysFutex() {
        return sysFutex;
    }
}
