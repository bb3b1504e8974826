package org.multiprocessing4j.internal.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Pipe;
import org.multiprocessing4j.Task;
import org.multiprocessing4j.internal.Access;

/**
 * How tasks that are lambdas travel in the task stream ({@link TaskLambdas}): as a shape and
 * captured values when the lambda can be rebuilt exactly, as Java serializes it otherwise; both
 * decode into a task that does what the original does. (Across processes: every {@link
 * ChildProcessTest}; the forkserver's use of shapes: {@link ForkserverChildProcessTest}.)
 */
class TaskLambdasTest {
    static final AtomicReference<Object> SEEN = new AtomicReference<>();

    private static Task roundTrip(Task task, boolean expectShape) throws Exception {
        TaskStreams.Encoded encoded = TaskStreams.encode(task);
        assertEquals(expectShape, encoded.lambdaShape() != null, () -> "shape: " + encoded.lambdaShape());
        return TaskStreams.decode(encoded.bytes(), new org.multiprocessing4j.platform.Handle[0]);
    }

    @Test
    void aCapturingLambdaTravelsAsItsShapeAndRunsWithItsCapturedValues() throws Exception {
        int n = 7;
        long big = 1L << 40;
        String s = "text";
        long[] array = {1, 2, 3};
        Task task = () -> SEEN.set(s + n + big + Arrays.toString(array));
        Task decoded = roundTrip(task, true);
        assertNotSame(task, decoded);
        decoded.run();
        assertEquals("text71099511627776[1, 2, 3]", SEEN.get());
        Task again = roundTrip(decoded, true); // the rebuilt lambda is serializable again
        SEEN.set(null);
        again.run();
        assertEquals("text71099511627776[1, 2, 3]", SEEN.get());
    }

    @Test
    void plainCapturedValuesTravelWithoutJavaSerializationAndKeepTheirIdentity() throws Exception {
        String s = new String("same");
        Integer n = 1234567;
        Long l = -5L;
        Boolean b = true;
        Double d = 2.5;
        String none = null;
        Task task = () -> SEEN.set(java.util.Arrays.asList(s, s, n, l, b, d, none));
        TaskStreams.Encoded encoded = TaskStreams.encode(task);
        assertEquals(TaskStreams.Compact.MAGIC, encoded.bytes()[0]);
        Task decoded = TaskStreams.decode(encoded.bytes(), new org.multiprocessing4j.platform.Handle[0]);
        decoded.run();
        java.util.List<?> seen = (java.util.List<?>) SEEN.get();
        assertEquals(java.util.Arrays.asList("same", "same", 1234567, -5L, true, 2.5, null), seen);
        assertTrue(seen.get(0) == seen.get(1), "one captured object stays one object");
    }

    @Test
    void aCapturedConnectionTravelsAsItsDescriptorInTheCompactForm() throws Exception {
        try (Pipe pipe = Pipe.open(false)) {
            Connection w = pipe.second();
            Task task = () -> {
                w.send("through the copy");
                w.close(); // run decoded: closes the copy it owns
            };
            TaskStreams.Encoded encoded = TaskStreams.encode(task);
            assertEquals(TaskStreams.Compact.MAGIC, encoded.bytes()[0]);
            assertEquals(java.util.List.of(Access.connection().descriptor(w)),
                    encoded.descriptors());
            org.multiprocessing4j.platform.Handle copy = org.multiprocessing4j.platform.Platform.current().duplicate(
                    Access.connection().descriptor(w).handle());
            TaskStreams.decode(encoded.bytes(), new org.multiprocessing4j.platform.Handle[] {copy}).run();
            assertEquals("through the copy", pipe.first().recv());
            assertTrue(!w.isClosed(), "the original is untouched");
        }
    }

