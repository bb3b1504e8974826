package org.multiprocessing4j.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.SharedLock;
import org.multiprocessing4j.SharedQueue;
import org.multiprocessing4j.SharedSemaphore;

/**
 * Seed 05 (the producer-consumer tutorial with {@code Process}, {@code Queue} and {@code Lock}):
 * three producer processes put their lists of names on one queue, six daemonic consumer
 * processes loop forever taking names off it, and a lock shared by all of them keeps their
 * lines on the console from mixing ({@code with lock: print(...)}, here {@link #say}). Every
 * line a child prints carries its pid.
 *
 * <p>The seed sleeps {@code randint(0, 10)} seconds before each put and each get; here 0 to
 * 0.2 s, in the same eleven steps (20 ms each), so that the demo stays quick.
 *
 * <p><b>Ending.</b> The seed's parent joins the producers, prints {@code Parent process
 * exiting...} and exits, and the daemonic consumers, which never return, are terminated at exit,
 * possibly before they have printed the last names (or even started). This twin must end
 * cleanly inside {@code Demo}, where all examples share one JVM and "exit" comes only after the
 * last example, and it must print every name exactly once. So the consumers stay daemonic (the
 * safety net if the parent dies) but the parent ends them itself: after joining the producers it
 * waits until every consumer line has been printed (the consumers release the {@code printed}
 * semaphore after each line, as Python's {@code JoinableQueue.task_done()} would count items),
 * so the queue is drained and nobody holds the console lock; then it terminates and joins the
 * consumers, and only then prints its last line, after which no consumer can print.
 */
public final class ProducersConsumersLock {
    private ProducersConsumersLock() {
    }

    /** Print one line while holding the console lock (the seed's {@code with lock: print(...)}). */
    static void say(SharedLock lock, String line) {
        // Synchronize access to the console
        lock.lock();
        try {
            System.out.println(line);
        } finally {
            lock.unlock();
        }
    }

    /** The seed's {@code time.sleep(random.randint(0, 10))}, scaled down to 0..0.2 s. */
    static void randomSleep() throws InterruptedException {
        Thread.sleep(ThreadLocalRandom.current().nextInt(0, 11) * 20L);
    }

    /** Producer function that places data on the queue. */
    static void producer(SharedQueue<String> queue, SharedLock lock, List<String> names)
            throws InterruptedException {
        long pid = ProcessHandle.current().pid();
        say(lock, "Starting producer => " + pid);
        // Place our names on the queue
        for (String name : names) {
            randomSleep();
            queue.put(name);
        }
        say(lock, "Producer " + pid + " exiting...");
    }

    /** The consumer function takes data off of the queue; it runs until it is terminated. */
    static void consumer(SharedQueue<String> queue, SharedLock lock, SharedSemaphore printed)
            throws InterruptedException {
        long pid = ProcessHandle.current().pid();
        say(lock, "Starting consumer => " + pid);
        printed.release();
        // Run indefinitely
        while (true) {
            randomSleep();
            // If the queue is empty, take() will block until the queue has data
            String name = queue.take();
            say(lock, pid + " got " + name);
            printed.release();
        }
    }

    public static void main(String[] args) throws Exception {
        // Some lists with our favorite characters
        List<List<String>> names = List.of(
                List.of("Master Shake", "Meatwad", "Frylock", "Carl"),
                List.of("Early", "Rusty", "Sheriff", "Granny", "Lil"),
                List.of("Rick", "Morty", "Jerry", "Summer", "Beth"));
        int consumerCount = names.size() * 2;
        int nameCount = names.stream().mapToInt(List::size).sum();

        // Create the queue, a lock to synchronize access to the console, and a count of the
        // lines the consumers have printed
        try (SharedQueue<String> queue = SharedQueue.create();
             SharedLock lock = SharedLock.create();
             SharedSemaphore printed = SharedSemaphore.create(0)) {
            List<ChildProcess> producers = new ArrayList<>();
            List<ChildProcess> consumers = new ArrayList<>();
            for (List<String> n : names) {
                // Create our producer processes, passing the producer function its arguments
                producers.add(new ChildProcess(() -> producer(queue, lock, n)));
            }
            // Create consumer processes
            for (int i = 0; i < consumerCount; i++) {
                ChildProcess p = new ChildProcess(() -> consumer(queue, lock, printed));
                // The consumer function has an infinite loop: as in the seed, daemonic children
                // are terminated when the parent exits, should it exit before ending them below
                p.setDaemon(true);
                consumers.add(p);
            }
            // Start the producers and consumers
            for (ChildProcess p : producers) {
                p.start();
            }
            for (ChildProcess c : consumers) {
                c.start();
            }
            // Wait for the producers
            for (ChildProcess p : producers) {
                p.join();
                p.close();
            }
            // Unlike the seed (see the class comment): wait until every consumer has started
            // and every name has been taken and printed, then end the consumers explicitly
            // rather than at JVM exit, since Demo runs further examples in this JVM.
            for (int line = 0; line < consumerCount + nameCount; line++) {
                printed.acquire();
            }
            for (ChildProcess c : consumers) {
                c.terminate();
            }
            for (ChildProcess c : consumers) {
                c.join();
                c.close();
            }
        }
        System.out.println("Parent process exiting...");
    }
}
