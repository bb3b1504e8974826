package org.multiprocessing4j.bench;

import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.SharedEvent;
import org.multiprocessing4j.SharedLock;
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
 * How long after its holder is SIGKILLed does another process get a {@link SharedLock}, with the
 * machine under load? Each iteration starts a child that takes the lock and says so; the timed
 * part kills it and acquires the lock (which takes over on proof of death). Two busy threads in
 * this JVM keep both cores loaded meanwhile. Read the p99 of the single shots. CPython's
 * {@code multiprocessing.Lock} has no peer value: its waiters wait forever.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar LockRecoveryBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 5, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 1)
@Measurement(iterations = 20)
public class LockRecoveryBench {
    private SharedLock lock;
    private SharedEvent holding;
    private ChildProcess holder;
    private Thread[] load;
    private volatile boolean stop;

    @Setup(Level.Trial)
    public void startLoad() throws Exception {
        lock = SharedLock.create();
        holding = SharedEvent.create();
        load = new Thread[2];
        for (int i = 0; i < load.length; i++) {
            load[i] = Thread.ofPlatform().daemon().start(() -> {
                long x = 0;
                while (!stop) {
                    x += System.nanoTime() % 7;
                }
                if (x == 42) {
                    System.out.print("");
                }
            });
        }
    }

    @Setup(Level.Iteration)
    public void startHolder() throws Exception {
        holding.clear();
        SharedLock l = lock;
        SharedEvent h = holding;
        holder = new ChildProcess(() -> {
            l.lock();
            h.set();
            Thread.sleep(600_000);
        });
        holder.start();
        if (!holding.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the holder did not take the lock");
        }
    }

    @Benchmark
    public boolean killHolderThenLock() throws Exception {
        holder.kill();
        lock.lock();
        boolean died = !lock.isConsistent();
        lock.markConsistent();
        lock.unlock();
        return died;
    }

    @TearDown(Level.Iteration)
    public void reapHolder() throws Exception {
        holder.join();
        holder.close();
    }

    @TearDown(Level.Trial)
    public void stopLoad() throws Exception {
        stop = true;
        for (Thread t : load) {
            t.join();
        }
        holding.close();
        lock.close();
    }
}
