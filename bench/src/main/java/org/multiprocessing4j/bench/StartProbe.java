package org.multiprocessing4j.bench;

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Multiprocessing;
import org.multiprocessing4j.Pipe;

/**
 * A quick look at one child start, outside JMH: {@code start()} until the first message of a
 * spawned child arrives (what {@link ChildStartBench#startToFirstMessage} times), and the same
 * for a bare {@code java} main ({@link BareChild}), alternating, printing each time and the
 * median. For step-by-step timelines give the children a class-load log, for example
 * {@code -Dmp4j.childJvmOptions=-Xlog:class+load:file=/tmp/child-%p.log:uptime}.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar \
 *     org.multiprocessing4j.bench.StartProbe [rounds]
 * </pre>
 * Single process, a few rounds: indicative only; claims of speed come from the JMH row.
 */
public final class StartProbe {
    private StartProbe() {
    }

    /**
     * Runs the probe.
     *
     * @param args the number of rounds (default 10)
     * @throws Exception if a child cannot be started
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Multiprocessing context = Multiprocessing.context("spawn");
        context.warmUp(Duration.ofMinutes(2));
        List<String> bare = List.of(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1",
                "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                BareChild.class.getName());
        List<Double> ours = new ArrayList<>();
        List<Double> floor = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            try (Pipe pipe = Pipe.open(false)) {
                Connection r = pipe.first();
                Connection w = pipe.second();
                ChildProcess child = context.process(() -> w.sendBytes(new byte[] {1}));
                long t0 = System.nanoTime();
                child.start();
                r.recvBytes();
                ours.add((System.nanoTime() - t0) / 1e6);
                child.join();
                child.close();
            }
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(bare).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try (InputStream in = p.getInputStream()) {
                in.read();
                floor.add((System.nanoTime() - t0) / 1e6);
            }
            p.waitFor();
            System.out.printf("round %d: spawn %.1f ms, bare java %.1f ms%n", i,
                    ours.get(i), floor.get(i));
        }
        System.out.printf("median: spawn %.1f ms, bare java %.1f ms%n", median(ours),
                median(floor));
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v[v.length / 2];
    }
}
