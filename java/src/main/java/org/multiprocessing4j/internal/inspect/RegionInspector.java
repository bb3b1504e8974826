package org.multiprocessing4j.internal.inspect;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.multiprocessing4j.internal.NumbersLayout;
import org.multiprocessing4j.internal.RegionHeader;
import org.multiprocessing4j.internal.queue.QueueLayout;
import org.multiprocessing4j.internal.queue.Spill;
import org.multiprocessing4j.internal.shm.ShareableListLayout;
import org.multiprocessing4j.internal.sync.BarrierLayout;
import org.multiprocessing4j.internal.sync.ConditionLayout;
import org.multiprocessing4j.internal.sync.EventLayout;
import org.multiprocessing4j.internal.sync.LockLayout;
import org.multiprocessing4j.internal.sync.MutexLayout;
import org.multiprocessing4j.internal.sync.ProcessToken;
import org.multiprocessing4j.internal.sync.SemaphoreLayout;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.ProcessMark;

/**
 * Reads one named block and says what it holds ({@link NamedObject}), validating before it reads.
 *
 * <p>The order of checks, each guarding the reads after it: the block's size (from the OS, the
 * mapping is exactly that); the magic at 0x00 (one of this library's kinds, else the block has no
 * header: a {@code ShareableList} if {@link ShareableListLayout#check} accepts its header and its
 * size is the layout's, a queue spill by its name, else plain shared memory); the header's layout
 * version against the one this library writes for the kind (the header's other fields are trusted
 * only then); the recorded layout size within the block; the backend id (printable); the creator
 * token within {@code [1, 2^62)}; then the kind's configuration against its own limits (a queue's
 * slot count, slot size and participant capacity and that the slots end within the layout; a
 * barrier's parties; a shared value's type and length) before any word that depends on it is read.
 * A block that fails a check is reported with the reason and nothing more is read from it; the
 * reads themselves are bounds-checked by the segment, so even a block that changes under the
 * inspector fails as a reported problem, never a crash.
 *
 * <p>Live words are read with volatile reads, one at a time: a snapshot that may be inconsistent
 * between words (a queue's depth counts slots while producers and consumers move). Nothing is
 * ever written.
 */
final class RegionInspector {
    private static final Platform OS = Platform.current();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    /** Shared values listed by {@code show}. */
    private static final int VALUES_SHOWN = 16;
    /** Items a block may claim to hold before it is taken for plain memory (bounds the read). */
    private static final long MAX_LIST_ITEMS = 1 << 20;

    private RegionInspector() {
    }

    /**
     * Reads the named block {@code name}.
     *
     * @param inUse inodes some process maps or holds ({@code Platform.namedMemoryInUse}), or
     *     {@code null} if unknown
     * @throws java.nio.file.NoSuchFileException if the name is gone
     * @throws IOException if it cannot be opened, mapped or examined
     */
    static NamedObject inspect(String name, Set<Long> inUse) throws IOException {
        Handle h = OS.openNamedMemory("/" + name, false);
        try {
            long size = OS.status(h).size();
            long inode = OS.inode(h);
            Boolean used = inUse == null ? null : inUse.contains(inode);
            Block b = new Block(name, size, inode, used);
            if (size == 0) {
                return b.plain("SharedMemory", Map.of());
            }
            try (Arena arena = Arena.ofConfined(); Lives lives = new Lives(h)) {
                MemorySegment s = OS.map(h, size, arena);
                try {
                    return read(b, s, lives);
                } catch (RuntimeException | InternalError e) {
                    // a block that changed under us (shrunk: the JVM turns the bus error into an
                    // InternalError), or a bug: never a crash
                    return b.problem("?", "", "cannot be read: " + e);
                }
            }
        } finally {
            OS.close(h);
        }
    }

    /** {@return the inode of the block {@code name} now} */
    static long inode(String name) throws IOException {
        Handle h = OS.openNamedMemory("/" + name, false);
        try {
            return OS.inode(h);
        } finally {
            OS.close(h);
        }
    }

