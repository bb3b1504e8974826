package org.multiprocessing4j.internal.inspect;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the inspector read from one named block: a snapshot, immutable.
 *
 * @param name the bare name
 * @param kind what it holds: a public type's name ({@code "SharedQueue"}, {@code "SharedLock"},
 *     …), {@code "SharedMemory"} for a block this inspector does not recognize (a plain
 *     {@code SharedMemory}, or another program's), {@code "queue spill"} for a queue's spilled
 *     record
 * @param size the block's size in bytes
 * @param inode the block's file identity ({@code Platform.inode})
 * @param backend the id of the backend that created it (from its header), or empty if unknown
 * @param creator the creator's process token from its header; 0 if the block records none (no
 *     header, or one that did not validate)
 * @param creatorAlive whether the creator runs; {@code null} if there is none or it cannot be told
 * @param inUse whether some process maps or holds the block; {@code null} if the backend cannot tell
 * @param state the kind's live state (field name to value: numbers, strings, booleans, lists of
 *     maps), in display order
 * @param problem why the block could not be read in full (a corrupt or foreign header), or
 *     {@code null}
 */
record NamedObject(String name, String kind, long size, long inode, String backend, long creator,
        Boolean creatorAlive, Boolean inUse, Map<String, Object> state, String problem) {

    /** {@return the creator's pid, or 0 if none is recorded} */
    int creatorPid() {
        return (int) (creator >>> 32) & 0x3FFF_FFFF;
    }

    /** {@return this object as a JSON-ready map} */
    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("kind", kind);
        m.put("size", size);
        m.put("backend", backend.isEmpty() ? null : backend);
        m.put("creatorPid", creator == 0 ? null : creatorPid());
        m.put("creatorToken", creator == 0 ? null : creator);
        m.put("creatorAlive", creatorAlive);
        m.put("inUse", inUse);
        m.put("state", state);
        m.put("problem", problem);
        return m;
    }

    /** {@return "alive", "dead", "?" (cannot tell) or "-" (no creator recorded)} */
    String aliveText() {
        return creator == 0 ? "-" : creatorAlive == null ? "?" : creatorAlive ? "alive" : "dead";
    }

    /** {@return the state on one line, or the problem} */
    String summary() {
        if (problem != null) {
            return "unreadable: " + problem;
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Object> e : state.entrySet()) {
            if (e.getValue() instanceof java.util.List<?> l) {
                append(b, e.getKey(), Integer.toString(l.size()));
            } else if (e.getValue() instanceof Map<?, ?> process && process.containsKey("pid")) {
                Object alive = process.get("alive");
                append(b, e.getKey(), "pid " + process.get("pid") + " ("
                        + (alive == null ? "?" : (Boolean) alive ? "alive" : "dead") + ")");
            } else {
                append(b, e.getKey(), String.valueOf(e.getValue()));
            }
        }
        return b.toString();
    }

    private static void append(StringBuilder b, String key, String value) {
        if (!b.isEmpty()) {
            b.append(", ");
        }
        b.append(key).append(' ').append(value);
    }
}
