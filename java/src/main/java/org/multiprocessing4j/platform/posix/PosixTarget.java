package org.multiprocessing4j.platform.posix;

import java.lang.foreign.MemorySegment;
import org.multiprocessing4j.platform.UnsupportedPlatformException;

/**
 * What differs between the architectures the posix bindings were generated for: the layout of
 * {@code struct stat}, of {@code sem_t}, and the byte-range lock commands, from the
 * per-architecture bindings packages ({@code scripts/jextract} generates each from its own
 * target's headers). Public for the Linux backend, which reads {@code struct stat} the same way.
 */
public enum PosixTarget {
    /** x86_64 / amd64. */
    X86_64 {
        @Override
        public long statLayoutSize() {
            return org.multiprocessing4j.platform.posix.bindings.x86_64.stat.sizeof();
        }

        @Override
        public long statSize(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.x86_64.stat.st_size(s);
        }

        @Override
        public int statUid(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.x86_64.stat.st_uid(s);
        }

        @Override
        public int statMode(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.x86_64.stat.st_mode(s);
        }

        @Override
        public long statInode(MemorySegment s) {
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
        public long statLayoutSize() {
            return org.multiprocessing4j.platform.posix.bindings.aarch64.stat.sizeof();
        }

        @Override
        public long statSize(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.aarch64.stat.st_size(s);
        }

        @Override
        public int statUid(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.aarch64.stat.st_uid(s);
        }

        @Override
        public int statMode(MemorySegment s) {
            return org.multiprocessing4j.platform.posix.bindings.aarch64.stat.st_mode(s);
        }

        @Override
        public long statInode(MemorySegment s) {
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
    public static PosixTarget of(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64", "arm64" -> AARCH64;
            default -> throw new UnsupportedPlatformException("posix", osArch);
        };
    }

    /** {@return {@code sizeof(struct stat)}} */
    public abstract long statLayoutSize();

    /** {@return {@code st_size} of a {@code struct stat}} @param stat the struct */
    public abstract long statSize(MemorySegment stat);

    /** {@return {@code st_uid} of a {@code struct stat}} @param stat the struct */
    public abstract int statUid(MemorySegment stat);

    /** {@return {@code st_mode} of a {@code struct stat}} @param stat the struct */
    public abstract int statMode(MemorySegment stat);

    /** {@return {@code st_ino} of a {@code struct stat}} @param stat the struct */
    public abstract long statInode(MemorySegment stat);

    /** {@return {@code F_GETLK}} */
    abstract int getLock();

    /** {@return {@code F_SETLK}} */
    abstract int setLock();

    /** {@return {@code sizeof(sem_t)}} */
    abstract long semaphoreSize();
}
