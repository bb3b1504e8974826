package org.multiprocessing4j.examples;

import java.util.List;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.SharedQueue;

/**
 * Seed 01 ("47.2 The multiprocessing Module: Process, Queue, Pipe"), section "Inter-Process
 * Communication with Queue": a producer puts 1..5 into a queue of at most 3 items (so it blocks
 * while the queue is full), then a sentinel; a consumer prints each item until the sentinel.
 *
 * <p><b>The sentinel.</b> Python puts {@code None}; a {@link SharedQueue}, like every
 * {@link java.util.concurrent.BlockingQueue}, refuses {@code null}. The usual Java idiom is a
 * "poison pill", and the clearest pill is an enum constant, {@link End#OF_STREAM}: it cannot be
 * mistaken for a real item (as a marker number or string could), and Java serialization
 * resolves an enum constant by name, so the consumer's JVM gets back the very same constant and
 * {@code item == End.OF_STREAM} reads like Python's {@code item is None}. ({@code Optional}
 * would be the other natural choice, but it is not {@link java.io.Serializable}, so it cannot be
 * put.) The queue is therefore a {@code SharedQueue<Object>}, as Python's queue holds anything.
 */
public final class QueueProducerConsumer {
    private QueueProducerConsumer() {
    }

    /** The end-of-stream marker: Python's {@code None} sentinel. */
    enum End { OF_STREAM }

    /** Produce items and put them into the queue. */
    static void producer(SharedQueue<Object> queue, List<Integer> items) throws InterruptedException {
        for (int item : items) {
            System.out.println("Producing " + item);
            queue.put(item); // This blocks if the queue is full
        }
        queue.put(End.OF_STREAM); // Sentinel value to signal completion
    }

    /** Consume items from the queue until a sentinel is found. */
    static void consumer(SharedQueue<Object> queue) throws InterruptedException {
        while (true) {
            Object item = queue.take(); // This blocks if the queue is empty
            if (item == End.OF_STREAM) {
                break; // Exit on sentinel value
            }
            System.out.println("Consuming " + item);
        }
        System.out.println("Consumer done.");
    }

    public static void main(String[] args) throws Exception {
        // Create a shared queue; limit its size to demonstrate blocking
        try (SharedQueue<Object> sharedQueue = SharedQueue.create(3);
             // Create processes
             ChildProcess prod = new ChildProcess(() -> producer(sharedQueue, List.of(1, 2, 3, 4, 5)));
             ChildProcess cons = new ChildProcess(() -> consumer(sharedQueue))) {
            prod.start();
            cons.start();
            prod.join();
            cons.join();
        }
        System.out.println("Producer-consumer example finished.");
    }
}