    /** The facts every result has. */
    private record Block(String name, long size, long inode, Boolean used) {
        NamedObject plain(String kind, Map<String, Object> state) {
            return new NamedObject(name, kind, size, inode, "", 0, null, used, state, null);
        }

        NamedObject problem(String kind, String backend, String problem) {
            return new NamedObject(name, kind, size, inode, backend, 0, null, used, Map.of(), problem);
        }
    }

    /** The kinds with a {@link RegionHeader}: magic, layout version, name. */
    private enum Kind {
        QUEUE(QueueLayout.MAGIC, QueueLayout.VERSION, "SharedQueue"),
        LOCK(LockLayout.MAGIC_LOCK, LockLayout.VERSION, "SharedLock"),
        REENTRANT_LOCK(LockLayout.MAGIC_REENTRANT, LockLayout.VERSION, "SharedReentrantLock"),
        SEMAPHORE(SemaphoreLayout.MAGIC, SemaphoreLayout.VERSION, "SharedSemaphore"),
        EVENT(EventLayout.MAGIC, EventLayout.VERSION, "SharedEvent"),
        CONDITION(ConditionLayout.MAGIC, ConditionLayout.VERSION, "SharedCondition"),
        BARRIER(BarrierLayout.MAGIC, BarrierLayout.VERSION, "SharedBarrier"),
        NUMBERS(NumbersLayout.MAGIC, NumbersLayout.VERSION, "shared value");

        final int magic;
        final int version;
        final String what;

        Kind(int magic, int version, String what) {
            this.magic = magic;
            this.version = version;
            this.what = what;
        }

        static Kind of(int magic) {
            for (Kind k : values()) {
                if (k.magic == magic) {
                    return k;
                }
            }
            return null;
        }
    }

    private static NamedObject read(Block b, MemorySegment s, Lives lives) {
        Kind kind = b.size() >= 4 ? Kind.of((int) INT.getAcquire(s, RegionHeader.MAGIC_OFFSET)) : null;
        if (kind == null) {
            return headerless(b, s);
        }
        if (b.size() < RegionHeader.SIZE) {
            return b.problem(kind.what, "", b.size() + " bytes cannot hold the "
                    + RegionHeader.SIZE + "-byte header");
        }
        int version = s.get(ValueLayout.JAVA_INT, RegionHeader.VERSION_OFFSET);
        if (version != kind.version) {
            return b.problem(kind.what, "", "layout version " + version + ", this library reads "
                    + kind.version);
        }
        String backend = RegionHeader.backend(s);
        if (backend.isEmpty() || !backend.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            return b.problem(kind.what, "", "the header's backend id is not text");
        }
        long layoutSize = s.get(ValueLayout.JAVA_LONG, RegionHeader.LAYOUT_SIZE_OFFSET);
        if (layoutSize < RegionHeader.SIZE || layoutSize > b.size()) {
            return b.problem(kind.what, backend, "the header records a layout of " + layoutSize
                    + " bytes in a block of " + b.size());
        }
        long creator = RegionHeader.creator(s);
        if (creator <= 0 || creator >= 1L << 62) {
            return b.problem(kind.what, backend, "the header records no valid creator (" + creator + ")");
        }
        Map<String, Object> state = new LinkedHashMap<>();
        String what = kind.what;
        String problem = switch (kind) {
            case QUEUE -> {
                int flags = s.get(ValueLayout.JAVA_INT, QueueLayout.FLAGS_OFFSET);
                if ((flags & QueueLayout.JOINABLE) != 0) {
                    what = "SharedJoinableQueue";
                }
                yield queue(s, layoutSize, flags, lives, state);
            }
            case LOCK, REENTRANT_LOCK -> mutex(s, LockLayout.MUTEX_OFFSET, layoutSize, kind == Kind.REENTRANT_LOCK, lives, state);
            case SEMAPHORE -> {
                if (layoutSize < SemaphoreLayout.WAITERS_OFFSET + 4) {
                    yield "a layout of " + layoutSize + " bytes is too small for a semaphore";
                }
                int max = s.get(ValueLayout.JAVA_INT, SemaphoreLayout.MAX_VALUE_OFFSET);
                state.put("value", (int) INT.getVolatile(s, SemaphoreLayout.VALUE_OFFSET));
                state.put("bound", max < 0 ? "none" : (Object) max);
                state.put("waiters", (int) INT.getVolatile(s, SemaphoreLayout.WAITERS_OFFSET));
                yield null;
            }
            case EVENT -> {
                if (layoutSize < EventLayout.WAITERS_OFFSET + 4) {
                    yield "a layout of " + layoutSize + " bytes is too small for an event";
                }
                int st = (int) INT.getVolatile(s, EventLayout.STATE_OFFSET);
                state.put("set", (st & EventLayout.FLAG_BIT) != 0);
                state.put("waiters", (int) INT.getVolatile(s, EventLayout.WAITERS_OFFSET));
                yield null;
            }
            case CONDITION -> {
                if (layoutSize < ConditionLayout.NEXT_TICKET_OFFSET + 4) {
                    yield "a layout of " + layoutSize + " bytes is too small for a condition";
                }
                state.put("waiters", (int) INT.getVolatile(s, ConditionLayout.WAITERS_OFFSET));
                state.put("pendingWakeUps", (int) INT.getVolatile(s, ConditionLayout.TOKENS_OFFSET));
                yield null;
            }
            case BARRIER -> barrier(s, layoutSize, lives, state);
            case NUMBERS -> numbers(s, b.size(), state);
        };
        if (problem != null) {
            return b.problem(what, backend, problem);
        }
        return new NamedObject(b.name(), what, b.size(), b.inode(), backend, creator,
                lives.of(creator), b.used(), state, null);
    }

