package org.multiprocessing4j;

import java.io.ObjectInputFilter;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.multiprocessing4j.internal.codec.DefaultCodec;
import org.multiprocessing4j.internal.codec.FilterSettings;

/**
 * Turns the values sent between processes into bytes and back: the messages of a
 * {@code Connection}, the items of a {@code SharedQueue}, the task and result of a child.
 *
 * <p>An implementation must be thread-safe: one codec serves every thread of a process. The
 * encoded form must be decodable in another JVM that has the same classes and an equivalent
 * codec; it need not be stable across library versions unless the implementation says so.
 *
 * <p>{@link #defaults()} is the built-in codec: fast paths with no Java serialization for
 * {@code null}, {@code byte[]}, {@code String}, the boxed primitives, {@link MemorySegment} and
 * {@code Serializable} records whose components are all of those types (but
 * {@code MemorySegment}) or such records, and Java serialization for everything else. Decoding a
 * record or a serialized value always goes through an {@link ObjectInputFilter} (limits on
 * depth, references, array length and stream size, an optional allow-list, and the JVM-wide
 * filter if one is set) and a bound on the value's expanded size (what hashing its nested
 * collections can cost, see {@link Builder#maxExpandedSize}); a record is built by its
 * canonical constructor. {@link #builder()} configures those limits. Faster or more compact
 * codecs plug in by implementing this interface.
 *
 * <h2>Trust</h2>
 * Decoding with {@link #defaults()} is as safe as Python's {@code pickle}, which is to say not
 * safe: Java serialization builds objects of any {@code Serializable} class it can load and runs
 * their {@code readObject}/{@code readResolve} methods, and a crafted stream can chain such methods
 * of ordinary library classes into running arbitrary code. Only decode with it data from a peer
 * you trust — as Python's documentation puts it for {@code Connection.recv()}, unless the
 * connection was produced by {@code Pipe()} use it only after some sort of authentication. The
 * library keeps to that rule by itself:
 *
 * <ul>
 *   <li>Between a parent and its children ({@link Pipe}s, connections and anonymous queues
 *       handed to a child, tasks and results of a {@link ChildProcess} or a {@link ProcessPool}),
 *       and on connections that completed the authkey handshake ({@link Listener} and
 *       {@link Client} with an authkey, {@link Manager}), the default is {@link #defaults()}:
 *       the peer is this program or proved it knows the key.</li>
 *   <li>Where the peer has not authenticated — a {@link Listener} opened
 *       {@link Listener.Builder#withoutAuthentication() withoutAuthentication()} (any local
 *       user can reach a TCP loopback port), a {@link Client} without an authkey, a
 *       {@link SharedQueue} created with or opened by a name (any process of the user can open
 *       it) — the default is {@link #forUntrustedPeers()}: only JDK value types, enums, records
 *       of allowed types and arrays of them are decoded, plus what the application allows with
 *       {@code Codec.builder().allowValueTypes().allow(...)}. A class outside that list is
 *       rejected before it is instantiated: none of its code runs.</li>
 * </ul>
 *
 * Each of those channels takes another codec where the application knows better (a
 * {@code codec(...)} builder method). Allowing a class for peers that have not authenticated
 * means trusting every such peer with whatever its deserialization does.
 */
public interface Codec {

    /**
     * Encodes {@code value} by appending its bytes to {@code out}. Called in the caller's thread.
     * If the value cannot be encoded, throws {@link CodecException} and leaves {@code out} as it
     * was before the call (its size is restored), so nothing half-written is ever sent.
     *
     * @param value the value to encode; may be {@code null} if the codec supports it (the default
     *     codec does)
     * @param out where the bytes are appended
     * @throws CodecException if the value cannot be encoded (for example it is not serializable),
     *     or {@code out} would exceed its maximum capacity; {@code out} is then unchanged
     * @throws IllegalStateException if {@code out} is closed
     */
    void encode(Object value, ByteSink out) throws CodecException;

    /**
     * Decodes one value from exactly the bytes of {@code in}: all of them, and no more. The
     * segment is valid only during the call; the returned value never refers to it (copy what
     * is kept).
     *
     * @param in the encoded bytes of one value, as produced by {@link #encode}
     * @return the decoded value, possibly {@code null}
     * @throws CodecException if the bytes are malformed or truncated, have trailing bytes, name a
     *     class that cannot be loaded, or are rejected by a deserialization filter
     */
    Object decode(MemorySegment in) throws CodecException;

    /**
     * Returns the default codec, with the default filter limits
     * ({@link Builder#DEFAULT_MAX_DEPTH}, {@link Builder#DEFAULT_MAX_REFERENCES},
     * {@link Builder#DEFAULT_MAX_ARRAY_LENGTH}, {@link Builder#DEFAULT_MAX_EXPANDED_SIZE}), no allow-list, and classes resolved by the
     * thread context class loader if set, else by the loader of this library.
     * Its wire format is documented, with its tag table, on
     * {@code org.multiprocessing4j.internal.codec.DefaultCodec}. It decodes any
     * {@code Serializable} class: use it only with trusted peers (see "Trust" above).
     *
     * @return the shared, thread-safe default codec
     */
    static Codec defaults() {
        return DefaultCodec.DEFAULTS;
    }

