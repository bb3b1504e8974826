package org.multiprocessing4j.examples;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.SharedQueue;

/**
 * Seed 03 (the article on {@code multiprocessing.Queue} and the reader-writer model), section
 * "Multiple Readers - Single Writer Pattern": three daemonic reader processes share one queue; the
 * writer (the parent process itself, as in the seed) puts 0..99 and then one {@code "DONE"} per
 * reader, so that every reader stops; the parent joins the readers. Each number is printed exactly
 * once, by whichever reader took it.
 *
 * <p>As in the seed, the readers are daemonic and joined anyway: {@code daemon} only says what
 * happens if the parent exits first (they are terminated); joining them makes sure that all
 * their output is printed before this example ends.
 */
public final class QueueMultipleReaders {
    private QueueMultipleReaders() {
    }

    /** Reader process: retrieves data from queue (the same as {@link QueueReaderWriter}'s). */
    static void readerProcess(SharedQueue<Object> queue) throws InterruptedException {
        while (true) {
            Object message = queue.take();
            if ("DONE".equals(message)) {
                break;
            }
            System.out.println("Received: " + message);
        }
    }

    /** Start specified number of reader processes. */
    static List<ChildProcess> startReaders(SharedQueue<Object> queue, int numReaders) throws IOException {
        List<ChildProcess> readers = new ArrayList<>();
        for (int r = 0; r < numReaders; r++) {
            ChildProcess reader = new ChildProcess(() -> readerProcess(queue));
            reader.setDaemon(true);
            reader.start();
            readers.add(reader);
        }
        return readers;
    }

    /** Coordinated writing process. */
    static void coordinatedWriter(int count, int numReaders, SharedQueue<Object> queue)
            throws InterruptedException {
        for (int i = 0; i < count; i++) {
            queue.put(i);
        }
        // Notify all reader processes to stop
        for (int r = 0; r < numReaders; r++) {
            queue.put("DONE");
        }
    }

    public static void main(String[] args) throws Exception {
        try (SharedQueue<Object> q = SharedQueue.create()) {
            int numReaders = 3;
            List<ChildProcess> readers = startReaders(q, numReaders);
            coordinatedWriter(100, numReaders, q);
            for (ChildProcess reader : readers) {
                reader.join();
                reader.close();
            }
        }
    }
}
