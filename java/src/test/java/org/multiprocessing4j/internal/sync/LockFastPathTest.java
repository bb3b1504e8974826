package org.multiprocessing4j.internal.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.SharedLock;
import org.multiprocessing4j.SharedReentrantLock;
import org.multiprocessing4j.internal.RegionHeader;

/**
 * The uncontended lock and unlock paths of the two locks: what they do to the mutex words, and
 * their shape. They must stay small, loop-free and allocation-free methods with the slow paths
 * (spin, sleep, take-over, another process's hold) in methods of their own: C2 then inlines them
 * into the caller whatever order it compiles things in. With a slow path inside, whether
 * {@code releaseAny} was inlined depended on whether C2 had already compiled it on its own
 * ("already compiled into a big method"), and the uncontended cost swung from run to run (see
 * {@code RobustMutex}'s "Fast paths").
 */
@Timeout(60)
class LockFastPathTest {
    private static final LongPredicate ALIVE = t -> MutexLayout.holder(t) == ProcessToken.self();
    private static final long BASE = LockLayout.MUTEX_OFFSET;
    /** Bytes of bytecode a fast path may have: room for its word accesses, not for a slow path. */
    private static final int MAX_FAST_PATH_BYTES = 100;

    private static MemorySegment block(Arena a) {
        MemorySegment s = a.allocate(LockLayout.SIZE, 128);
        RegionHeader.publish(s, LockLayout.MAGIC_LOCK, LockLayout.VERSION, LockLayout.SIZE, true,
                ProcessToken.self());
        return s;
    }

    @Test
    void theFastPathsTakeAndGiveBackTheOwnerWordAndKeepTheThreadRecord() {
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = block(a);
            RobustMutex m = new RobustMutex(s, BASE, ALIVE);
            assertTrue(m.tryAcquireFree());
            assertEquals(ProcessToken.self(), m.owner());
            assertTrue(m.heldByCurrentThread());
            assertFalse(m.tryAcquireFree()); // held: no reentry on the fast path
            assertTrue(m.releaseOwn());
            assertEquals(0, m.owner());
            assertEquals(0, Words.longVolatile(s, BASE + MutexLayout.OWNER_THREAD_OFFSET));
            assertFalse(m.releaseOwn()); // free: nothing to release, nothing changed
            assertEquals(0, m.owner());
        }
    }

    @Test
    void theFastReleaseOfAnUnrepairedTakeOverMakesTheMutexNotRecoverable() throws Exception {
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = block(a);
            Words.setLongVolatile(s, BASE + MutexLayout.OWNER_OFFSET, ProcessToken.self() + 1); // dead
            RobustMutex m = new RobustMutex(s, BASE, ALIVE);
            assertEquals(RobustMutex.Result.OWNER_DIED, m.acquire(0, true));
            assertTrue(m.releaseOwn());
            assertEquals(MutexLayout.NOT_RECOVERABLE, m.owner());
            assertFalse(m.tryAcquireFree());
            assertFalse(m.releaseAny());
        }
    }

    @Test
    void theFastReleaseLeavesAnotherProcesssHoldAlone() {
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = block(a);
            long other = ProcessToken.self() + 1;
            Words.setLongVolatile(s, BASE + MutexLayout.OWNER_OFFSET, other);
            Words.setLongVolatile(s, BASE + MutexLayout.OWNER_THREAD_OFFSET, 42);
            RobustMutex m = new RobustMutex(s, BASE, t -> true); // the other process lives
            assertFalse(m.releaseOwn());
            assertEquals(other, m.owner());
            assertEquals(42, Words.longVolatile(s, BASE + MutexLayout.OWNER_THREAD_OFFSET));
        }
    }

    @Test
    void theFastPathsAreSmallLoopFreeAndAllocateNothing() throws IOException {
        List<String> problems = new ArrayList<>();
        check(RobustMutex.class, Set.of("tryAcquireFree", "releaseOwn", "releaseHeld", "releaseAny",
                "heldByCurrentThread"), problems);
        check(SyncRegion.class, Set.of("mutex"), problems);
        check(SharedLock.class, Set.of("lock", "unlock"), problems);
        check(SharedReentrantLock.class, Set.of("lock", "unlock"), problems);
        assertEquals(List.of(), problems);
    }

    private static void check(Class<?> c, Set<String> names, List<String> problems)
            throws IOException {
        ClassModel cm;
        try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
            cm = ClassFile.of().parse(in.readAllBytes());
        }
        Set<String> seen = new HashSet<>();
        for (MethodModel mm : cm.methods()) {
            String name = mm.methodName().stringValue();
            if (!names.contains(name) || mm.code().isEmpty()
                    || !mm.methodType().stringValue().startsWith("()")) {
                continue;
            }
            seen.add(name);
            CodeModel code = mm.code().get();
            String where = c.getSimpleName() + "." + name;
            int size = code.findAttribute(java.lang.classfile.Attributes.code())
                    .map(k -> k.codeLength()).orElse(0);
            if (size > MAX_FAST_PATH_BYTES) {
                problems.add(where + ": " + size + " bytes of bytecode");
            }
            Set<Label> bound = new HashSet<>();
            for (CodeElement e : code) {
                if (e instanceof LabelTarget t) {
                    bound.add(t.label());
                } else if (e instanceof BranchInstruction b && bound.contains(b.target())) {
                    problems.add(where + ": a loop");
                } else if (e instanceof NewObjectInstruction n
                        && !n.className().asInternalName().endsWith("Exception")) {
                    problems.add(where + ": allocates " + n.className().asInternalName());
                }
            }
        }
        for (String n : names) {
            if (!seen.contains(n)) {
                problems.add(c.getSimpleName() + "." + n + "(): not found");
            }
        }
    }
}
