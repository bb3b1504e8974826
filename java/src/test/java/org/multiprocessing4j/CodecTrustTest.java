package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who may make this process decode what: channels whose peer has not authenticated (a
 * {@link Listener} opened {@code withoutAuthentication()}, a {@link Client} without an authkey, a
 * named {@link SharedQueue}) decode only value types unless the user allows more, so a
 * gadget-like class (one whose {@code readObject} records that it ran) never runs there; parent
 * and child, pipes and authenticated channels keep the wide default. Also the cost of nested
 * hash collections (the serialization DoS) is bounded on every codec.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CodecTrustTest {
    private static final byte[] KEY = "a shared secret".getBytes(StandardCharsets.UTF_8);

    /** A class whose deserialization runs code: it counts its {@code readObject} calls. */
    static final class Gadget implements Serializable {
        static final AtomicInteger RAN = new AtomicInteger();
        private static final long serialVersionUID = 1L;
        final String note;

        Gadget(String note) {
            this.note = note;
        }

        @Serial
        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            RAN.incrementAndGet();
            in.defaultReadObject();
        }
    }

    private ExecutorService pool;

    @BeforeEach
    void setUp() {
        Gadget.RAN.set(0);
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
    }

    private static void assertRejectsGadget(CodecException e) {
        assertTrue(e.getMessage().contains(Gadget.class.getName()), e.getMessage());
        assertEquals(0, Gadget.RAN.get(), "the gadget's readObject ran");
    }

    // ------------------------------------------------------------ unauthenticated channels

    @Test
    void aListenerWithoutAuthenticationNeverRunsAGadgetItsClientSends() throws Exception {
        try (Listener listener = Listener.builder().tcp(0).withoutAuthentication().open()) {
            Future<?> client = pool.submit(() -> {
                try (Connection c = Client.connect(listener.address())) {
                    c.send(new Gadget("from any local user"));
                    c.send(List.of("still", "usable"));
                }
                return null;
            });
            try (Connection c = listener.accept(java.time.Duration.ofSeconds(30))) {
                assertRejectsGadget(assertThrows(CodecException.class, c::recv));
                assertEquals(List.of("still", "usable"), c.recv());
            }
            client.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aClientWithoutAuthkeyNeverRunsAGadgetTheListenerSends() throws Exception {
        try (Listener listener = Listener.builder().unix().withoutAuthentication().open()) {
            Future<Object> client = pool.submit(() -> {
                try (Connection c = Client.connect(listener.address())) {
                    CodecException e = assertThrows(CodecException.class, c::recv);
                    return e;
                }
            });
            try (Connection c = listener.accept(java.time.Duration.ofSeconds(30))) {
                c.send(new Gadget("from whoever listens there"));
            }
            assertRejectsGadget((CodecException) client.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aNamedQueueNeverRunsAGadgetPutThroughItsName() throws Exception {
        String name = "mp4j-test-gadget-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (SharedQueue<Object> q = SharedQueue.builder().name(name).create();
             SharedQueue<Object> byName = SharedQueue.open(name)) {
            q.unlink();
            byName.put(new Gadget("put by any process of the user"));
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> q.poll(30, TimeUnit.SECONDS));
            assertRejectsGadget(assertInstanceOf(CodecException.class, e.getCause()));
            q.put(new Gadget("the other way"));
            e = assertThrows(UncheckedIOException.class, () -> byName.poll(30, TimeUnit.SECONDS));
            assertRejectsGadget(assertInstanceOf(CodecException.class, e.getCause()));
            byName.put(new ArrayList<>(List.of(1, "two", 3L)));
            assertEquals(List.of(1, "two", 3L), q.poll(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aListenerWithoutAuthenticationDecodesWhatTheApplicationAllows() throws Exception {
        Codec allowing = Codec.builder().allowValueTypes().allow(Gadget.class.getName()).build();
        try (Listener listener = Listener.builder().unix().withoutAuthentication().codec(allowing).open()) {
            Future<?> client = pool.submit(() -> {
                try (Connection c = Client.connect(listener.address())) {
                    c.send(new Gadget("allowed"));
                }
                return null;
            });
            try (Connection c = listener.accept(java.time.Duration.ofSeconds(30))) {
                assertEquals("allowed", ((Gadget) c.recv()).note);
            }
            client.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aNamedQueueDecodesWithTheCodecChosenAtCreationOrOpening() throws Exception {
        String name = "mp4j-test-gadget-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Codec allowing = Codec.builder().allowValueTypes().allow(Gadget.class.getName()).build();
        try (SharedQueue<Object> q = SharedQueue.builder().name(name).codec(allowing).create();
             SharedQueue<Object> byName = SharedQueue.open(name, allowing);
             SharedQueue<Object> plain = SharedQueue.open(name)) {
            q.unlink();
            byName.put(new Gadget("one"));
            assertEquals("one", ((Gadget) q.take()).note);
            q.put(new Gadget("two"));
            assertEquals("two", ((Gadget) byName.take()).note);
            q.put(new Gadget("three"));
            assertThrows(UncheckedIOException.class, plain::take);
            assertThrows(NullPointerException.class, () -> SharedQueue.open(name, null));
        }
    }

    // ------------------------------------------------------------ the value-type codec

    enum Colour { RED, GREEN }

    record Tagged(String tag, List<Object> values, Colour colour, java.math.BigDecimal amount)
            implements Serializable {
    }

    record HoldsGadget(Gadget gadget) implements Serializable {
    }

    record Resolving(String s) implements Serializable {
        @Serial
        private Object readResolve() {
            Gadget.RAN.incrementAndGet();
            return this;
        }
    }

    private static Object roundTrip(Codec codec, Object value) throws CodecException {
        try (ByteSink sink = new ByteSink(64)) {
            Codec.defaults().encode(value, sink);
            return codec.decode(sink.segment());
        }
    }

    @Test
    void forUntrustedPeersDecodesJdkValueTypesEnumsRecordsAndArrays() throws Exception {
        Codec c = Codec.forUntrustedPeers();
        List<Object> values = List.of(
                new ArrayList<>(List.of(1, 2L, 3.0, "four", 'c', (short) 5, (byte) 6, 7f, true)),
                new java.util.HashMap<>(java.util.Map.of("k", List.of(1, 2))),
                new java.util.TreeMap<>(java.util.Map.of("a", 1)), new java.util.LinkedHashSet<>(List.of("x")),
                new java.util.ArrayDeque<>(List.of(1)), new java.util.LinkedList<>(List.of(2)),
                List.of(1, 2, 3), Set.of("a"), java.util.Map.of("m", 1), java.util.Arrays.asList("a", "b"),
                java.util.Collections.unmodifiableList(new ArrayList<>(List.of(1))),
                java.util.Collections.emptyList(), java.util.Collections.singletonMap("k", "v"),
                java.util.EnumSet.of(Colour.RED), new java.util.EnumMap<>(java.util.Map.of(Colour.GREEN, 1)),
                new java.math.BigInteger("123456789012345678901234567890"), new java.math.BigDecimal("1.50"),
                java.util.UUID.randomUUID(), java.time.LocalDate.of(2026, 12, 7), java.time.Duration.ofSeconds(3),
                java.time.Instant.ofEpochSecond(1), Colour.GREEN, TimeUnit.SECONDS,
                new Tagged("t", List.of(1, "x", Colour.RED), Colour.RED, java.math.BigDecimal.TEN),
                new String[] {"a", "b"}, new Integer[][] {{1}, {2}});
        for (Object v : values) {
            Object back = roundTrip(c, v);
            if (v instanceof Object[] array) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(array, (Object[]) back);
            } else if (v instanceof java.util.ArrayDeque<?> deque) { // no equals of its own
                assertEquals(List.copyOf(deque), List.copyOf((java.util.ArrayDeque<?>) back));
            } else {
                assertEquals(v, back, () -> "value of " + v.getClass());
            }
        }
        int[] ints = {1, 2};
        org.junit.jupiter.api.Assertions.assertArrayEquals(ints, (int[]) roundTrip(c, ints));
        assertEquals(0, Gadget.RAN.get());
    }

    @Test
    void forUntrustedPeersRejectsEveryOtherClassBeforeRunningAnyOfItsCode() throws Exception {
        Codec c = Codec.forUntrustedPeers();
        for (Object v : List.of(new Gadget("top"), List.of(new Gadget("nested")),
                new Gadget[] {new Gadget("in an array")}, new java.util.HashMap<>(java.util.Map.of("k", new Gadget("v"))),
                new HoldsGadget(null), new Resolving("s"))) {
            CodecException e = assertThrows(CodecException.class, () -> roundTrip(c, v), () -> "" + v);
            assertTrue(e.getMessage().contains("allowValueTypes()"), e.getMessage());
        }
        assertEquals(0, Gadget.RAN.get());
        // What the application allows is added; a rejecting pattern wins over the value types.
        Codec allowing = Codec.builder().allowValueTypes().allow(Gadget.class.getName()).build();
        assertEquals("nested", ((Gadget) ((List<?>) roundTrip(allowing, List.of(new Gadget("nested")))).get(0)).note);
        assertEquals(1, Gadget.RAN.get());
        Codec noHashMap = Codec.builder().allowValueTypes().allow("!java.util.HashMap").build();
        assertThrows(CodecException.class, () -> roundTrip(noHashMap, new java.util.HashMap<>()));
        assertEquals(List.of(1), roundTrip(noHashMap, new ArrayList<>(List.of(1))));
    }

    @Test
    void theDefaultCodecsTravelAsThemselves() throws Exception {
        for (Codec c : List.of(Codec.defaults(), Codec.forUntrustedPeers())) {
            assertTrue(c == javaRoundTrip(c), c.toString());
        }
        Codec built = Codec.builder().allowValueTypes().allow(Gadget.class.getName()).maxDepth(7).build();
        assertEquals(built.toString(), javaRoundTrip(built).toString());
    }

    private static Object javaRoundTrip(Object o) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            return in.readObject();
        }
    }

    // ------------------------------------------------------------ trusted channels

    @Test
    void pipesAndAuthenticatedConnectionsKeepTheWideDefault() throws Exception {
        try (Pipe p = Pipe.open()) {
            p.first().send(new Gadget("from a parent or child"));
            assertEquals("from a parent or child", ((Gadget) p.second().recv()).note);
        }
        try (Listener listener = Listener.builder().unix().authkey(KEY).open()) {
            Future<Object> client = pool.submit(() -> {
                try (Connection c = Client.connect(listener.address(), KEY)) {
                    return c.recv();
                }
            });
            try (Connection c = listener.accept(java.time.Duration.ofSeconds(30))) {
                c.send(new Gadget("authenticated"));
            }
            assertEquals("authenticated", ((Gadget) client.get(30, TimeUnit.SECONDS)).note);
        }
        try (SharedQueue<Object> q = SharedQueue.create()) {
            q.put(new Gadget("anonymous queue"));
            assertEquals("anonymous queue", ((Gadget) q.take()).note);
        }
        assertEquals(3, Gadget.RAN.get());
    }

    // ------------------------------------------------------------ nested hash collections

    /**
     * The classic nested-set payload: {@code levels} levels of two sets each, every set of one
     * level holding both sets of the next, so hashing the root's elements walks 2^levels sets
     * while the stream holds only about 4 objects per level.
     */
    static Set<Object> nestedSets(int levels) {
        Set<Object> root = new HashSet<>();
        Set<Object> s1 = root;
        Set<Object> s2 = new HashSet<>();
        for (int i = 0; i < levels; i++) {
            Set<Object> t1 = new HashSet<>();
            Set<Object> t2 = new HashSet<>();
            t1.add("t1"); // unequal to t2, so that both stay in each set
            s1.add(t1);
            s1.add(t2);
            s2.add(t1);
            s2.add(t2);
            s1 = t1;
            s2 = t2;
        }
        return root;
    }

    /** The same blow-up through lists: one set holding a list of two references to the next list. */
    static Set<Object> nestedLists(int levels) {
        List<Object> first = new ArrayList<>();
        Set<Object> root = new HashSet<>();
        root.add(first); // hashed while empty; filled below, so building costs nothing
        List<Object> l = first;
        for (int i = 0; i < levels; i++) {
            List<Object> next = new ArrayList<>();
            l.add(next);
            l.add(next);
            l = next;
        }
        return root;
    }

    private static void assertRejectsQuickly(Codec codec, Object payload) throws CodecException {
        try (ByteSink sink = new ByteSink(64)) {
            codec.encode(payload, sink);
            CodecException e = assertThrows(CodecException.class, () -> codec.decode(sink.segment()));
            assertTrue(e.getMessage().contains("maxExpandedSize"), e.getMessage());
        }
    }

    @Test
    void nestedHashSetsAreRejectedBeforeTheirHashingExplodes() throws Exception {
        assertRejectsQuickly(Codec.defaults(), nestedSets(50));
    }

    @Test
    void sharedNestedListsInAHashSetAreRejectedBeforeTheirHashingExplodes() throws Exception {
        assertRejectsQuickly(Codec.defaults(), nestedLists(55));
    }

    @Test
    void theCodecForUntrustedPeersBoundsNestedSetsToo() throws Exception {
        assertRejectsQuickly(Codec.forUntrustedPeers(), nestedSets(50));
        assertRejectsQuickly(Codec.forUntrustedPeers(), nestedLists(55));
    }

    @Test
    void sharingWithinTheLimitDecodesAndTheLimitIsConfigurable() throws Exception {
        // 16 levels: 2^17 sets walked, well within the default limit.
        Set<?> small = (Set<?>) roundTrip(Codec.defaults(), nestedSets(16));
        assertEquals(2, small.size());
        List<String> shared = new ArrayList<>(List.of("a", "b", "c"));
        Object twice = roundTrip(Codec.defaults(), new ArrayList<>(List.of(shared, shared)));
        assertEquals(List.of(shared, shared), twice);
        // Sizes: each string 1, the shared list 4, counted twice, the outer list 1 + 8 = 9:
        // the total is 3 + 4 + 9 = 16.
        assertEquals(twice, roundTrip(Codec.builder().maxExpandedSize(16).build(), twice));
        CodecException e = assertThrows(CodecException.class,
                () -> roundTrip(Codec.builder().maxExpandedSize(15).build(), twice));
        assertTrue(e.getMessage().contains("maxExpandedSize(n)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Codec.builder().maxExpandedSize(0));
    }
}
