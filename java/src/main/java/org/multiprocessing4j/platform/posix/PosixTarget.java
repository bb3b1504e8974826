package org.multiprocessing4j.platform.posix;

import java.lang.foreign.MemorySegment;
import org.multiprocessing4j.platform.UnsupportedPlatformException;

/**
 * What differs between the architectures the posix bindings were generated for: the layout of
 * {@code struct stat}, of {@code sem_t}, and the byte-range lock commands, from the
 * per-architecture bindings packages ({@code scripts/jextract} generates each from its own
 * target's headers).
 */
enum PosixTarget {
    /** x86_64 / amd64. */
    X86_64 {
        @Override
        long statLayoutSize() {
            return org.multiprocessing4j.platform.posix.bindings.x86_64.stat.sizeof();
        }

        @Override
        long statSize(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.x86_64.stat.st_size(s);
        }

        @Override
        int statUid(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.x86_64.stat.st_uid(s);
        }

        @Override
        int statMode(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.x86_64.stat.st_mode(s);
        }

        @Override
        long statInode(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.x86_64.stat.st_ino(s);
        }

        @Override
        int getLock() {
            return org.multiprocessing4j.platform.posix.bindings.x86_64.PosixArch.F_GETLK();
        }

        @Override
        int setLock() {
            return org.multiprocessing4j.platform.posix.bindings.x86_64.PosixArch.F_SETLK();
        }

        @Override
        long semaphoreSize() {
            return org.multiprocessing4j.platform.posix.bindings.x86_64.sem_t.sizeof();
        }
    },
    /** aarch64 / arm64. */
    AARCH64 {
        @Override
        long statLayoutSize() {
            return org.multiprocessing4j.platform.posix.bindings.aarch64.stat.sizeof();
        }

        @Override
        long statSize(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.aarch64.stat.st_size(s);
        }

        @Override
        int statUid(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.aarch64.stat.st_uid(s);
        }

        @Override
        int statMode(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.aarch64.stat.st_mode(s);
        }

        @Override
        long statInode(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.aarch64.stat.st_ino(s);
        }

        @Override
        int getLock() {
            return org.multiprocessing4j.platform.posix.bindings.aarch64.PosixArch.F_GETLK();
        }

        @Override
        int setLock() {
            return org.multiprocessing4j.platform.posix.bindings.aarch64.PosixArch.F_SETLK();
        }

        @Override
        long semaphoreSize() {
            return org.multiprocessing4j.platform.posix.bindings.aarch64.sem_t.sizeof();
        }
    };

    /** {@return the target for {@code os.arch}} @throws UnsupportedPlatformException if none */
    static PosixTarget of(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64", "arm64" -> AARCH64;
            default -> throw new UnsupportedPlatformException("posix", osArch);
        };
    }

    abstract long statLayoutSize();

    abstract long statSize(MemorySegment stat);

    abstract int statUid(MemorySegment stat);

    abstract int statMode(MemorySegment stat);

    abstract long statInode(MemorySegment stat);

    /** {@return {@code F_GETLK}} */
    abstract int getLock();

    /** {@return {@code F_SETLK}} */
    abstract int setLock();

    /** {@return {@code sizeof(sem_t)}} */
    abstract long semaphoreSize();
}
