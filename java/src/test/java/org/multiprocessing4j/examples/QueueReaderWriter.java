package org.multiprocessing4j.examples;

import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.SharedQueue;

/**
 * Seed 03 (the article on {@code multiprocessing.Queue} and the reader-writer model), section
 * "Implementation Principles of Shared Queues": the queue is created in the parent and passed to a
 * reader and a writer process; the writer puts 0..9 and then {@code "DONE"}, the reader prints
 * {@code Received: i} until it takes {@code "DONE"}.
 *
 * <p>The seed's sentinel is already a marker string, not {@code None}, so it carries over as is:
 * the queue holds both numbers and strings, a {@code SharedQueue<Object>} as in Python.
 */
public final class QueueReaderWriter {
    private QueueReaderWriter() {
    }

    /** Reader process: retrieves data from queue. */
    static void readerProcess(SharedQueue<Object> queue) throws InterruptedException {
        while (true) {
            Object message = queue.take();
            if ("DONE".equals(message)) {
                break;
            }
            System.out.println("Received: " + message);
        }
    }

    /** Writer process: sends data to queue. */
    static void writerProcess(int count, SharedQueue<Object> queue) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            queue.put(i);
        }
        queue.put("DONE");
    }

    public static void main(String[] args) throws Exception {
        try (SharedQueue<Object> sharedQueue = SharedQueue.create();
             ChildProcess reader = new ChildProcess(() -> readerProcess(sharedQueue));
             ChildProcess writer = new ChildProcess(() -> writerProcess(10, sharedQueue))) {
            reader.start();
            writer.start();
            writer.join();
            reader.join();
        }
    }
}
