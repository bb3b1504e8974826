/**
 * The inspector ({@code scripts/mp4j}, main class
 * {@link org.multiprocessing4j.internal.inspect.Inspector}): lists this user's named shared
 * objects (queues, locks, semaphores, events, conditions, barriers, shared values, shared memory
 * blocks and {@code ShareableList}s) with their kind, size, creator and live state, shows one in
 * full, and removes the orphans of dead creators, as Aeron's {@code AeronStat} and
 * {@code ipcs}/{@code ipcrm} do for theirs.
 *
 * <p>It reads regions only: it maps a named block, checks what it can validate before reading
 * further (the {@code RegionHeader}'s magic, layout version, layout size and the kind's own
 * configuration; {@code ShareableListLayout.check} for a list), and reports a block it cannot
 * validate as such instead of reading past what it checked
 * ({@link org.multiprocessing4j.internal.inspect.RegionInspector}). It never writes to a region;
 * the only changes it makes are the names {@code clean} removes. Whether a creator or participant
 * is alive is asked of a liveness mark first ({@code Platform.placeMark}: the inspector places
 * its own for the moment of the question), then of the backend's process table
 * ({@code Platform.isRunning}); who maps or holds a block is the backend's
 * {@code Platform.namedMemoryInUse}. A backend that cannot enumerate named memory or its users
 * (the posix backend: POSIX has no call for either) says so, and nothing is listed or removed.
 *
 * <p>Not API: the command line ({@code Inspector}'s class comment) is the interface. It may use
 * the {@code platform} seam and the layout classes of the other internal packages (read-only),
 * never a backend.
 */
package org.multiprocessing4j.internal.inspect;
