package org.multiprocessing4j.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.multiprocessing4j.SharedBarrier;
import org.multiprocessing4j.SharedLock;
import org.multiprocessing4j.SharedQueue;
import org.multiprocessing4j.SharedReentrantLock;
import org.multiprocessing4j.SharedSemaphore;

/**
 * The peer of {@code PidNamespaceTest}, run in another PID namespace ({@code unshare -p}) that
 * shares {@code /dev/shm}: opens a named primitive, acts, and reports each step as a line on
 * stdout. It reads its cue lines from stdin and exits at end of input (its parent died).
 */
public final class NamespacePeerMain {
    private NamespacePeerMain() {
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String kind = args[0];
        String name = args[1];
        switch (kind) {
            case "lock-try" -> {
                try (SharedLock lock = SharedLock.open(name)) {
                    boolean got = lock.tryLock(2, TimeUnit.SECONDS);
                    say("got=" + got);
                    if (got) {
                        lock.unlock();
                    }
                }
            }
            case "lock-hold" -> {
                try (SharedLock lock = SharedLock.open(name)) {
                    lock.lock();
                    say("held");
                    cue(in);
                    lock.unlock();
                    say("released");
                }
            }
            case "rlock-try" -> {
                try (SharedReentrantLock lock = SharedReentrantLock.open(name)) {
                    boolean got = lock.tryLock(2, TimeUnit.SECONDS);
                    say("got=" + got);
                    if (got) {
                        lock.unlock();
                    }
                }
            }
            case "rlock-hold" -> {
                try (SharedReentrantLock lock = SharedReentrantLock.open(name)) {
                    lock.lock();
                    say("held");
                    cue(in);
                    lock.unlock();
                    say("released");
                }
            }
            case "barrier-await" -> {
                try (SharedBarrier barrier = SharedBarrier.open(name)) {
                    say("opened");
                    String outcome;
                    try {
                        barrier.await(Long.parseLong(args[2]), TimeUnit.MILLISECONDS);
                        outcome = "passed";
                    } catch (TimeoutException e) {
                        outcome = "timeout";
                    } catch (BrokenBarrierException e) {
                        outcome = "broken";
                    }
                    say(outcome);
                }
            }
            case "sem-acquire-release" -> {
                try (SharedSemaphore sem = SharedSemaphore.open(name)) {
                    boolean got = sem.tryAcquire(30, TimeUnit.SECONDS);
                    say("acquired=" + got);
                    sem.release(2);
                    say("released");
                }
            }
            case "queue-take" -> {
                int n = Integer.parseInt(args[2]);
                try (SharedQueue<byte[]> q = SharedQueue.open(name)) {
                    say("opened");
                    long sum = 0;
                    for (int i = 0; i < n; i++) {
                        byte[] r = q.poll(30, TimeUnit.SECONDS);
                        if (r == null) {
                            say("missing after " + i);
                            return;
                        }
                        sum += r[0] & 0xFF;
                    }
                    say("took " + n + " sum " + sum);
                }
            }
            case "queue-put" -> {
                int n = Integer.parseInt(args[2]);
                int size = Integer.parseInt(args[3]);
                try (SharedQueue<byte[]> q = SharedQueue.open(name)) {
                    say("opened");
                    int failed = 0;
                    String first = null;
                    for (int i = 0; i < n; i++) {
                        byte[] r = new byte[size];
                        r[0] = (byte) i;
                        try {
                            q.put(r);
                        } catch (RuntimeException e) {
                            failed++;
                            first = first == null ? e.toString() : first;
                        }
                    }
                    say("put " + n + " failed " + failed + (first == null ? "" : " first " + first));
                }
            }
            default -> throw new IllegalArgumentException(kind);
        }
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private static void cue(BufferedReader in) throws Exception {
        if (in.readLine() == null) {
            System.exit(3); // the test is gone
        }
    }
}
