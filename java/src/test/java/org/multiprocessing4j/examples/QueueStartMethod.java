package org.multiprocessing4j.examples;

import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Multiprocessing;
import org.multiprocessing4j.SharedQueue;

/**
 * Seed 03 (the article on {@code multiprocessing.Queue} and the reader-writer model), section
 * "Process Start Methods and Platform Compatibility": with the start method set to {@code spawn},
 * a worker process puts {@code "Process completed"} into a queue; the parent takes it, prints it
 * and joins the worker.
 *
 * <p>The seed calls {@code mp.set_start_method('spawn')}. Its Java counterpart,
 * {@link Multiprocessing#setStartMethod(String)}, may be called only once per JVM and throws if
 * the start method was already set, like Python's; and nothing tells whether it was (the
 * default context reports {@code spawn} either way). Since {@code Demo} runs every example in one
 * JVM, this twin takes the other road Python offers, a context:
 * {@code Multiprocessing.context("spawn")} (Python's {@code mp.get_context('spawn')}), whose
 * {@code process(...)} starts a child with that method without touching the JVM-wide default.
 * {@code spawn} is the only start method a JVM can use ({@code fork} is refused), so the result
 * is the same either way.
 */
public final class QueueStartMethod {
    private QueueStartMethod() {
    }

    static void workerFunction(SharedQueue<String> queue) throws InterruptedException {
        queue.put("Process completed");
    }

    public static void main(String[] args) throws Exception {
        // Choose the start method (typically spawn on Windows; the only one for a JVM)
        Multiprocessing mp = Multiprocessing.context("spawn");
        try (SharedQueue<String> q = SharedQueue.create();
             ChildProcess p = mp.process(() -> workerFunction(q))) {
            p.start();
            String result = q.take();
            System.out.println(result);
            p.join();
        }
    }
}