    /**
     * Returns the default codec restricted to value types, for peers that have not authenticated
     * (see "Trust" above): {@link #defaults()} with an allow-list of
     * {@link Builder#allowValueTypes() the JDK value types, enums, records of allowed types and
     * arrays of them}, and nothing else. Equal to
     * {@code Codec.builder().allowValueTypes().build()}, and the default codec of every channel
     * whose peer has not authenticated.
     *
     * @return the shared, thread-safe codec for peers that have not authenticated
     */
    static Codec forUntrustedPeers() {
        return DefaultCodec.UNTRUSTED;
    }

    /**
     * Returns a builder for a default codec with a custom deserialization filter.
     *
     * @return a new builder, initially equal to {@link #defaults()}
     */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Configures the deserialization filter of the default codec. Any limit may be raised or
     * lowered; the JVM-wide filter ({@link ObjectInputFilter.Config#getSerialFilter()}), when
     * set, is always consulted in addition and can only reject more.
     *
     * <p>Not thread-safe; the codec it builds is immutable and thread-safe.
     */
    final class Builder {

        /** Default maximum depth of a deserialized object graph. */
        public static final long DEFAULT_MAX_DEPTH = 64;
        /** Default maximum number of object references in one deserialized value. */
        public static final long DEFAULT_MAX_REFERENCES = 1_000_000;
        /** Default maximum length of one deserialized array (16 Mi elements). */
        public static final long DEFAULT_MAX_ARRAY_LENGTH = 16L << 20;
        /**
         * Default maximum expanded size of one deserialized value:
         * {@link #DEFAULT_MAX_DEPTH} &times; {@link #DEFAULT_MAX_REFERENCES}, the most a value
         * that shares no object can reach within those two limits.
         */
        public static final long DEFAULT_MAX_EXPANDED_SIZE = DEFAULT_MAX_DEPTH * DEFAULT_MAX_REFERENCES;

        private long maxDepth = DEFAULT_MAX_DEPTH;
        private long maxReferences = DEFAULT_MAX_REFERENCES;
        private long maxArrayLength = DEFAULT_MAX_ARRAY_LENGTH;
        private long maxExpandedSize = DEFAULT_MAX_EXPANDED_SIZE;
        private final List<String> allowPatterns = new ArrayList<>();
        private boolean valueTypes;
        private ClassLoader classLoader;

        private Builder() {
        }

        /**
         * Sets the maximum depth of a deserialized object graph (nesting of objects and arrays).
         *
         * @param maxDepth the limit, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxDepth < 1}
         */
        public Builder maxDepth(long maxDepth) {
            this.maxDepth = positive("maxDepth", maxDepth);
            return this;
        }

        /**
         * Sets the maximum number of object references (objects, arrays, strings, class
         * descriptors, back-references) in one deserialized value.
         *
         * @param maxReferences the limit, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxReferences < 1}
         */
        public Builder maxReferences(long maxReferences) {
            this.maxReferences = positive("maxReferences", maxReferences);
            return this;
        }

        /**
         * Sets the maximum length of any one deserialized array.
         *
         * @param maxArrayLength the limit in elements, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxArrayLength < 0}
         */
        public Builder maxArrayLength(long maxArrayLength) {
            if (maxArrayLength < 0) {
                throw new IllegalArgumentException("maxArrayLength < 0: " + maxArrayLength);
            }
            this.maxArrayLength = maxArrayLength;
            return this;
        }

        /**
         * Sets the maximum expanded size of one deserialized value, which bounds what hashing
         * and comparing it can cost. Java serialization preserves sharing, so a short stream can
         * hold sets of sets (or lists, maps, arrays, records) that refer to the same few objects
         * over and over; a {@code HashSet} or {@code HashMap} being deserialized hashes each
         * element, and the {@code hashCode} of a collection walks all it holds, shared parts once
         * per reference, so such a value of a few kilobytes can take longer than the age of the
         * universe to decode (the well-known nested-{@code HashSet} denial of service).
         *
         * <p>The <em>size</em> of an object is 1, plus for a JDK collection, map, object array
         * or record the sizes of all the elements, keys, values or components it holds (a shared
         * one counted each time); the <em>expanded size</em> of a value is the sum of the sizes of
         * all objects in it, which is the work of walking each collection as a hash table does.
         * It is checked as each object is completed, before a collection that is still being
         * read hashes it, so the work done before a rejection stays within the limit. A value
         * that shares nothing never exceeds {@code maxDepth * maxReferences}.
         *
         * <p>Not bounded by this limit: many distinct keys with equal hash codes that are not
         * {@code Comparable} (sets, lists, records) in one {@code HashMap} or {@code HashSet},
         * which {@code HashMap} itself handles in quadratic time, and a hand-made stream that
         * repeats a reference to one key inside one hash collection. Keep {@link #maxReferences}
         * as low as the application allows where peers are not trusted.
         *
         * @param maxExpandedSize the limit, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxExpandedSize < 1}
         */
        public Builder maxExpandedSize(long maxExpandedSize) {
            this.maxExpandedSize = positive("maxExpandedSize", maxExpandedSize);
            return this;
        }

        /**
         * Adds class patterns to the allow-list. Once any pattern is added, deserialization
         * rejects every class not allowed by the list (primitive types and arrays of them are
         * always allowed; an array of objects is judged by its element class). Patterns use the
         * {@code jdk.serialFilter} syntax of {@link ObjectInputFilter.Config#createFilter}:
         * {@code "com.example.Point"}, {@code "com.example.*"} (package),
         * {@code "com.example.**"} (package and subpackages), {@code "java.base/*"} (module),
         * {@code "!com.example.Bad"} (reject). Lambdas additionally need
         * {@code "java.lang.invoke.SerializedLambda"} and their capturing class; boxed numbers
         * need {@code "java.lang.Number"} and their class; {@code ArrayList} and other
         * collections check an {@code Object[]}, so they need {@code "java.lang.Object"}. A
         * rejection message names the class and the pattern to add. Values sent on a fast path
         * ({@code String}, {@code byte[]}, boxed primitives, ...) never reach the filter; records
         * on the record fast path do (each record class, and each {@code byte[]} component with
         * its length), but their {@code String} and boxed components do not.
         *
         * <p>Without {@link #allowValueTypes()} the list holds the patterns only; with it, the
         * patterns add to the value types.
         *
         * @param patterns one or more patterns; each may itself hold several separated by
         *     {@code ;}
         * @return this builder
         * @throws IllegalArgumentException if a pattern is empty or malformed
         */
        public Builder allow(String... patterns) {
            for (String p : patterns) {
                Objects.requireNonNull(p, "pattern");
                if (p.isBlank()) {
                    throw new IllegalArgumentException("empty allow-list pattern");
                }
                ObjectInputFilter.Config.createFilter(p); // validates the syntax now
                allowPatterns.add(p);
            }
            return this;
        }

        /**
         * Adds the value types to the allow-list: what {@link Codec#forUntrustedPeers()} decodes.
         * A class is then allowed if a pattern given to {@link #allow} allows it, or else if it is
         *
         * <ul>
         *   <li>a JDK value type: {@code String}, the boxed primitives, {@code BigInteger},
         *       {@code BigDecimal}, {@code ArrayList}, {@code LinkedList}, {@code ArrayDeque},
         *       {@code HashMap}, {@code LinkedHashMap}, {@code TreeMap}, {@code HashSet},
         *       {@code LinkedHashSet}, {@code TreeSet}, {@code EnumMap}, {@code EnumSet}, the
         *       results of {@code List.of}/{@code Set.of}/{@code Map.of}, {@code Arrays.asList}
         *       and {@code Collections}' unmodifiable, empty and singleton collections,
         *       {@code UUID}, {@code BitSet}, {@code Date}, the {@code java.time} types;</li>
         *   <li>an enum class;</li>
         *   <li>a {@code Serializable} record class that declares no {@code readResolve()} and
         *       every component of which is declared with an allowed type or with a JDK interface
         *       or supertype such as {@code Object}, {@code List} or {@code Map} (the values
         *       themselves are judged as they are read);</li>
         *   <li>an array of allowed types.</li>
         * </ul>
         *
         * Everything else is rejected before it is instantiated. A rejecting pattern
         * ({@code "!com.example.Bad"}) wins over the list.
         *
         * @return this builder
         */
        public Builder allowValueTypes() {
            this.valueTypes = true;
            return this;
        }

        /**
         * Sets the class loader used to resolve deserialized classes when the decoding thread
         * has no context class loader. By default, the loader of this library.
         *
         * @param loader the fallback loader
         * @return this builder
         */
        public Builder classLoader(ClassLoader loader) {
            this.classLoader = Objects.requireNonNull(loader, "loader");
            return this;
        }

        /**
         * Builds an immutable, thread-safe default codec with this configuration.
         *
         * @return the codec
         */
        public Codec build() {
            String allow = allowPatterns.isEmpty() ? null : String.join(";", allowPatterns);
            return new DefaultCodec(new FilterSettings(maxDepth, maxReferences, maxArrayLength,
                    maxExpandedSize, allow, valueTypes, classLoader != null ? classLoader : DefaultCodec.class.getClassLoader()));
        }

        private static long positive(String what, long value) {
            if (value < 1) {
                throw new IllegalArgumentException(what + " < 1: " + value);
            }
            return value;
        }
    }
}
