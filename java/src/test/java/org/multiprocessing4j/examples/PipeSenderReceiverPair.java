package org.multiprocessing4j.examples;

import java.io.IOException;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Pipe;

/**
 * Seed 04 ("Process Communication in Python"), section "Practical Examples", first example: a
 * sender process and a receiver process joined by a pipe.
 */
public final class PipeSenderReceiverPair {
    private PipeSenderReceiverPair() {
    }

    static void sender(Connection conn) throws IOException {
        conn.send("Hello from sender");
        conn.close();
    }

    static void receiver(Connection conn) throws IOException {
        Object msg = conn.recv();
        System.out.println("Received: " + msg);
        conn.close();
    }

    public static void main(String[] args) throws Exception {
        Pipe pipe = Pipe.open();
        Connection parentConn = pipe.first();
        Connection childConn = pipe.second();
        try (ChildProcess p1 = new ChildProcess(() -> sender(parentConn));
             ChildProcess p2 = new ChildProcess(() -> receiver(childConn))) {
            p1.start();
            p2.start();
            // Each child has its own copy of its end; the parent uses neither.
            pipe.close();
            p1.join();
            p2.join();
        }
    }
}
