package org.multiprocessing4j.examples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the Java twins of the Python tutorial examples, then the examples the issues ask for, one
 * after another in this JVM, each under a header {@code == <ExampleName> (seed NN) ==} or
 * {@code == <ExampleName> (issue N) ==}. Run by {@code scripts/demo}.
 *
 * <p>Not every runnable example of the seeds has a twin: seed 03's "Error Handling and Resource
 * Cleanup" fragment ({@code robust_worker}) is not runnable as given ({@code process_item} and
 * {@code Empty} are undefined and nothing calls it).
 *
 * <p>Arguments: optional example names (for example {@code TwoWorkers DoublingWorker}) to run
 * only those, in the order given; none runs them all.
 */
public final class Demo {
    private Demo() {
    }

    /** An example's main method. */
    @FunctionalInterface
    interface Main {
        void run(String[] args) throws Exception;
    }

    private record Example(String name, String source, Main main) {
    }

    private static final List<Example> EXAMPLES = List.of(
            new Example("TwoWorkers", "seed 01", TwoWorkers::main),
            new Example("PipeSenderReceiver", "seed 01", PipeSenderReceiver::main),
            new Example("BasicWorker", "seed 02", BasicWorker::main),
            new Example("WorkersWithArguments", "seed 02", WorkersWithArguments::main),
            new Example("DoublingWorker", "seed 02", DoublingWorker::main),
            new Example("PipeSenderReceiverPair", "seed 04", PipeSenderReceiverPair::main),
            new Example("SharedMemoryBlock", "seed 02", SharedMemoryBlock::main),
            new Example("SharedArrayExercise", "seed 04", SharedArrayExercise::main),
            new Example("LockedCounter", "seed 01", LockedCounter::main),
            new Example("QueueProducerConsumer", "seed 01", QueueProducerConsumer::main),
            new Example("QueueSharingData", "seed 02", QueueSharingData::main),
            new Example("QueueReaderWriter", "seed 03", QueueReaderWriter::main),
            new Example("QueueMultipleReaders", "seed 03", QueueMultipleReaders::main),
            new Example("QueueStartMethod", "seed 03", QueueStartMethod::main),
            new Example("QueueProducerConsumerPair", "seed 04", QueueProducerConsumerPair::main),
            new Example("QueueNumbersExercise", "seed 04", QueueNumbersExercise::main),
            new Example("ProducersConsumersLock", "seed 05", ProducersConsumersLock::main),
            new Example("ManagerDict", "issue 6", ManagerDict::main),
            new Example("RemoteManager", "issue 6", RemoteManager::main),
            new Example("PythonClientListener", "issue 6", PythonClientListener::main),
            new Example("ProcessPoolSquares", "seed 03", ProcessPoolSquares::main),
            new Example("PoolSpeedup", "issue 5", PoolSpeedup::main));

    public static void main(String[] args) throws Exception {
        Map<String, Example> byName = new LinkedHashMap<>();
        for (Example e : EXAMPLES) {
            byName.put(e.name(), e);
        }
        List<Example> selected = new ArrayList<>();
        for (String a : args) {
            Example e = byName.get(a);
            if (e == null) {
                System.err.println("unknown example '" + a + "'; known: "
                        + String.join(" ", byName.keySet()));
                System.exit(2);
            }
            selected.add(e);
        }
        if (selected.isEmpty()) {
            selected.addAll(EXAMPLES);
        }
        for (Example e : selected) {
            System.out.println("== " + e.name() + " (" + e.source() + ") ==");
            e.main().run(new String[0]);
        }
    }
}