    private static String queue(MemorySegment s, long layoutSize, int flags, Lives lives,
            Map<String, Object> state) {
        int slots = s.get(ValueLayout.JAVA_INT, QueueLayout.SLOT_COUNT_OFFSET);
        int slotSize = s.get(ValueLayout.JAVA_INT, QueueLayout.SLOT_SIZE_OFFSET);
        int maxsize = s.get(ValueLayout.JAVA_INT, QueueLayout.MAXSIZE_OFFSET);
        int capacity = s.get(ValueLayout.JAVA_INT, QueueLayout.PARTICIPANTS_CAPACITY_OFFSET);
        if (slots < 1 || slots > QueueLayout.MAX_SLOTS) {
            return "slot count " + slots + " out of [1, " + QueueLayout.MAX_SLOTS + "]";
        }
        if (slotSize < QueueLayout.MIN_SLOT_SIZE || slotSize > QueueLayout.MAX_SLOT_SIZE || slotSize % 64 != 0) {
            return "slot size " + slotSize + " is not a multiple of 64 in [" + QueueLayout.MIN_SLOT_SIZE
                    + ", " + QueueLayout.MAX_SLOT_SIZE + "]";
        }
        if (maxsize < 0 || capacity < 1 || capacity > QueueLayout.PARTICIPANTS
                || QueueLayout.participantOffset(capacity) + 8 > QueueLayout.SLOTS_OFFSET) {
            return "maxsize " + maxsize + " or participant capacity " + capacity + " out of range";
        }
        long slotsEnd = QueueLayout.slotOffset(slots, slotSize);
        if (slotsEnd > layoutSize) {
            return slots + " slots of " + slotSize + " bytes end at " + slotsEnd
                    + ", beyond the layout's " + layoutSize + " bytes";
        }
        int queued = 0;
        int inFlight = 0;
        for (int i = 0; i < slots; i++) {
            long ctl = (long) LONG.getVolatile(s, QueueLayout.slotOffset(i, slotSize) + QueueLayout.SLOT_CTL);
            int st = QueueLayout.state(ctl);
            if (st == QueueLayout.FULL) {
                queued++;
            } else if (st != QueueLayout.FREE) {
                inFlight++;
            }
        }
        state.put("depth", queued);
        state.put("capacity", maxsize > 0 ? Math.min(maxsize, slots) : slots);
        state.put("inFlight", inFlight);
        state.put("slotSize", slotSize);
        state.put("producersWaiting", (int) INT.getVolatile(s, QueueLayout.PRODUCERS_WAITING_OFFSET));
        state.put("consumersWaiting", (int) INT.getVolatile(s, QueueLayout.CONSUMERS_WAITING_OFFSET));
        if ((flags & QueueLayout.JOINABLE) != 0) {
            state.put("joinersWaiting", (int) INT.getVolatile(s, QueueLayout.JOINERS_WAITING_OFFSET));
        }
        List<Map<String, Object>> participants = new ArrayList<>();
        for (int i = 1; i <= capacity; i++) {
            long entry = (long) LONG.getVolatile(s, QueueLayout.participantOffset(i));
            if (entry != 0) {
                Map<String, Object> p = process(entry & Long.MAX_VALUE, lives);
                p.put("index", i);
                if (entry < 0) {
                    p.put("claiming", true);
                }
                participants.add(p);
            }
        }
        state.put("participants", participants);
        return null;
    }

