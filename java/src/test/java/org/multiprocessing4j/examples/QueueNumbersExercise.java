package org.multiprocessing4j.examples;

import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.SharedQueue;

/**
 * Seed 04 ("Process Communication in Python"), "Hands-on Exercise: Implement Producer-Consumer
 * with Queue": one process produces numbers and another consumes and prints them; expected
 * output: the consumer prints all produced numbers and exits cleanly. Following the seed's hint,
 * the producer puts 1..5 with {@code put()} and then a sentinel; the consumer {@code take()}s
 * (Python's {@code get()}) until the sentinel, says it is done and returns; the parent joins
 * both and prints the consumer's exit code, 0 for a clean exit.
 *
 * <p>The sentinel: Python would put {@code None}, which a {@link SharedQueue} refuses (no
 * {@link java.util.concurrent.BlockingQueue} accepts {@code null}); the queue here holds only
 * numbers, so rather than widening it to {@code SharedQueue<Object>} for an enum poison pill
 * (as {@link QueueProducerConsumer} does), it stays a {@code SharedQueue<Integer>} and the end
 * of stream is a reserved number, {@link #END}, which the producer never produces. That is the
 * lighter choice when the item type has a value to spare.
 */
public final class QueueNumbersExercise {
    /** The sentinel: a number that is never produced. */
    static final Integer END = -1;

    private QueueNumbersExercise() {
    }

    static void produceNumbers(SharedQueue<Integer> queue, int count) throws InterruptedException {
        for (int n = 1; n <= count; n++) {
            queue.put(n);
        }
        queue.put(END); // no more numbers
    }

    static void printNumbers(SharedQueue<Integer> queue) throws InterruptedException {
        while (true) {
            int n = queue.take();
            if (n == END) {
                break;
            }
            System.out.println("Consumed " + n);
        }
        System.out.println("Consumer got the sentinel and exits.");
    }

    public static void main(String[] args) throws Exception {
        try (SharedQueue<Integer> queue = SharedQueue.create();
             ChildProcess producer = new ChildProcess(() -> produceNumbers(queue, 5));
             ChildProcess consumer = new ChildProcess(() -> printNumbers(queue))) {
            producer.start();
            consumer.start();
            producer.join();
            consumer.join();
            System.out.println("Consumer exit code: " + consumer.exitCode().orElseThrow());
        }
    }
}
