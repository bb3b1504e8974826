package org.multiprocessing4j.examples;

import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.SharedQueue;

/**
 * Seed 02 ("Multiprocessing in Python (72/100 Days of Python)"), section "Sharing Data with
 * Queues": a producer process puts the numbers 0 to 9 and then a sentinel; a consumer process
 * prints each number until it takes the sentinel.
 *
 * <p>Python's sentinel is {@code None}, which a {@link SharedQueue} refuses (no
 * {@link java.util.concurrent.BlockingQueue} accepts {@code null}); the Java twin puts the enum
 * constant {@link End#OF_STREAM} instead, a poison pill that no number can be confused with and
 * that decodes to the same constant in the consumer, so {@code item == End.OF_STREAM} reads like
 * {@code item is None} (see {@link QueueProducerConsumer} for why not {@code Optional}).
 */
public final class QueueSharingData {
    private QueueSharingData() {
    }

    /** The end-of-stream marker: Python's {@code None} sentinel. */
    enum End { OF_STREAM }

    static void producer(SharedQueue<Object> queue) throws InterruptedException {
        for (int i = 0; i < 10; i++) {
            queue.put(i);
        }
        queue.put(End.OF_STREAM);
    }

    static void consumer(SharedQueue<Object> queue) throws InterruptedException {
        while (true) {
            Object item = queue.take();
            if (item == End.OF_STREAM) {
                break;
            }
            System.out.println(item);
        }
    }

    public static void main(String[] args) throws Exception {
        try (SharedQueue<Object> q = SharedQueue.create();
             ChildProcess p1 = new ChildProcess(() -> producer(q));
             ChildProcess p2 = new ChildProcess(() -> consumer(q))) {
            p1.start();
            p2.start();
            p1.join();
            p2.join();
        }
    }
}