    private static String mutex(MemorySegment s, long base, long layoutSize, boolean reentrant,
            Lives lives, Map<String, Object> state) {
        if (base + MutexLayout.SIZE > layoutSize) {
            return "a layout of " + layoutSize + " bytes is too small for its mutex";
        }
        long owner = (long) LONG.getVolatile(s, base + MutexLayout.OWNER_OFFSET);
        if (owner == 0) {
            state.put("owner", "none");
        } else if (owner == MutexLayout.NOT_RECOVERABLE) {
            state.put("owner", "not recoverable");
        } else {
            long token = owner & ~MutexLayout.TAKING;
            Map<String, Object> o = process(token, lives);
            if ((owner & MutexLayout.TAKING) != 0) {
                o.put("takingOver", true);
            }
            state.put("owner", o);
            if (reentrant) {
                state.put("holds", s.get(ValueLayout.JAVA_INT, base + MutexLayout.HOLDS_OFFSET));
            }
        }
        state.put("ownerDied", (int) INT.getVolatile(s, base + MutexLayout.OWNER_DIED_OFFSET) != 0);
        state.put("waiters", (int) INT.getVolatile(s, base + MutexLayout.WAITERS_OFFSET));
        return null;
    }

    private static String barrier(MemorySegment s, long layoutSize, Lives lives, Map<String, Object> state) {
        int parties = s.get(ValueLayout.JAVA_INT, BarrierLayout.PARTIES_OFFSET);
        if (parties < 1 || parties > BarrierLayout.MAX_PARTIES
                || BarrierLayout.SLOTS_OFFSET + 8L * parties > layoutSize) {
            return parties + " parties do not fit a layout of " + layoutSize + " bytes";
        }
        int count = (int) INT.getVolatile(s, BarrierLayout.COUNT_OFFSET);
        state.put("parties", parties);
        state.put("waiting", count);
        state.put("broken", (int) INT.getVolatile(s, BarrierLayout.BROKEN_OFFSET) != 0);
        state.put("generation", (int) INT.getVolatile(s, BarrierLayout.GEN_OFFSET));
        List<Map<String, Object>> arrived = new ArrayList<>();
        for (int i = 0; i < Math.min(Math.max(count, 0), parties); i++) {
            long token = (long) LONG.getVolatile(s, BarrierLayout.SLOTS_OFFSET + 8L * i);
            if (token != 0) {
                arrived.add(process(token, lives));
            }
        }
        state.put("arrived", arrived);
        Map<String, Object> mutex = new LinkedHashMap<>();
        String p = mutex(s, BarrierLayout.MUTEX_OFFSET, layoutSize, false, lives, mutex);
        if (p != null) {
            return p;
        }
        state.put("lockOwner", mutex.get("owner"));
        return null;
    }

