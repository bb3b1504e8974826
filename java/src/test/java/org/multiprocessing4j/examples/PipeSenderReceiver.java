package org.multiprocessing4j.examples;

import java.io.EOFException;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Pipe;

/**
 * Seed 01 ("47.2 The multiprocessing Module: Process, Queue, Pipe"), section "Low-Level
 * Communication with Pipe": the parent sends three messages over a duplex pipe and closes its
 * end; the receiver process prints them until end of stream ({@link EOFException}, Python's
 * {@code EOFError}).
 */
public final class PipeSenderReceiver {
    private PipeSenderReceiver() {
    }

    /** Send messages through the connection. */
    static void sender(Connection conn, List<Object> messages) throws IOException {
        for (Object message : messages) {
            conn.send(message);
            System.out.println("Sent: " + message);
        }
        conn.close(); // Important: close the sender's end
    }

    /** Receive messages from the connection until it's closed. */
    static void receiver(Connection conn) throws IOException {
        while (true) {
            try {
                Object message = conn.recv(); // Blocks until data is available
                System.out.println("Received: " + message);
            } catch (EOFException e) { // Thrown when the other end closes the connection
                System.out.println("No more data. Exiting.");
                break;
            }
        }
    }

    public static void main(String[] args) throws Exception {
        // Create a pipe: two ends, parentConn and childConn
        Pipe pipe = Pipe.open();
        Connection parentConn = pipe.first();
        Connection childConn = pipe.second();
        try (ChildProcess p = new ChildProcess(() -> receiver(childConn))) {
            p.start();
            // The child has its own copy of childConn now; the parent does not use that end.
            childConn.close();
            // Use the parent connection in the main process to send data
            sender(parentConn, List.of("Hello", 42, Map.of("key", "value")));
            parentConn.close(); // Close our end after sending (already closed by sender: no-op)
            p.join();
        }
    }
}
