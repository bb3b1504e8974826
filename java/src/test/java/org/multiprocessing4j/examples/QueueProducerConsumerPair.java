package org.multiprocessing4j.examples;

import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.SharedQueue;

/**
 * Seed 04 ("Process Communication in Python"), section "Practical Examples", second example: a
 * producer process puts {@code item 0} .. {@code item 4}, one every 0.1 s; a consumer process
 * prints {@code Consumed: item i} until it takes the sentinel, which here the parent puts after
 * joining the producer.
 *
 * <p>Python's sentinel is {@code None}, which a {@link SharedQueue} refuses (no
 * {@link java.util.concurrent.BlockingQueue} accepts {@code null}); the Java twin puts the enum
 * constant {@link End#OF_STREAM} instead, a poison pill that no item can be confused with and
 * that decodes to the same constant in the consumer, so {@code item == End.OF_STREAM} reads like
 * {@code item is None} (see {@link QueueProducerConsumer} for why not {@code Optional}). The
 * seed's 0.1 s sleep is kept as is.
 */
public final class QueueProducerConsumerPair {
    private QueueProducerConsumerPair() {
    }

    /** The end-of-stream marker: Python's {@code None} sentinel. */
    enum End { OF_STREAM }

    static void producer(SharedQueue<Object> q) throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            q.put("item " + i);
            Thread.sleep(100);
        }
    }

    static void consumer(SharedQueue<Object> q) throws InterruptedException {
        while (true) {
            Object item = q.take();
            if (item == End.OF_STREAM) {
                break;
            }
            System.out.println("Consumed: " + item);
        }
    }

    public static void main(String[] args) throws Exception {
        try (SharedQueue<Object> q = SharedQueue.create();
             ChildProcess p1 = new ChildProcess(() -> producer(q));
             ChildProcess p2 = new ChildProcess(() -> consumer(q))) {
            p1.start();
            p2.start();
            p1.join();
            q.put(End.OF_STREAM); // Signal consumer to exit
            p2.join();
        }
    }
}
