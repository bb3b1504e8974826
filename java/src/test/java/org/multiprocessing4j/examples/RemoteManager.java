package org.multiprocessing4j.examples;

import java.io.Serializable;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Listener;
import org.multiprocessing4j.Manager;
import org.multiprocessing4j.ManagerServer;

/**
 * A remote manager (Python's {@code BaseManager} "using a remote manager" example): this process
 * serves a job queue on a TCP port with an authkey; another process, which knows only the address
 * and the key, connects and puts jobs; this process takes them from its own queue.
 */
public final class RemoteManager {
    private RemoteManager() {
    }

    public static void main(String[] args) throws Exception {
        byte[] authkey = "abracadabra".getBytes(StandardCharsets.UTF_8);
        LinkedBlockingQueue<String> jobs = new LinkedBlockingQueue<>();
        try (ManagerServer server = Manager.builder()
                .register("get_queue", (Manager.Factory<BlockingQueue<String>> & Serializable) () -> jobs)
                .serve(Listener.builder().tcp(0).authkey(authkey))) {
            SocketAddress address = server.address(); // all the other process needs, with the key
            try (ChildProcess client = new ChildProcess(() -> {
                try (Manager m = Manager.connect(address, authkey)) {
                    @SuppressWarnings("unchecked")
                    BlockingQueue<String> queue = m.create("get_queue", BlockingQueue.class);
                    for (int i = 1; i <= 3; i++) {
                        queue.put("job " + i);
                    }
                }
            })) {
                client.start();
                for (int i = 0; i < 3; i++) {
                    System.out.println("server got: " + jobs.take());
                }
                client.join();
            }
        }
    }
}
