package org.multiprocessing4j.examples;

import java.io.IOException;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Pipe;

/**
 * Seed 02 ("Multiprocessing in Python (72/100 Days of Python)"), section "Sharing Data with
 * Pipes": the parent sends 10, 20, 30 and {@code "stop"}; the child doubles each number and
 * sends it back; the parent joins the child, then drains the results with {@code poll()}.
 */
public final class DoublingWorker {
    private DoublingWorker() {
    }

    static void worker(Connection conn) throws IOException {
        while (true) { // Loop until the parent process sends a stop message
            Object msg = conn.recv(); // Receive a message from the parent process
            if ("stop".equals(msg)) { // Check for the stop
                break;
            }
            int res = (Integer) msg * 2; // Process the message
            conn.send(res); // Send the result back to the parent process
        }
    }

    public static void main(String[] args) throws Exception {
        // Unlike the pipe examples, the parent keeps its copy of childConn open until it has
        // drained the results, as the seed does: once every copy of that end is closed (the
        // child's closes when it exits), poll() reports end of stream as "ready" and the last
        // recv() would throw EOFException instead of the loop simply ending.
        try (Pipe pipe = Pipe.open()) {
            Connection parentConn = pipe.first();
            Connection childConn = pipe.second();
            try (ChildProcess p = new ChildProcess(() -> worker(childConn))) {
                p.start();
                // Send some messages to the child process
                parentConn.send(10);
                parentConn.send(20);
                parentConn.send(30);
                parentConn.send("stop"); // Send the stop message
                p.join(); // Wait for the child process to finish
            }
            // Receive the results from the child process
            while (parentConn.poll()) {
                Object result = parentConn.recv();
                System.out.println(result);
            }
        }
    }
}