    private static String numbers(MemorySegment s, long size, Map<String, Object> state) {
        int type = s.get(ValueLayout.JAVA_INT, NumbersLayout.KIND_OFFSET);
        long length = s.get(ValueLayout.JAVA_LONG, NumbersLayout.LENGTH_OFFSET);
        int width = type == NumbersLayout.KIND_INT ? 4 : 8;
        if (type < NumbersLayout.KIND_INT || type > NumbersLayout.KIND_DOUBLE || length < 0
                || length > (size - NumbersLayout.DATA_OFFSET) / width) {
            return "element type " + type + " and length " + length + " do not fit " + size + " bytes";
        }
        state.put("type", switch (type) {
            case NumbersLayout.KIND_INT -> "int";
            case NumbersLayout.KIND_LONG -> "long";
            default -> "double";
        });
        state.put("length", length);
        List<Object> values = new ArrayList<>();
        for (int i = 0; i < Math.min(length, VALUES_SHOWN); i++) {
            long at = NumbersLayout.DATA_OFFSET + (long) i * width;
            values.add(switch (type) {
                case NumbersLayout.KIND_INT -> (int) INT.getVolatile(s, at);
                case NumbersLayout.KIND_LONG -> (long) LONG.getVolatile(s, at);
                default -> Double.longBitsToDouble((long) LONG.getVolatile(s, at));
            });
        }
        state.put("values", values);
        return null;
    }

    private static NamedObject headerless(Block b, MemorySegment s) {
        if (b.name().startsWith(Spill.PREFIX)) {
            return b.plain("queue spill", Map.of());
        }
        long size = b.size();
        if (size >= ShareableListLayout.SLOT_OFFSETS_OFFSET) {
            long n = s.get(ValueLayout.JAVA_LONG, ShareableListLayout.COUNT_OFFSET);
            if (n >= 1 && n <= MAX_LIST_ITEMS && ShareableListLayout.check(n, null, size) == null) {
                long[] offsets = new long[(int) n + 1];
                for (int i = 0; i <= n; i++) {
                    offsets[i] = s.get(ValueLayout.JAVA_LONG, ShareableListLayout.SLOT_OFFSETS_OFFSET + 8L * i);
                }
                if (ShareableListLayout.check(n, offsets, size) == null) {
                    long total = ShareableListLayout.totalSize(n, offsets[(int) n]);
                    long page = OS.pageSize();
                    if (total == size || (total + page - 1) / page * page == size) {
                        return b.plain("ShareableList", Map.of("items", n));
                    }
                }
            }
        }
        return b.plain("SharedMemory", Map.of());
    }

    /** A process named by a token: pid, token, alive. */
    private static Map<String, Object> process(long token, Lives lives) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("pid", ProcessToken.pid(token));
        p.put("token", token);
        p.put("alive", lives.of(token));
        return p;
    }

    /**
     * Answers "is the process of this token alive" for one region: a liveness mark of the token
     * on the region's file proves it (this inspector places its own mark, once, to ask); else the
     * backend's process table ({@code Platform.isRunning}); else unknown ({@code null}).
     */
    private static final class Lives implements AutoCloseable {
        private final Handle region;
        private ProcessMark mark;
        private boolean noMark;

        Lives(Handle region) {
            this.region = region;
        }

        Boolean of(long token) {
            if (token <= 0 || token >= 1L << 62) {
                return null;
            }
            long self = ProcessToken.self();
            if (token == self) {
                return true;
            }
            if (mark == null && !noMark) {
                try {
                    mark = OS.placeMark(region, self);
                } catch (IOException | RuntimeException e) {
                    noMark = true;
                }
            }
            if (mark != null) {
                try {
                    if (mark.isPlaced(token)) {
                        return true;
                    }
                } catch (IOException e) {
                    // cannot tell by the mark: ask the process table
                }
            }
            return OS.isRunning(token).orElse(null);
        }

        @Override
        public void close() {
            if (mark != null) {
                mark.close();
            }
        }
    }
}
