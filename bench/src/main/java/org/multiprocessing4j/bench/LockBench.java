package org.multiprocessing4j.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.SharedEvent;
import org.multiprocessing4j.SharedLock;
import org.multiprocessing4j.SharedMemory;
import org.multiprocessing4j.SharedReentrantLock;
import org.multiprocessing4j.SharedSemaphore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What do the process-shared locks cost?
 *
 * <ul>
 *   <li>{@code uncontended*}: one lock/unlock pair in this JVM, nobody else using the lock,
 *       {@code ns/op}; {@link #uncontendedJdkReentrantLock} is the in-process JDK baseline.
 *   <li>{@code floor*}: what any lock costs at least, in this JVM: {@link #floorSegmentCasPair}
 *       is a compare-and-set that takes a word of shared memory and one that gives it back, through
 *       the same {@code MemorySegment} access the locks use (bounds, alignment and liveness checks
 *       included); {@link #floorHeapCasPair} is the same pair on an {@link AtomicLong}. The
 *       difference between the two is the price of reaching shared memory through the FFM API.
 *       {@link #floorSegmentLockWords} adds what {@code SharedLock}'s uncontended lock and unlock
 *       do besides (the thread record written and cleared, the owner word read before the release,
 *       the owner-died flag and the sleeper count read) on the same bare segment, with constant
 *       offsets and no objects in between: the lock's word protocol without its object graph.
 *   <li>{@code handoff*}: round trip between this JVM and a child, {@code us/op}: we release
 *       the child's primitive and wait for it to release ours (two cross-process hand-offs per
 *       op). Through a pair of {@link SharedSemaphore}s and through a pair of {@link SharedEvent}s.
 * </ul>
 *
 * Lambdas given to {@link ChildProcess} capture only locals (a field would capture the
 * non-serializable state object).
 */
@Fork(value = 5, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
public class LockBench {

    /** Locks used by one thread only. */
    @State(Scope.Thread)
    public static class Uncontended {
        SharedLock lock;
        SharedReentrantLock rlock;
        final ReentrantLock jdk = new ReentrantLock();
        /** A page of shared memory whose first word the floor rows take and give back. */
        SharedMemory memory;
        MemorySegment word;
        final AtomicLong heapWord = new AtomicLong();

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            lock = SharedLock.create();
            rlock = SharedReentrantLock.create();
            memory = SharedMemory.create(4096);
            word = memory.segment();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            lock.close();
            rlock.close();
            memory.close();
        }
    }

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    /** What the floor rows store while they "hold" the word (any value but 0). */
    private static final long TAKEN = ProcessHandle.current().pid();

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void uncontendedSharedLock(Uncontended s) {
        s.lock.lock();
        s.lock.unlock();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void uncontendedSharedReentrantLock(Uncontended s) {
        s.rlock.lock();
        s.rlock.unlock();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void uncontendedJdkReentrantLock(Uncontended s) {
        s.jdk.lock();
        s.jdk.unlock();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public boolean floorSegmentCasPair(Uncontended s) {
        return LONG.compareAndSet(s.word, 0L, 0L, TAKEN) & LONG.compareAndSet(s.word, 0L, TAKEN, 0L);
    }

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public boolean floorSegmentLockWords(Uncontended s) {
        MemorySegment w = s.word;
        boolean taken = LONG.compareAndSet(w, 0L, 0L, TAKEN);
        LONG.setOpaque(w, 8L, Thread.currentThread().threadId());
        if ((long) LONG.getVolatile(w, 0L) != TAKEN) {
            return false;
        }
        LONG.setOpaque(w, 8L, 0L);
        boolean died = (int) INT.getVolatile(w, 20L) != 0;
        boolean released = LONG.compareAndSet(w, 0L, TAKEN, died ? -1L : 0L);
        return taken & released & (int) INT.getVolatile(w, 128L) == 0;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public boolean floorHeapCasPair(Uncontended s) {
        return s.heapWord.compareAndSet(0L, TAKEN) & s.heapWord.compareAndSet(TAKEN, 0L);
    }

    /** A child that answers every ping (a permit) with a pong. */
    @State(Scope.Thread)
    public static class SemaphorePingPong {
        SharedSemaphore ping;
        SharedSemaphore pong;
        ChildProcess child;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            ping = SharedSemaphore.create(0);
            pong = SharedSemaphore.create(0);
            SharedSemaphore in = ping;
            SharedSemaphore out = pong;
            child = new ChildProcess(() -> {
                while (true) {
                    if (!in.tryAcquire(10, TimeUnit.SECONDS)) {
                        return; // the parent stopped pinging
                    }
                    out.release();
                }
            });
            child.setDaemon(true);
            child.start();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            child.kill();
            child.join();
            child.close();
            ping.close();
            pong.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void handoffSemaphore(SemaphorePingPong s) throws InterruptedException {
        s.ping.release();
        s.pong.acquire();
    }

    /** A child that answers every set of {@code ping} by clearing it and setting {@code pong}. */
    @State(Scope.Thread)
    public static class EventPingPong {
        SharedEvent ping;
        SharedEvent pong;
        ChildProcess child;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            ping = SharedEvent.create();
            pong = SharedEvent.create();
            SharedEvent in = ping;
            SharedEvent out = pong;
            child = new ChildProcess(() -> {
                while (true) {
                    if (!in.await(10, TimeUnit.SECONDS)) {
                        return;
                    }
                    in.clear();
                    out.set();
                }
            });
            child.setDaemon(true);
            child.start();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            child.kill();
            child.join();
            child.close();
            ping.close();
            pong.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void handoffEvent(EventPingPong s) throws InterruptedException {
        s.ping.set();
        s.pong.await();
        s.pong.clear();
    }
}