    @Test
    void aClosedCapturedConnectionIsRefusedAtEncoding() throws Exception {
        try (Pipe pipe = Pipe.open(false)) {
            Connection closed = pipe.second();
            closed.close();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TaskStreams.encode(() -> closed.send("x")));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    @Test
    void aLambdaWithoutCapturedValuesAndOneThatCapturesThisTravelAsShapes() throws Exception {
        roundTrip(() -> SEEN.set("none"), true).run();
        assertEquals("none", SEEN.get());
        roundTrip(new Holder("held").task(), true).run();
        assertEquals("held", SEEN.get());
    }

    /** A serializable object whose lambda uses {@code this}. */
    record Holder(String value) implements Serializable {
        Task task() {
            return () -> SEEN.set(value());
        }
    }

    /** Lambdas written in an interface: static and default methods. */
    interface InterfaceHost extends Serializable {
        static Task fromStatic(String s) {
            return () -> SEEN.set("static " + s);
        }

        default Task fromDefault(String s) {
            return () -> SEEN.set("default " + s + " " + name());
        }

        String name();
    }

    record Implementor(String name) implements InterfaceHost {
    }

    @Test
    void lambdasWrittenInInterfacesTravelToo() throws Exception {
        TaskStreams.Encoded fromStatic = TaskStreams.encode(InterfaceHost.fromStatic("a"));
        assertNotNull(fromStatic.lambdaShape(), "a static interface method's lambda has a shape");
        TaskStreams.decode(fromStatic.bytes(), new org.multiprocessing4j.platform.Handle[0]).run();
        assertEquals("static a", SEEN.get());
        TaskStreams.Encoded fromDefault = TaskStreams.encode(new Implementor("n").fromDefault("b"));
        assertNull(fromDefault.lambdaShape(), "invokeinterface bodies travel as Java serializes them");
        TaskStreams.decode(fromDefault.bytes(), new org.multiprocessing4j.platform.Handle[0]).run();
        assertEquals("default b n", SEEN.get());
    }

    static void methodReferenceTarget() {
        SEEN.set("method reference");
    }

    interface Marker {
    }

    @Test
    void methodReferencesAndLambdasWithMarkerInterfacesTravelAsJavaSerializesThem() throws Exception {
        roundTrip(TaskLambdasTest::methodReferenceTarget, false).run();
        assertEquals("method reference", SEEN.get());
        String s = "marked";
        Task marked = roundTrip((Task & Marker) () -> SEEN.set(s), false);
        assertInstanceOf(Marker.class, marked);
        marked.run();
        assertEquals("marked", SEEN.get());
    }

    @Test
    void aTaskThatIsNotALambdaTravelsAsItself() throws Exception {
        Task decoded = roundTrip(new Named("plain"), false);
        assertEquals(new Named("plain"), decoded);
    }

    record Named(String name) implements Task {
        @Override
        public void run() {
            SEEN.set(name);
        }
    }

    @Test
    void shapesSurviveTheirCommandLineForm() throws Exception {
        int n = 3;
        String shape = TaskStreams.encode(() -> SEEN.set(n)).lambdaShape();
        assertNotNull(shape);
        assertEquals(shape, TaskLambdas.Shape.parse(shape).toArgument());
        assertTrue(shape.contains(TaskLambdasTest.class.getName().replace('.', '/')), shape);
        assertThrows(IllegalArgumentException.class, () -> TaskLambdas.Shape.parse("a|b|c"));
    }

    /** A class whose lambda is linked ahead in this test, and nowhere else. */
    static final class PrelinkHost {
        private PrelinkHost() {
        }

        static Task task(int n) {
            return () -> SEEN.set(n);
        }
    }

    @Test
    void prelinkSkipsWhatItCannotLinkAndLinksWhatItCan() throws Exception {
        ClassLoader loader = getClass().getClassLoader();
        assertFalse(TaskLambdas.prelink("garbage", loader));
        assertFalse(TaskLambdas.prelink("no/Such|x|run|()V|6|lambda$x$0|()V|()V|0", loader));
        // a shape naming a method that is not a lambda body is refused
        assertFalse(TaskLambdas.prelink(TaskLambdasTest.class.getName().replace('.', '/')
                + "|org/multiprocessing4j/Task|run|()V|6|methodReferenceTarget|()V|()V|0", loader));
        String shape = TaskStreams.encode(PrelinkHost.task(5)).lambdaShape();
        assertFalse(TaskLambdas.prelinked(PrelinkHost.class));
        assertTrue(TaskLambdas.prelink(shape, loader)); // an int captured: a default is made for it
        assertTrue(TaskLambdas.prelinked(PrelinkHost.class));
        SEEN.set(null);
        roundTrip(PrelinkHost.task(5), true).run();
        assertEquals(5, SEEN.get());
    }

    @Test
    void stringsTravelExactlyEvenWithUnpairedSurrogates() throws Exception {
        String odd = "a\uD800b\uDC00" + "\u00e9\u4e2d" + "\uD83D\uDE00".substring(0, 1);
        Task task = () -> SEEN.set(odd);
        TaskStreams.Encoded encoded = TaskStreams.encode(task);
        assertEquals(TaskStreams.Compact.MAGIC, encoded.bytes()[0]);
        TaskStreams.decode(encoded.bytes(), new org.multiprocessing4j.platform.Handle[0]).run();
        assertEquals(odd, SEEN.get());
    }

    @Test
    void aShapeThatDoesNotMatchItsValuesIsRefusedWithAClearError() {
        String shape = TaskStreams.encode(() -> SEEN.set("x")).lambdaShape();
        TaskLambdas.Carried lying = new TaskLambdas.Carried(TaskLambdas.Shape.parse(shape),
                new Object[] {"extra"});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TaskLambdas.resolve(lying, getClass().getClassLoader()));
        assertTrue(e.getMessage().contains("carries 1 values"), e.getMessage());
        assertNull(TaskStreams.encode(TaskLambdasTest::methodReferenceTarget).lambdaShape());
    }
}
